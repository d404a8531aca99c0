"""The knowledge base: which files and folders the index is built from, kept in the data dir.

``<data_dir>/kb.json`` records the sources (absolute paths of files and folders), the files
removed from inside a source folder and single documents removed from a file::

    {"sources": ["/srv/yibao/corpus", "/srv/yibao/.yibao/uploads"],
     "removed": ["/srv/yibao/corpus/003_3fbbaf7e0e8df3e2.txt"],
     "removed_docs": ["9c1e…"]}

Without the file the knowledge base is what the live index was built from (its
``meta.json``), else the shipped ``corpus/`` folder. Uploaded documents are stored in
``<data_dir>/uploads/``, itself a source; removing one deletes the file. Every change is
followed by an ingestion (``ingest.pipeline.run_ingest``), which publishes a new version.

Example:
    >>> kb = KnowledgeBase.load(settings)
    >>> kb.add([Path("mydocs")])
    >>> kb.save(settings)
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qa.index.hybrid import recorded_sources
from qa.index.lock import IndexBusyError, writer_lock
from qa.settings import Settings

logger = logging.getLogger(__name__)

KB_FILE = "kb.json"
KB_LOCK = ".kb.lock"
KB_LOCK_WAIT = 30.0
UPLOADS = "uploads"
_UNSAFE_NAME = re.compile(r"[^\w.\-()（）\u3000-\u9fff]+")


class KnowledgeBaseError(ValueError):
    """A change the knowledge base cannot make (message in Chinese, shown as is)."""


@dataclass
class KnowledgeBase:
    """The recorded sources (absolute paths) and the files removed from inside them."""

    sources: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, settings: Settings) -> KnowledgeBase:
        """The recorded knowledge base, or the live index's sources, or ``corpus_dir``."""
        path = settings.data_dir / KB_FILE
        if not path.is_file():
            default = recorded_sources(settings.index_dir) or [settings.corpus_dir]
            return cls([p.absolute() for p in default])
        try:
            raw = json.loads(path.read_text("utf-8"))
            return cls(
                [Path(p) for p in raw.get("sources", [])],
                [Path(p) for p in raw.get("removed", [])],
                [str(d) for d in raw.get("removed_docs", [])],
            )
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise KnowledgeBaseError(f"知识库记录 {path} 无法读取({exc}),请修复或删除它。") from exc

    def save(self, settings: Settings) -> None:
        """Write ``kb.json`` atomically."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "sources": [str(p) for p in self.sources],
            "removed": [str(p) for p in self.removed],
            "removed_docs": list(self.removed_docs),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        _replace(settings.data_dir / KB_FILE, text.encode("utf-8"))

    def covers(self, path: Path) -> bool:
        """Whether ``path`` is a source or lies inside a source folder."""
        path = path.absolute()
        return any(path == s or s in path.parents for s in self.sources)

    def add(self, paths: list[Path]) -> list[Path]:
        """Add files or folders (an earlier removal of them is undone); the paths added."""
        added = []
        for given in paths:
            path = given.absolute()
            if not path.exists():
                raise KnowledgeBaseError(f"路径不存在:{given}")
            self.removed = [r for r in self.removed if r != path and path not in r.parents]
            if not self.covers(path):
                self.sources.append(path)
                added.append(path)
        return added

    def remove_path(self, given: Path, settings: Settings) -> Path:
        """Drop a source, or remove a file inside a source folder (an upload is deleted)."""
        path = given.absolute()
        if path in self.sources:
            self.sources.remove(path)
            return path
        if not self.covers(path):
            raise KnowledgeBaseError(f"{given} 不在知识库中。用 `yibao kb list` 查看来源。")
        if uploads_dir(settings) in path.parents:
            path.unlink(missing_ok=True)
        elif path not in self.removed:
            self.removed.append(path)
        return path

    def remove_document(self, doc_id: str) -> None:
        """Leave one document out of the index (the file's other documents stay)."""
        if doc_id not in self.removed_docs:
            self.removed_docs.append(doc_id)

    def removed_labels(self) -> set[str]:
        """``source`` labels (as the loader names files) of the removed files."""
        labels = set()
        for path in self.removed:
            for root in self.sources:
                if root.is_dir() and root in path.parents:
                    labels.add(path.relative_to(root).as_posix())
        return labels

    def file_of(self, source: str) -> Path | None:
        """The file a document's ``source`` label (path relative to its source) comes from."""
        for root in self.sources:
            if root.is_file() and root.name == source:
                return root
            if root.is_dir() and (root / source).is_file():
                return root / source
        return None

    def root_of(self, source: str) -> Path | None:
        """The source (file or folder) a document's ``source`` label comes from."""
        found = self.file_of(source)
        if found is None:
            return None
        return next((s for s in self.sources if found == s or s in found.parents), None)

    def paths(self) -> list[Path]:
        """The sources (what an ingestion reads); ``KnowledgeBaseError`` if one is gone.

        A missing source is an error, not a skip: rebuilding without it would silently drop
        its documents from the index.
        """
        missing = [str(p) for p in self.sources if not p.exists()]
        if missing:
            raise KnowledgeBaseError(
                f"知识库来源 {'、'.join(missing)} 已不存在,本次未重建,原索引继续使用。"
                "请恢复它,或用 `yibao kb remove 路径` 把它移出知识库。"
            )
        if not self.sources:
            raise KnowledgeBaseError("知识库没有任何来源。请用 `yibao kb add 路径` 添加。")
        return list(self.sources)


@contextmanager
def kb_lock(settings: Settings, timeout: float | None = None) -> Iterator[None]:
    """Hold the knowledge-base lock (across processes: the server and `yibao kb`) while
    reading, changing and saving ``kb.json``; ``KnowledgeBaseError`` if it stays taken."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        wait = KB_LOCK_WAIT if timeout is None else timeout
        with writer_lock(settings.data_dir, wait, name=KB_LOCK):
            yield
    except IndexBusyError as exc:
        raise KnowledgeBaseError("知识库正被另一个进程修改,请稍后再试。") from exc


def recorded_bytes(settings: Settings) -> bytes | None:
    """The bytes of ``kb.json`` (``None`` when there is none): to undo a change later."""
    try:
        return (settings.data_dir / KB_FILE).read_bytes()
    except OSError:
        return None


def restore(settings: Settings, before: bytes | None, written: bytes | None) -> bool:
    """Put ``kb.json`` back as it was before a change (``before``), unless another change
    was saved since (then it stays, and False is returned)."""
    with kb_lock(settings):
        if recorded_bytes(settings) != written:
            return False
        path = settings.data_dir / KB_FILE
        if before is None:
            path.unlink(missing_ok=True)
        else:
            _replace(path, before)
        return True


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` atomically: a temporary file beside it, then ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded documents are stored (a source of the knowledge base)."""
    return (settings.data_dir / UPLOADS).absolute()


def store_upload(
    settings: Settings, name: str, data: bytes, taken: Callable[[str], bool] | None = None
) -> Path:
    """Save an uploaded file under ``uploads/`` with a safe, unused name; its path.

    ``taken``: names to avoid besides the files already there (e.g. a file name another
    source of the knowledge base uses, which would give two documents one ``source``).
    """
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(Path(name).name)
    stem = _UNSAFE_NAME.sub("_", stem).strip("._") or "upload"
    target = folder / f"{stem[:80]}{suffix.lower()}"
    while target.exists() or (taken is not None and taken(target.name)):
        target = folder / f"{stem[:80]}-{uuid.uuid4().hex[:6]}{suffix.lower()}"
    _replace(target, data)  # hidden while written: a concurrent walk never reads half a file
    return target
