"""A live HTTP server for tests: an ASGI app served by uvicorn in a daemon thread.

Used by the API tests (the real app for real HTTP clients and the browser) and by the
LLM composer tests (a fake OpenAI-compatible server).

Example:
    >>> with LiveServer(create_app(settings, service)) as server:
    ...     httpx.get(server.url + "/api/suggestions")
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


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

    def __init__(
        self, app: Any, port: int = 0, startup_timeout: float = 20.0, **config: Any
    ) -> None:
        """``config`` overrides uvicorn options; forwarded headers are off, as in `yibao serve`
        without ``trusted_proxies`` (``api.server.uvicorn_proxy_options``)."""
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
            **({"proxy_headers": False} | config),
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
