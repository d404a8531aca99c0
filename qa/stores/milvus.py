"""The Milvus store: the same signals as the local index, in Milvus collections.

``YIBAO_MILVUS_URI`` is a file path (an embedded milvus-lite database, as in the tests) or
``http://host:19530`` (a Milvus server or cluster; tested here through milvus-lite only).
Three collections, named from ``YIBAO_MILVUS_COLLECTION`` (``<c>`` below; aliases of the
versioned collections a full write creates, see ``qa.stores.milvus_schema``)::

    <c>          one row per chunk: row (primary key), source (partition key), batch, passage
                 and title vectors (IP), BM25 sparse vectors of title + text and of the title
                 (IP, weights from the project's own tokens, see ``qa.stores.milvus_lexical``),
                 and the chunk record as JSON
    <c>_pieces   one row per sentence piece: piece (primary key), its vector, its chunk row
    <c>_records  manifests, term statistics and the documents as JSON parts (key = primary key)

Writes (``qa.stores.milvus_write``) touch only the sources that changed; a store queries only
the batches its manifest names, read once on open. Chunks and documents are fetched on demand
into small LRU caches: the process holds no corpus but the folded texts behind ``substrings``.
Example: ``MilvusStore.open(".yibao/milvus.db", "", "yibao", model_id=index.meta.model_id)``.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from qa.index.hybrid import HybridIndex, IndexMeta, check_compatible
from qa.index.records import links_from
from qa.index.versions import IndexNotFoundError
from qa.stores.base import LexicalField, Ranked, VectorField
from qa.stores.milvus_client import (
    MAX_TOPK,
    MilvusBusyError,
    _Cache,
    _chunk_from,
    _Documents,
    _is_lite,
    _join_documents,
    _Rows,
    best_pieces,
    connect,
)
from qa.stores.milvus_lexical import TermStats, query_vector
from qa.stores.milvus_manifest import Manifest, read_manifest
from qa.stores.milvus_schema import SPARSE_FIELDS
from qa.stores.milvus_write import _resolve, write_index
from qa.text.substrings import SubstringIndex
from qa.types import Chunk, Document, LinkTitle

__all__ = ["MilvusBusyError", "MilvusStore", "connect"]

logger = logging.getLogger(__name__)

CHUNK_CACHE = 4096
DOCUMENT_CACHE = 256
VECTOR_FIELDS = {"passage": "passage", "title": "title_vector"}
FIELDS = ["row", "record"]
TIES = 2  # search 2k, sort, cut to k: rows tied at the k-th score go by row, as in the local store


class MilvusStore:
    """``IndexStore`` over Milvus collections written by :meth:`write`."""

    def __init__(
        self,
        client: Any,
        collection: str,
        manifest: Manifest,
        stats: dict[str, TermStats],
    ) -> None:
        self.client = client
        self.collection = collection
        self.manifest = manifest
        self.meta = IndexMeta(
            **{k: v for k, v in manifest.meta.items() if k in IndexMeta.__dataclass_fields__}
        )
        self.stats = stats
        self.most_pieces = manifest.most_pieces
        self._filter = f"batch in {manifest.batches()}"
        self._chunks = _Cache(CHUNK_CACHE)
        self._documents = _Cache(DOCUMENT_CACHE)
        self._closer = weakref.finalize(self, client.close)  # a replaced store frees its client

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, indexable by row (fetched on demand)."""
        return _Rows(self)

    @property
    def documents(self) -> Sequence[Document]:
        """Every document, read source by source when iterated."""
        return _Documents(self)

    @property
    def version(self) -> str:
        """The local version the live manifest was written from."""
        return self.manifest.version

    @cached_property
    def substrings(self) -> SubstringIndex:
        """Document frequencies, built on first use from every document (folded texts kept)."""
        return SubstringIndex.of(self.documents)

    @cached_property
    def link_titles(self) -> Sequence[LinkTitle]:
        """The corpus's title-only link-list entries (from the manifest's meta)."""
        return links_from(self.meta.link_titles)

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row`` (cached; ``IndexError`` when no live chunk has it)."""
        chunk = self._chunks.get(row)
        if chunk is None:
            found = self.client.query(
                self.collection,
                filter=f"row == {int(row)} and {self._filter}",
                output_fields=["record"],
            )
            if not found:
                raise IndexError(row)
            chunk = _chunk_from(json.loads(found[0]["record"]))
            self._chunks.put(row, chunk)
        return chunk

    def _prefetch(self, rows: list[int]) -> None:
        """Read the records of the rows not cached yet, in one query."""
        missing = [row for row in rows if row not in self._chunks]
        if missing:
            found = self.client.query(
                self.collection,
                filter=f"row in {missing} and {self._filter}",
                output_fields=["row", "record"],
            )
            for rec in found:
                self._chunks.put(int(rec["row"]), _chunk_from(json.loads(rec["record"])))

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None (cached)."""
        doc = self._documents.get(doc_id)
        if doc is None:
            found = self.client.query(
                f"{self.collection}_records",
                filter=f"name == {json.dumps(doc_id)} and {self._filter}",
                output_fields=["key", "name", "record"],
            )
            doc = next(_join_documents(found), None)
            if doc is not None:
                self._documents.put(doc_id, doc)
        return doc

    def close(self) -> None:
        """Release the client (also done when the store is garbage-collected)."""
        self._closer()

    def _search(self, name: str, data: list, field: str, limit: int, fields: list) -> list[dict]:
        found = self.client.search(
            name,
            data=data,
            anns_field=field,
            limit=min(limit, MAX_TOPK),
            filter=self._filter,
            output_fields=fields,
            search_params={"metric_type": "IP"},
        )
        return list(found[0]) if found else []

    def _ranked(self, hits: list[dict]) -> Ranked:
        """Rows and scores of chunk hits, their records cached on the way."""
        for hit in hits:
            row = int(hit["entity"]["row"])
            if row not in self._chunks:
                self._chunks.put(row, _chunk_from(json.loads(hit["entity"]["record"])))
        ranked = [(int(h["entity"]["row"]), float(h["distance"])) for h in hits]
        return sorted(ranked, key=lambda item: (-item[1], item[0]))

    def dense_top(self, field: VectorField, query: np.ndarray, k: int) -> Ranked:
        """The ``k`` best rows by passage, title or best-piece inner product."""
        k = min(k, self.manifest.n_chunks)
        if k <= 0:
            return []
        if field == "piece":
            limit, name = k * max(self.most_pieces, 1), f"{self.collection}_pieces"
            ranked = best_pieces(self.client, name, query, limit, self._filter)[:k]
            self._prefetch([row for row, _ in ranked])
            return ranked
        vector = [np.asarray(query, dtype=np.float32).tolist()]
        hits = self._search(self.collection, vector, VECTOR_FIELDS[field], TIES * k, FIELDS)
        return self._ranked(hits)[:k]

    def piece_top(self, query: np.ndarray, rows: Iterable[int], k: int) -> Ranked:
        """The ``k`` of ``rows`` with the best piece inner product (all their pieces)."""
        wanted = sorted({int(r) for r in rows})
        if k <= 0 or not wanted:
            return []
        limit, name = len(wanted) * max(self.most_pieces, 1), f"{self.collection}_pieces"
        where = f"row in {wanted} and {self._filter}"
        return best_pieces(self.client, name, query, limit, where)[:k]

    def lexical_top(
        self,
        field: LexicalField,
        terms: Sequence[str],
        extra: Sequence[str],
        extra_weight: float,
        k: int,
        floor: float | None = None,
    ) -> Ranked:
        """The ``k`` best rows by BM25 as bm25s scores it: one sparse inner-product search of
        the terms' IDF weights (synonyms at ``extra_weight``) against the rows' tf weights.
        Rows sharing no term with the query are not returned (bm25s scores them 0)."""
        vector = query_vector(self.stats[field], terms, extra, extra_weight)
        if k <= 0 or not vector:
            return []
        hits = self._search(self.collection, [vector], SPARSE_FIELDS[field], TIES * k, FIELDS)
        return [(r, s) for r, s in self._ranked(hits)[:k] if floor is None or s > floor]

    @classmethod
    def open(
        cls,
        uri: str,
        token: str,
        collection: str,
        model_id: str | None = None,
        backend: str | None = None,
    ) -> MilvusStore:
        """Open collections written by :meth:`write`; refuse another model or backend.

        Raises:
            IndexNotFoundError: Nothing (or an older layout) was written to ``collection``.
            IndexMismatchError: Written with another embedding model or backend.
            MilvusBusyError: Another process holds the milvus-lite file.
        """
        client = connect(uri, token)
        try:
            name = _resolve(client, collection)  # pin the version: a later switch cannot mix
            names = (name, f"{name}_pieces", f"{name}_records")
            if not all(client.has_collection(n) for n in names):
                raise IndexNotFoundError(
                    f"Milvus 中没有集合 {collection!r}。"
                    "请先运行 `YIBAO_STORE=milvus yibao ingest`。"
                )
            for n in names:  # a database reopened by another process starts released
                client.load_collection(n)
            manifest = read_manifest(client, name)
            if manifest is None:
                raise IndexNotFoundError(
                    f"Milvus 集合 {collection!r} 是旧格式写入的。请运行 "
                    "`YIBAO_STORE=milvus yibao ingest --rebuild` 重新写入。"
                )
            meta = IndexMeta(
                **{k: v for k, v in manifest.meta.items() if k in IndexMeta.__dataclass_fields__}
            )
            check_compatible(meta, model_id, backend)
            parts = client.query(
                names[2],
                filter=f'name == "stats" and batch == {manifest.stats_batch}',
                output_fields=["key", "record"],
                limit=MAX_TOPK,
            )
            raw = json.loads("".join(p["record"] for p in sorted(parts, key=lambda p: p["key"])))
        except BaseException:
            client.close()
            raise
        stats = {field: TermStats.from_json(raw[field]) for field in ("text", "title")}
        logger.info("opened milvus collection=%s chunks=%d", name, manifest.n_chunks)
        return cls(client, name, manifest, stats)

    @staticmethod
    def write(
        index: HybridIndex,
        uri: str,
        token: str,
        collection: str,
        version: str = "",
        full: bool = False,
    ) -> str:
        """Bring the collections to ``index``: only changed sources are rewritten, unless
        ``full`` (or nothing compatible is live); return "full", "incremental" or "unchanged"."""
        client = connect(uri, token)
        try:
            done = write_index(
                client, index, collection, version or index.version, _is_lite(uri), full
            )
            logger.info("milvus write collection=%s: %s", collection, done)
            return done
        finally:
            client.close()
