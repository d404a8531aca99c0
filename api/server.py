"""Run the HTTP API with uvicorn (entry point of `yibao serve`)."""

from __future__ import annotations

import logging

from api.app import create_app
from qa.settings import Settings

logger = logging.getLogger(__name__)


def run_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``create_app(settings)`` until interrupted; request logs go to stderr at INFO."""
    import uvicorn

    if logging.getLogger("api").level == logging.NOTSET:
        logging.getLogger("api").setLevel(logging.INFO)  # one line per request
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.info("serving host=%s port=%d", host, port)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,  # RequestLogMiddleware writes one structured line per request
        log_level="info",
    )
