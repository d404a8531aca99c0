"""Helpers for the API tests: one fake-embedder index per session, SSE parsing, a live server.

Example:
    >>> with LiveServer(create_app(settings, service)) as server:
    ...     httpx.get(server.url + "/api/suggestions")
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from qa.settings import Settings
from tests.conftest import make_settings

ADMIN_KEY = "admin-secret"
_SHARED: dict[str, Any] = {}


def rules_only_settings(tmp: Path, **overrides: Any) -> Settings:
    """Fake-embedder settings whose refusal model is rules only (fake scores mean nothing)."""
    from qa.refusal.calibration import FALLBACK_MODEL, save_model

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Serve an ASGI app with uvicorn in a daemon thread; ``url`` is its base address.

    The socket is bound here (port 0 = any free one), so the port cannot be taken between
    choosing it and serving.
    """

    def __init__(self, app: Any, port: int = 0, startup_timeout: float = 20.0) -> None:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name="live-uvicorn",
            daemon=True,
        )
        self._timeout = startup_timeout

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn exited during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start within {self._timeout}s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
