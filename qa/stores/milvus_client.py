"""Talking to Milvus: the client (with a clear message when milvus-lite's file is held by
another process), the lazy record views of ``qa.stores.milvus.MilvusStore`` and its
best-piece search (:func:`best_pieces`).

milvus-lite allows one process per database file: a second process fails to open it; the
same process may open several clients (they share one embedded server).
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.records import document_from
from qa.index.versions import IndexLoadError
from qa.types import Chunk, Document

if TYPE_CHECKING:
    from qa.stores.milvus import MilvusStore

MAX_TOPK = 16384  # Milvus's limit on one search or query
PAGE = 1000  # rows per query when iterating every chunk


class MilvusBusyError(IndexLoadError):
    """Another process holds the milvus-lite database file (message for users)."""


#: milvus-lite's embedded gRPC server keeps grpc's default ping policy (one ping per 5 minutes
#: without calls); pymilvus pings every 10 s, so an idle client is sent GOAWAY "too_many_pings"
#: and its next call fails (UNAVAILABLE). Seen in long test sessions: ping only while calling.
LITE_GRPC_OPTIONS = {
    "grpc.keepalive_time_ms": 300_000,
    "grpc.keepalive_permit_without_calls": 0,
}


def connect(uri: str, token: str = "") -> Any:
    """A ``MilvusClient`` for ``uri`` (a file path opens milvus-lite).

    Raises:
        MilvusBusyError: Another process holds the milvus-lite file (one process per file).
    """
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover — depends on the environment
        raise ImportError(
            'YIBAO_STORE=milvus needs pymilvus: pip install "yibao-qa[milvus]"'
        ) from exc
    if _is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)  # milvus-lite needs the folder
    lite_log = logging.getLogger("milvus_lite.server_manager")
    quiet = _Quiet()  # milvus-lite logs a traceback for a held file; the message below says it
    lite_log.addFilter(quiet)
    try:
        options = {"grpc_options": LITE_GRPC_OPTIONS} if _is_lite(uri) else {}
        return (
            MilvusClient(uri=uri, token=token, **options)
            if token
            else MilvusClient(uri=uri, **options)
        )
    except Exception as exc:
        if _is_lite(uri) and (_locked(exc) or _held_elsewhere(uri)):
            raise MilvusBusyError(
                f"Milvus Lite 数据库 {uri} 正被另一个进程使用(例如正在运行的 yibao serve)。"
                "Milvus Lite 一个数据库文件只允许一个进程打开:请先停止那个进程,"
                "或在服务运行时通过管理页面/接口重建索引,或改用 Milvus 服务器(http://…)。"
            ) from exc
        for record in quiet.held:  # any other failure: its log is shown after all
            lite_log.handle(record)
        raise
    finally:
        lite_log.removeFilter(quiet)


class _Quiet(logging.Filter):
    """Holds back milvus-lite's records while a client opens (shown if it fails otherwise)."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record in self.held:
            return True
        self.held.append(record)
        return False


def _held_elsewhere(uri: str) -> bool:
    """True when another process holds milvus-lite's ``LOCK`` file in the database folder
    (pymilvus only says "Open local milvus failed")."""
    lock = Path(uri) / "LOCK"
    if not lock.exists():
        return False
    with open(lock, "rb") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _locked(exc: BaseException | None) -> bool:
    while exc is not None:
        if type(exc).__name__ == "DataDirLockedError" or "holds the lock" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://"))


class _Cache:
    """A small LRU mapping, safe to share between the server's request threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Any) -> bool:
        return key in self._items

    def get(self, key: Any) -> Any:
        """The value of ``key`` (now the most recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class _Rows(Sequence):
    """The chunks by row, fetched on demand; iteration pages through the live rows."""

    def __init__(self, store: MilvusStore) -> None:
        self.store = store

    def __len__(self) -> int:
        return self.store.manifest.n_chunks

    def __getitem__(self, row: Any) -> Any:
        return self.store.chunk(row)

    def __iter__(self) -> Iterator[Chunk]:
        store, last = self.store, -1
        while True:  # the live rows in primary-key order, a page at a time
            found = store.client.query(
                store.collection,
                filter=f"row > {last} and {store._filter}",
                output_fields=["row", "record"],
                limit=PAGE,
            )
            if not found:
                return
            found.sort(key=lambda r: int(r["row"]))
            for rec in found:
                yield _chunk_from(json.loads(rec["record"]))
            last = int(found[-1]["row"])


class _Documents(Sequence):
    """The documents, read source by source when iterated (never all held at once)."""

    def __init__(self, store: MilvusStore) -> None:
        self.store = store

    def __len__(self) -> int:
        return self.store.manifest.n_documents

    def __getitem__(self, i: Any) -> Any:
        raise TypeError("documents are read by id (store.document) or iterated")

    def __iter__(self) -> Iterator[Document]:
        name = f"{self.store.collection}_records"
        for batch in sorted(self.store.manifest.live.values()):
            found = self.store.client.query(
                name,
                filter=f'batch == {batch} and name != "manifest"',
                output_fields=["key", "name", "record"],
                limit=MAX_TOPK,
            )
            yield from _join_documents(found)


def _join_documents(found: list[dict]) -> Iterator[Document]:
    """Documents from their record parts (``d/<batch>/<doc_id>/<part>``), in key order."""
    parts: dict[str, list[tuple[str, str]]] = {}
    for rec in found:
        if str(rec["key"]).startswith("d/"):
            parts.setdefault(rec["name"], []).append((rec["key"], rec["record"]))
    for doc_id in sorted(parts):
        yield document_from(json.loads("".join(p for _, p in sorted(parts[doc_id]))))


def _chunk_from(rec: dict) -> Chunk:
    return Chunk(**{**rec, "regions": tuple(rec["regions"])})


def best_pieces(client: Any, name: str, query: np.ndarray, limit: int, where: str) -> list:
    """``(chunk row, score)`` of the chunks among the ``limit`` pieces of collection ``name``
    (matching ``where``) most similar to ``query``, by their best piece: best first, ties by
    row."""
    found = client.search(
        name,
        data=[np.asarray(query, dtype=np.float32).tolist()],
        anns_field="vector",
        limit=min(limit, MAX_TOPK),
        filter=where,
        output_fields=["row"],
        search_params={"metric_type": "IP"},
    )
    best: dict[int, float] = {}
    for hit in found[0] if found else []:  # pieces come best first
        best.setdefault(int(hit["entity"]["row"]), float(hit["distance"]))
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))
