"""Index versions on disk: write into a temporary folder, publish by replacing ``CURRENT``.

Layout of ``<data_dir>/index/``::

    CURRENT          name of the live version folder (replaced atomically)
    v-<stamp>/       one complete version (see ``qa.index.hybrid``)
    .tmp-<stamp>/    a version being written (removed if the writer fails)
    .lock            held by the one process writing versions (``qa.index.lock``)

A crash at any point leaves the previous version live. Once a new version is published the
versions before the previous one are pruned (the previous one stays: a reader that read
``CURRENT`` just before the switch may still be opening its files). Leftovers of runs that
were killed are removed by the next writer before it starts (:func:`remove_leftovers`).

Example:
    >>> with new_version(root) as folder:
    ...     write_files(folder)
    >>> current_version(root)  # the folder just written, renamed v-<stamp>
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

POINTER = "CURRENT"


class IndexLoadError(Exception):
    """Base class for index problems (message is shown to users as is)."""


class IndexNotFoundError(IndexLoadError):
    """No index has been built yet."""


class IndexMismatchError(IndexLoadError):
    """The index was built with another model or format."""


class IndexCorruptError(IndexLoadError):
    """A file of the index is missing, truncated or unreadable (the message names it)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"索引文件损坏或缺失:{path}({reason})。"
            "运行 `yibao ingest --rebuild` 可重建索引(`yibao ingest --if-stale` 也会自动重建)。"
        )
        self.path = path


def live_name(root: Path) -> str:
    """The name ``CURRENT`` points at, or ``""`` when there is none (never raises)."""
    try:
        return (root / POINTER).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def current_version(root: Path) -> Path:
    """Folder of the live index version, or ``IndexNotFoundError``."""
    pointer = root / POINTER
    if not pointer.is_file():
        raise IndexNotFoundError(f"还没有索引({root})。请先运行 `yibao ingest` 建立索引。")
    name = live_name(root)
    if not name.startswith("v-") or "/" in name or "\\" in name:
        raise IndexCorruptError(pointer, f"内容不是版本目录名:{name[:40]!r}")
    folder = root / name
    if not (folder / "meta.json").is_file():
        raise IndexNotFoundError(f"索引目录不完整({folder})。请运行 `yibao ingest --rebuild`。")
    return folder


@contextmanager
def new_version(root: Path) -> Iterator[Path]:
    """A temporary folder to write a version into; published when the block ends cleanly.

    The caller writes every file into the yielded folder. On success the folder is fsynced,
    renamed to ``v-<stamp>``, made current and older versions are pruned; on any exception
    (including Ctrl-C) it is removed and the previous version stays live.
    """
    root.mkdir(parents=True, exist_ok=True)
    previous = live_name(root)
    stamp = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = root / f".tmp-{stamp}"
    tmp.mkdir()
    try:
        yield tmp
        _fsync_tree(tmp)
        final = root / f"v-{stamp}"
        os.replace(tmp, final)
        _publish(root, final.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep={final.name, previous})
    logger.info("published index version=%s", final.name)


def _publish(root: Path, name: str) -> None:
    tmp = root / f".{POINTER}.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)


def remove_leftovers(root: Path) -> list[str]:
    """Remove what killed writers left (``.tmp-*`` folders, ``.CURRENT.*`` files); their names.

    Call it only while holding the writer lock (``qa.index.lock``): then no other process
    is writing, so every temporary entry is a leftover.
    """
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if entry.name.startswith(".tmp-") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{POINTER}.") and entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            continue
        removed.append(entry.name)
    if removed:
        logger.info("removed leftovers of interrupted runs: %s", ", ".join(sorted(removed)))
    return removed


def _prune(root: Path, keep: set[str]) -> None:
    """Remove versions not in ``keep`` and temporary folders left by interrupted runs."""
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in keep and entry.name.startswith(("v-", ".tmp-")):
            shutil.rmtree(entry, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
