"""The middleware stack: CORS outermost."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app


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
