"""``configure_logging``: the server's INFO lines show, libraries stay quiet, hang-ups too."""

from __future__ import annotations

import logging

from api.logging_setup import YibaoHandler, configure_logging


def _emit_samples() -> None:
    logging.getLogger("api.middleware.request_log").info("request id=1 status=200")
    logging.getLogger("uvicorn.error").info("Uvicorn running")
    logging.getLogger("bm25s").setLevel(logging.DEBUG)  # as bm25s does on import
    logging.getLogger("bm25s").debug("Building index from tokens")
    logging.getLogger("qa.service").info("refused kind=greeting")
    logging.getLogger("ingest.pipeline").warning("disk nearly full")
    logging.getLogger("asyncio").warning("socket.send() raised exception.")


def test_server_lines_at_info_libraries_at_warning(capsys):
    configure_logging()
    configure_logging()  # a second call replaces the handler instead of adding one
    assert sum(isinstance(h, YibaoHandler) for h in logging.getLogger().handlers) == 1
    _emit_samples()
    err = capsys.readouterr().err
    assert " INFO api.middleware.request_log: request id=1 status=200" in err
    assert " INFO uvicorn.error: Uvicorn running" in err
    assert " WARNING ingest.pipeline: disk nearly full" in err
    assert "Building index" not in err and "refused kind" not in err
    assert "socket.send()" not in err  # a client hung up: not a warning


def test_verbose_shows_everything_and_hangups_at_debug(capsys):
    configure_logging(verbose=True)
    _emit_samples()
    err = capsys.readouterr().err
    assert " DEBUG bm25s: Building index from tokens" in err
    assert " INFO qa.service: refused kind=greeting" in err
    assert " DEBUG asyncio: socket.send() raised exception." in err
