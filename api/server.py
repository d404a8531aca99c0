"""Run the HTTP API with uvicorn (entry point of `yibao serve`).

Logging is set up by the CLI (``api.logging_setup``); uvicorn's loggers join it
(``log_config=None``). Forwarded headers are believed only from ``trusted_proxies``.
"""

from __future__ import annotations

import logging
from typing import Any

from api.app import create_app
from api.middleware.access import split_csv
from qa.settings import Settings

logger = logging.getLogger(__name__)


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's ``proxy_headers`` / ``forwarded_allow_ips``: on only for ``trusted_proxies``.

    uvicorn's own default trusts ``X-Forwarded-For`` from 127.0.0.1, which lets anyone on the
    machine pick their client address.
    """
    proxies = split_csv(settings.trusted_proxies)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``create_app(settings)`` until interrupted."""
    import uvicorn

    app = create_app(settings)  # raises ValueError on a bad trusted_proxies entry
    options = uvicorn_proxy_options(settings)
    logger.info("serving host=%s port=%d trusted_proxies=%s", host, port, options["proxy_headers"])
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,  # RequestLogMiddleware writes one structured line per request
        log_config=None,  # keep the CLI's handler; uvicorn's loggers propagate to it
        log_level=None,
        **options,
    )
