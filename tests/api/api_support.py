"""Shared helpers for the HTTP API tests: one fake-embedder index per session, SSE parsing."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from qa.settings import Settings
from tests.conftest import make_settings

ADMIN_KEY = "admin-secret"
_SHARED: dict[str, Any] = {}


def rules_only_settings(tmp: Path, **overrides: Any) -> Settings:
    """Fake-embedder settings whose refusal model is rules only (fake scores mean nothing)."""
    from qa.refusal.decision import FALLBACK_MODEL, save_model

    calibration = tmp / "calibration.json"
    save_model(FALLBACK_MODEL, calibration)
    values = {"calibration_path": calibration, "rate_limit_per_minute": 0, "admin_key": ADMIN_KEY}
    return make_settings(tmp, **(values | overrides))


def build_service(settings: Settings) -> Any:
    """Ingest the corpus into ``settings.data_dir`` and load an ``AnswerService``."""
    from ingest.pipeline import run_ingest
    from qa.service import AnswerService

    run_ingest(settings)
    return AnswerService.load(settings)


def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Any]:
    """Settings and a loaded service over one index built once per test session."""
    if "service" not in _SHARED:
        settings = rules_only_settings(tmp_path_factory.mktemp("api-shared"))
        _SHARED["settings"], _SHARED["service"] = settings, build_service(settings)
    return _SHARED["settings"], _SHARED["service"]


def parse_sse(raw: str) -> list[tuple[str, str]]:
    """``(event, data)`` pairs of a raw SSE stream (event ``message`` when unnamed)."""
    events = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, "\n".join(data)))
    return events


def sse_json(raw: str) -> list[tuple[str, Any]]:
    """Like ``parse_sse`` with each data field decoded as JSON (``[DONE]`` kept as text)."""
    return [(name, data if data == "[DONE]" else json.loads(data)) for name, data in parse_sse(raw)]


class ServerThread:
    """A real uvicorn server for ``app`` on a free loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            self.thread.join(0.02)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
