"""Bad input is a clear 4xx (Chinese + English), never a 5xx; keys, rate limit and CORS."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.security import SlidingWindowLimiter
from tests.api.api_support import ADMIN_KEY

JSON = {"content-type": "application/json"}


def _turns(n):
    return [{"role": ("user", "assistant")[i % 2], "content": f"问题{i}"} for i in range(n)]


BAD_ASK_BODIES = {
    "empty question": ({"question": ""}, "问题不能为空"),
    "whitespace question": ({"question": "  \n\t "}, "问题不能为空"),
    "too long": ({"question": "医" * 501}, "问题太长"),
    "control character": ({"question": "医保码\x00怎么激活"}, "控制字符"),
    "escape character": ({"question": "医保\x1b[31m码"}, "控制字符"),
    "missing question": ({"history": []}, "缺少必填字段 question"),
    "question number": ({"question": 12}, "必须是字符串"),
    "question null": ({"question": None}, "必须是字符串"),
    "question list": ({"question": ["医保"]}, "必须是字符串"),
    "history not list": ({"question": "医保码", "history": "医保"}, "必须是数组"),
    "history bad role": (
        {"question": "医保码", "history": [{"role": "system", "content": "x"}]},
        "取值无效",
    ),
    "history item not object": ({"question": "医保码", "history": ["x"]}, "JSON 对象"),
    "history missing content": ({"question": "医保码", "history": [{"role": "user"}]}, "缺少"),
    "history control char": (
        {"question": "医保码", "history": [{"role": "user", "content": "a\x07"}]},
        "控制字符",
    ),
    "history too long": ({"question": "医保码", "history": _turns(13)}, "对话历史太长"),
    "top_k zero": ({"question": "医保码", "top_k": 0}, "不能小于 1"),
    "top_k huge": ({"question": "医保码", "top_k": 21}, "不能大于 20"),
    "top_k text": ({"question": "医保码", "top_k": "abc"}, "必须是整数"),
    "top_k float": ({"question": "医保码", "top_k": 1.5}, "必须是整数"),
    "body list": (["医保码"], "JSON 对象"),
    "body string": ("医保码", "JSON 对象"),
    "body number": (3, "JSON 对象"),
}


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize("case", list(BAD_ASK_BODIES))
def test_bad_ask_bodies_are_422_with_bilingual_message(client, path, case):
    body, expected = BAD_ASK_BODIES[case]
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert expected in payload["detail"] and " / " in payload["detail"]
    assert payload["errors"] and all("message" in e and "loc" in e for e in payload["errors"])


@pytest.mark.parametrize(
    "raw",
    [b"{bad json", b"", b'{"question": "\\ud800"}', b"\xff\xfe", b"null", b'{"question": "a"'],
)
def test_malformed_json_is_4xx(client, raw):
    response = client.post("/api/ask", content=raw, headers=JSON)
    assert response.status_code == 422 and " / " in response.json()["detail"]


def test_invalid_json_says_so(client):
    detail = client.post("/api/ask", content=b"{bad", headers=JSON).json()["detail"]
    assert detail.startswith("请求体不是有效的 JSON / ")


def test_boundary_lengths_are_accepted(client):
    assert client.post("/api/ask", json={"question": "医" * 500}).status_code == 200
    assert (
        client.post("/api/ask", json={"question": "医保", "history": _turns(12)}).status_code == 200
    )


BAD_CHAT_BODIES = {
    "no messages": {"model": "yibao-qa", "messages": []},
    "messages not list": {"model": "yibao-qa", "messages": "你好"},
    "last is assistant": {
        "model": "yibao-qa",
        "messages": [{"role": "user", "content": "医保码"}, {"role": "assistant", "content": "x"}],
    },
    "only system": {"model": "yibao-qa", "messages": [{"role": "system", "content": "你是助手"}]},
    "bad role": {"model": "yibao-qa", "messages": [{"role": "robot", "content": "医保码"}]},
    "empty question": {"model": "yibao-qa", "messages": [{"role": "user", "content": "  "}]},
    "question too long": {
        "model": "yibao-qa",
        "messages": [{"role": "user", "content": "医" * 501}],
    },
    "stream not bool": {"messages": [{"role": "user", "content": "医保码"}], "stream": "maybe"},
    "content number": {"messages": [{"role": "user", "content": 5}]},
}


@pytest.mark.parametrize("case", list(BAD_CHAT_BODIES))
def test_bad_chat_bodies_are_400_in_openai_format(client, case):
    response = client.post("/v1/chat/completions", json=BAD_CHAT_BODIES[case])
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and " / " in error["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["question", "history", "top_k", "role", "content", "messages", "model"]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)
ask_like = st.fixed_dictionaries(
    {"question": json_values | st.text(max_size=600)},
    optional={"history": json_values, "top_k": json_values},
)
chat_like = st.fixed_dictionaries(
    {
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.text(max_size=10) | st.just("user"), "content": json_values}
            )
            | json_values,
            max_size=4,
        )
        | json_values
    },
    optional={"model": st.just("yibao-qa") | json_values, "stream": json_values},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values | ask_like)
def test_random_ask_bodies_never_5xx(client, body):
    assert client.post("/api/ask", content=json.dumps(body), headers=JSON).status_code < 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values | chat_like)
def test_random_chat_bodies_never_5xx(client, body):
    response = client.post("/v1/chat/completions", content=json.dumps(body), headers=JSON)
    assert response.status_code < 500


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_5xx(client, raw):
    for path in ("/api/ask", "/v1/chat/completions", "/api/feedback"):
        assert client.post(path, content=raw, headers=JSON).status_code < 500


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
    assert [client.get("/api/suggestions", headers=key_a).status_code for _ in range(3)] == [
        200
    ] * 3
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


def test_feedback_validation(client):
    good_id = "0" * 32
    assert (
        client.post("/api/feedback", json={"answer_id": good_id, "rating": "meh"}).status_code
        == 422
    )
    assert client.post("/api/feedback", json={"answer_id": "x", "rating": "up"}).status_code == 422
    long_comment = {"answer_id": good_id, "rating": "up", "comment": "长" * 2001}
    assert client.post("/api/feedback", json=long_comment).status_code == 422
    assert (
        client.post("/api/feedback", json={"answer_id": good_id, "rating": "up"}).status_code == 201
    )
