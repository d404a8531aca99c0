"""One writer at a time: an inter-process lock on ``<index_dir>/.lock`` (``flock``).

Every ingestion (CLI, server reindex) holds it from reading the previous index to publishing
the new one, so two runs can never delete each other's temporary folders or publish over
each other. The kernel releases the lock when its holder dies, so a killed run never leaves
the index locked.

Example:
    >>> with writer_lock(settings.index_dir, timeout=600):
    ...     run_the_ingestion()
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_NAME = ".lock"
_POLL_SECONDS = 0.2


class IndexBusyError(RuntimeError):
    """Another process is writing the index and did not finish within the wait."""


@contextmanager
def writer_lock(root: Path, timeout: float, name: str = LOCK_NAME) -> Iterator[None]:
    """Hold the index writer lock; wait up to ``timeout`` seconds for another holder.

    ``name``: another lock file in ``root`` (the knowledge base has its own, ``.kb.lock``).

    Raises:
        IndexBusyError: The lock was still held after ``timeout`` seconds (0 = do not wait).
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + max(timeout, 0.0)
    waiting = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if waiting:
                logger.warning("index lock acquired, continuing")
            return
        except BlockingIOError:
            holder = _holder(path)
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    f"另一个建索引进程(pid {holder})正在写入索引,本次未执行,原索引不受影响。"
                    "请等它结束后再试(锁文件:" + str(path) + ")。"
                ) from None
            if not waiting:
                logger.warning("another ingestion (pid %s) holds %s; waiting", holder, path)
                waiting = True
            time.sleep(_POLL_SECONDS)


def _holder(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip() or "?"
    except OSError:
        return "?"
