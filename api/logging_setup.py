"""One logging setup for the ``yibao`` entry points: ``time LEVEL logger: key=value`` on stderr.

Libraries log at WARNING; the server's own lines at INFO (``api.*``: one line per request,
"service ready", reindex, "serving"; ``uvicorn.*``: startup and shutdown); everything at DEBUG
with ``--verbose``. asyncio's ``socket.send() raised exception.`` (a client hung up
mid-stream; ``api.middleware.disconnects`` logs the hang-up once) is DEBUG, not a warning.

Example:
    >>> configure_logging(verbose=False)  # in the CLI callback, before any command runs
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers whose INFO lines are the server's log.
SERVER_LOGGERS = ("api", "uvicorn")
#: uvicorn's loggers (its ``Config`` gets ``log_config=None, log_level=None``, so they keep
#: what is set here; uvicorn.access stays silent with ``access_log=False``).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")
_HANGUP_NOISE = "socket.send() raised exception"


class HangupNoiseFilter(logging.Filter):
    """asyncio's per-write warning after a client hung up, demoted to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(_HANGUP_NOISE):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


class LibraryFilter(logging.Filter):
    """Below WARNING, only the server's loggers pass (libraries that set their own loggers
    to DEBUG on import, like bm25s, stay quiet); everything passes with ``verbose``."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or record.levelno >= logging.WARNING:
            return True
        return record.name.split(".")[0] in SERVER_LOGGERS


class YibaoHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as ``logging.lastResort`` does), so
    a replaced stderr (tests, click's runner) never leaves it writing to a closed stream."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr


def configure_logging(verbose: bool = False) -> None:
    """Install the stderr handler and set the levels (see the module docstring)."""
    level = logging.DEBUG if verbose else logging.WARNING
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, YibaoHandler)]:
        root.removeHandler(old)
    handler = YibaoHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(LibraryFilter(verbose))
    root.addHandler(handler)
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in UVICORN_LOGGERS:  # no handlers or levels of their own: they follow "uvicorn"
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        if name != "uvicorn":
            uvicorn_logger.setLevel(logging.NOTSET)
    asyncio_logger = logging.getLogger("asyncio")
    if not any(isinstance(f, HangupNoiseFilter) for f in asyncio_logger.filters):
        asyncio_logger.addFilter(HangupNoiseFilter())
    import jieba  # prints through its own handler at DEBUG once imported: import, then quieten

    jieba.setLogLevel(level)
