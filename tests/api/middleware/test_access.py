"""API keys, the rate limit per key or IP, the failed-authentication limit, client IPs."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.access import is_guarded, split_csv
from api.server import uvicorn_proxy_options
from tests.api.support import ADMIN_KEY
from tests.live_server import LiveServer


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


def _limited_app(env, **settings):
    limits = {"rate_limit_per_minute": 3, "auth_failures_per_minute": 10} | settings
    return create_app(env[0].model_copy(update=limits), service=env[1])


def _forwarded(address):
    return {"X-Forwarded-For": address}


def test_rotating_forwarded_for_from_an_untrusted_peer_shares_one_limit(env):
    settings = env[0].model_copy(update={"rate_limit_per_minute": 3})
    options = uvicorn_proxy_options(settings)  # what `yibao serve` gives uvicorn
    with LiveServer(create_app(settings, service=env[1]), **options) as server:
        statuses = [
            httpx.get(server.url + "/api/suggestions", headers=_forwarded(f"198.51.100.{i}"))
            for i in range(5)
        ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert "请求过于频繁" in statuses[3].json()["detail"]


def test_a_trusted_proxys_forwarded_for_names_the_client(env):
    settings = env[0].model_copy(
        update={"rate_limit_per_minute": 3, "trusted_proxies": "127.0.0.1"}
    )
    options = uvicorn_proxy_options(settings)
    with LiveServer(create_app(settings, service=env[1]), **options) as server:

        def get(address):
            return httpx.get(server.url + "/api/suggestions", headers=_forwarded(address))

        rotating = [get(f"198.51.100.{i}").status_code for i in range(5)]
        same = [get("203.0.113.7").status_code for _ in range(4)]
    assert rotating == [200] * 5  # each its own client
    assert same == [200, 200, 200, 429]


def test_the_app_reads_forwarded_for_only_from_trusted_peers(env):
    app = _limited_app(env, trusted_proxies="10.0.0.0/8, 192.0.2.1")
    proxy = TestClient(app, client=("10.1.2.3", 4000))
    stranger = TestClient(app, client=("203.0.113.9", 4000))

    def statuses(client, addresses):
        return [
            client.get("/api/suggestions", headers=_forwarded(a)).status_code for a in addresses
        ]

    assert statuses(proxy, [f"198.51.100.{i}" for i in range(5)]) == [200] * 5
    # the rightmost untrusted hop is the client; trusted hops before it are skipped
    chain = "198.51.100.50, 198.51.100.60, 192.0.2.1"
    assert statuses(proxy, [chain] * 4) == [200, 200, 200, 429]
    assert statuses(proxy, ["not-an-ip"] * 4) == [200, 200, 200, 429]  # the proxy itself
    assert statuses(stranger, [f"198.51.100.{i}" for i in range(5, 10)]) == [200] * 3 + [429] * 2


def test_300_wrong_admin_keys_get_429s(env):
    app = _limited_app(env, rate_limit_per_minute=60)
    attacker = TestClient(app, client=("203.0.113.9", 4000))
    responses = [
        attacker.get("/api/admin/reindex", headers={"X-Admin-Key": f"guess-{i}"})
        for i in range(300)
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [403] * 10 + [429] * 290
    assert "认证失败次数过多" in responses[-1].json()["detail"]
    assert 1 <= int(responses[-1].headers["retry-after"]) <= 60
    right_key = attacker.get("/api/admin/reindex", headers={"X-Admin-Key": ADMIN_KEY})
    assert right_key.status_code == 429  # no guess is checked until the minute has passed
    other = TestClient(app, client=("198.51.100.1", 4000))
    assert other.get("/api/admin/reindex", headers={"X-Admin-Key": ADMIN_KEY}).status_code == 200


def test_wrong_api_keys_count_as_failures_too(env):
    app = _limited_app(env, rate_limit_per_minute=0, api_keys="k1")
    client = TestClient(app)
    statuses = [
        client.get("/v1/models", headers={"Authorization": f"Bearer nope-{i}"}).status_code
        for i in range(12)
    ]
    assert statuses == [401] * 10 + [429] * 2
    blocked = client.get("/v1/models", headers={"Authorization": "Bearer k1"})
    assert blocked.status_code == 429 and blocked.json()["error"]["type"] == "rate_limit_error"
    assert client.get("/healthz").status_code == 200  # open paths stay open


def test_admin_routes_count_toward_the_rate_limit(env):
    client = TestClient(_limited_app(env))
    admin = {"X-Admin-Key": ADMIN_KEY}
    statuses = [client.get("/api/admin/reindex", headers=admin).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
