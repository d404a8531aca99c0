"""Helpers for the admin route tests: a fresh app over its own index, waiting for reindexes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.support import ADMIN_KEY, api_settings
from tests.conftest import build_service

ADMIN = {"X-Admin-Key": ADMIN_KEY}
#: A page about a made-up city: nothing in the corpus answers its question.
QINGKE_MD = (
    "# 青稞市职工医保门诊起付线是多少\n\n"
    "青稞市职工医保门诊起付线为每年1357元,超过起付线的门诊费用按70%报销。\n"
).encode()
QINGKE_QUESTION = "青稞市职工医保门诊起付线是多少"


def fresh_client(tmp: Path, loader: Any = None, **overrides: Any) -> TestClient:
    """A client over a new fake-embedder index of the corpus in ``tmp`` (its own data dir)."""
    settings = api_settings(tmp, **overrides)
    return TestClient(create_app(settings, service=build_service(settings), loader=loader))


def wait_idle(client: TestClient, timeout: float = 60.0) -> dict[str, Any]:
    """The reindex status once no run is running or queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get("/api/admin/reindex", headers=ADMIN).json()
        if body["status"] != "running" and not body["queued"]:
            return body
        time.sleep(0.05)
    raise AssertionError(f"reindex still running: {body}")


def upload(client: TestClient, *files: tuple[str, bytes]) -> Any:
    """POST the files to the upload route (multipart, field ``files``)."""
    parts = [("files", (name, data)) for name, data in files]
    return client.post("/api/admin/documents", headers=ADMIN, files=parts)
