"""Run the HTTP API with uvicorn (entry point of `yibao serve`).

Logging is set up by the CLI (``api.logging_setup``); uvicorn's loggers join it
(``log_config=None``). Forwarded headers are believed only from ``trusted_proxies``. Once the
socket listens and the service is loaded (``/readyz`` 200), one line says which URL to open.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

from api.app import create_app
from api.middleware.access import split_csv
from api.state import ServiceState
from qa.settings import Settings

logger = logging.getLogger(__name__)


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's ``proxy_headers`` / ``forwarded_allow_ips``: on only for ``trusted_proxies``.

    uvicorn's own default trusts ``X-Forwarded-For`` from 127.0.0.1, which lets anyone on the
    machine pick their client address.
    """
    proxies = split_csv(settings.trusted_proxies)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}


def open_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server bound to ``host:port``."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def announce_when_ready(server: Any, state: ServiceState, url: str, poll: float = 0.1) -> None:
    """Log the URL to open once ``server`` listens and ``state`` has a service; give up when
    the server exits first."""
    while not server.should_exit:
        if server.started and state.ready:
            logger.info("服务已就绪:打开 %s 使用问答窗口", url)
            return
        time.sleep(poll)


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``create_app(settings)`` until interrupted (exit code 3 if it cannot start)."""
    import uvicorn
    from uvicorn.main import STARTUP_FAILURE

    app = create_app(settings)  # raises ValueError on a bad trusted_proxies entry
    options = uvicorn_proxy_options(settings)
    logger.info("serving host=%s port=%d trusted_proxies=%s", host, port, options["proxy_headers"])
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # RequestLogMiddleware writes one structured line per request
        log_config=None,  # keep the CLI's handler; uvicorn's loggers propagate to it
        log_level=None,
        **options,
    )
    server = uvicorn.Server(config)
    announce = (server, app.state.yibao, open_url(host, port))
    threading.Thread(target=announce_when_ready, args=announce, daemon=True).start()
    try:  # as uvicorn.run does
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after a clean shutdown
        pass
    if not server.started:  # e.g. the port is taken
        sys.exit(STARTUP_FAILURE)
