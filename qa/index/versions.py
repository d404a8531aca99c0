"""Index versions on disk: write into a temporary folder, publish by replacing ``CURRENT``.

Layout of ``<data_dir>/index/``::

    CURRENT          name of the live version folder (replaced atomically)
    v-<stamp>/       one complete version (see ``qa.index.hybrid``)
    .tmp-<stamp>/    a version being written (removed if the writer fails)

A crash at any point leaves the previous version live; older versions and leftovers of
interrupted runs are pruned once a new version is published.

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


def current_version(root: Path) -> Path:
    """Folder of the live index version, or ``IndexNotFoundError``."""
    pointer = root / POINTER
    if not pointer.is_file():
        raise IndexNotFoundError(f"还没有索引({root})。请先运行 `yibao ingest` 建立索引。")
    folder = root / pointer.read_text("utf-8").strip()
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
    _prune(root, keep=final.name)
    logger.info("published index version=%s", final.name)


def _publish(root: Path, name: str) -> None:
    tmp = root / f".{POINTER}.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)


def _prune(root: Path, keep: str) -> None:
    """Remove older versions and temporary folders left by interrupted runs."""
    for entry in root.iterdir():
        if entry.is_dir() and entry.name != keep and entry.name.startswith(("v-", ".tmp-")):
            shutil.rmtree(entry, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
