"""API keys, the rate limit, the request log line with its id, and CORS."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware import SlidingWindowLimiter, is_guarded, split_csv
from tests.api.support import ADMIN_KEY


def _request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("request id=")]


def test_request_log_line_without_question(client, caplog):
    with caplog.at_level(logging.INFO, logger="api"):
        response = client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    lines = _request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert f"id={response.headers['x-request-id']}" in line
    assert "method=POST path=/api/ask status=200" in line and "refused=False" in line
    assert "n_citations=" in line and "ms=" in line
    assert all("家庭共济怎么绑定家人" not in r.getMessage() for r in caplog.records)


def test_request_log_with_questions_enabled(env, caplog):
    settings = env[0].model_copy(update={"log_questions": True})
    client = TestClient(create_app(settings, service=env[1]))
    with caplog.at_level(logging.INFO, logger="api"):
        client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    assert "家庭共济怎么绑定家人" in _request_lines(caplog)[0]


def test_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert len(unsafe.headers["x-request-id"]) == 32  # replaced by a fresh id


def test_guarded_paths_and_csv():
    assert is_guarded("/api/ask") and is_guarded("/v1/models")
    assert not is_guarded("/healthz") and not is_guarded("/api/admin/reindex")
    assert split_csv(" a, ,b ,") == ["a", "b"] and split_csv("") == []


def test_api_keys_required_when_set(env):
    settings_ = env[0].model_copy(update={"api_keys": "k1, k2"})
    client = TestClient(create_app(settings_, service=env[1]))
    question = {"question": "医保码怎么激活"}
    missing = client.post("/api/ask", json=question)
    assert missing.status_code == 401 and "API 密钥" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/ask", json=question, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = client.post("/api/ask", json=question, headers={"Authorization": "Bearer k2"})
    assert ok.status_code == 200
    v1 = client.get("/v1/models")
    assert v1.status_code == 401 and v1.json()["error"]["code"] == "invalid_api_key"
    assert client.get("/v1/models", headers={"Authorization": "Bearer k1"}).status_code == 200
    for open_path in ("/healthz", "/readyz", "/docs"):
        assert client.get(open_path).status_code == 200
    admin = client.get("/api/admin/reindex", headers={"X-Admin-Key": ADMIN_KEY})
    assert admin.status_code == 200  # admin routes take the admin key instead


def test_rate_limit_429_with_retry_after(env):
    settings_ = env[0].model_copy(update={"rate_limit_per_minute": 3, "api_keys": "a,b"})
    client = TestClient(create_app(settings_, service=env[1]))
    key_a, key_b = ({"Authorization": f"Bearer {k}"} for k in "ab")
    statuses = [client.get("/api/suggestions", headers=key_a).status_code for _ in range(3)]
    assert statuses == [200] * 3
    limited = client.get("/api/suggestions", headers=key_a)
    assert limited.status_code == 429 and "请求过于频繁" in limited.json()["detail"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert client.get("/api/suggestions", headers=key_b).status_code == 200  # own bucket
    assert client.get("/healthz").status_code == 200  # never limited
    chat = client.post("/v1/chat/completions", headers=key_a, json={"messages": []})
    assert chat.status_code == 429 and chat.json()["error"]["code"] == "rate_limit_exceeded"


def test_sliding_window_forgets_old_hits():
    now = [0.0]
    limiter = SlidingWindowLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.hit("c") == 0 and limiter.hit("c") == 0
    assert limiter.hit("c") == pytest.approx(60)
    now[0] = 30
    assert limiter.hit("c") == pytest.approx(30) and limiter.hit("d") == 0
    now[0] = 60.5
    assert limiter.hit("c") == 0


def test_cors_allowlist(env):
    settings_ = env[0].model_copy(update={"cors_origins": "https://allowed.example"})
    client = TestClient(create_app(settings_, service=env[1]))
    allowed = client.get("/api/suggestions", headers={"Origin": "https://allowed.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
    other = client.get("/api/suggestions", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/api/ask",
        headers={
            "Origin": "https://allowed.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://allowed.example"
