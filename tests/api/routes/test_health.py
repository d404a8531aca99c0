"""``/healthz`` and ``/readyz``: alive at once, ready once the service has loaded."""

from __future__ import annotations

import json
import threading
import time

from fastapi.testclient import TestClient

from api.app import create_app


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_not_ready_while_loading(env):
    settings, service = env
    release = threading.Event()

    def slow_loader(_settings):
        release.wait(10)
        return service

    with TestClient(create_app(settings, loader=slow_loader)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        for method, path in [
            ("post", "/api/ask"),
            ("get", "/api/suggestions"),
            ("get", "/v1/models"),
        ]:
            kwargs = {"json": {"question": "医保码怎么激活"}} if method == "post" else {}
            response = getattr(client, method)(path, **kwargs)
            assert response.status_code == 503 and "服务正在加载" in json.dumps(
                response.json(), ensure_ascii=False
            )
        release.set()
        for _ in range(200):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.02)
        response = client.post("/api/ask", json={"question": "医保码怎么激活"})
        assert response.status_code == 200


def test_failed_load_reports_not_ready(env):
    def failing_loader(_settings):
        raise FileNotFoundError("no index")

    with TestClient(create_app(env[0], loader=failing_loader)) as client:
        for _ in range(200):
            if client.get("/readyz").json()["status"] == "failed":
                break
            time.sleep(0.02)
        assert client.get("/readyz").status_code == 503
        assert "索引未能加载" in client.get("/api/suggestions").json()["detail"]
