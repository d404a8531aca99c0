"""The Milvus store: the same signals as the local index, in Milvus collections.

``YIBAO_MILVUS_URI`` is a file path (an embedded milvus-lite database, as in the tests) or
``http://host:19530`` (a Milvus server or cluster; tested here through milvus-lite only).
Three collections, named from ``YIBAO_MILVUS_COLLECTION`` (``<c>`` below)::

    <c>          one row per chunk: row (primary key), passage and title vectors (IP),
                 ``text`` = title + " " + text and ``title``, each analysed by
                 ``{"tokenizer": "jieba"}`` into a BM25 sparse field by a ``Function(BM25)``
                 (SPARSE_INVERTED_INDEX), and the chunk record as JSON
    <c>_pieces   one row per sentence piece: piece (primary key), its vector, its chunk row
    <c>_records  the index meta (id 0) and the documents as JSON lines cut in parts (ids 1…)

Milvus cannot load the project's jieba user dictionary or synonyms into its analyzer: the
query's synonyms are searched separately and weighted here, as in ``LocalStore``, but the
tokens of both sides are Milvus's jieba defaults (see qa/stores/MILVUS_NOTES.md).

Example:
    >>> MilvusStore.write(index, ".yibao/milvus.db", "", "yibao")
    >>> store = MilvusStore.open(".yibao/milvus.db", "", "yibao", model_id=index.meta.model_id)
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from qa.index.hybrid import HybridIndex, IndexMeta, _document_from, check_compatible
from qa.index.versions import IndexNotFoundError
from qa.stores.base import LexicalField, Ranked, VectorField
from qa.stores.milvus_schema import SPARSE_FIELDS, create_collections, switch_aliases
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

MAX_TOPK = 16384  # Milvus's limit on one search
PART_CHARS = 16_000  # a VARCHAR holds 65 535 bytes; 16 000 chars fit even as 4-byte UTF-8
BATCH = 1000
VECTOR_FIELDS = {"passage": "passage", "title": "title_vector"}


def connect(uri: str, token: str = "") -> Any:
    """A ``MilvusClient`` for ``uri`` (a file path opens milvus-lite)."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover — depends on the environment
        raise ImportError(
            'YIBAO_STORE=milvus needs pymilvus: pip install "yibao-qa[milvus]"'
        ) from exc
    return MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)


def _is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://"))


class MilvusStore:
    """``IndexStore`` over Milvus collections written by :meth:`write`."""

    def __init__(
        self,
        client: Any,
        collection: str,
        meta: IndexMeta,
        chunks: list[Chunk],
        documents: list[Document],
        most_pieces: int,
        version: str = "",
    ) -> None:
        self.client = client
        self.collection = collection
        self.meta = meta
        self._chunks = chunks
        self._documents = documents
        self._by_id = {d.doc_id: d for d in documents}
        self.most_pieces = most_pieces
        self._version = version

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, row ``i`` at position ``i`` (read once, on open)."""
        return self._chunks

    @property
    def documents(self) -> Sequence[Document]:
        """Every document (read once, on open)."""
        return self._documents

    @property
    def version(self) -> str:
        """The local version the collections were written from."""
        return self._version

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        return self._chunks[row]

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        return self._by_id.get(doc_id)

    def close(self) -> None:
        """Release the client (milvus-lite allows one process per database file)."""
        self.client.close()

    def _search(self, name: str, data: list, field: str, limit: int, metric: str) -> list[dict]:
        found = self.client.search(
            name,
            data=data,
            anns_field=field,
            limit=min(limit, MAX_TOPK),
            output_fields=["row"],
            search_params={"metric_type": metric},
        )
        return list(found[0]) if found else []

    def dense_top(self, field: VectorField, query: np.ndarray, k: int) -> Ranked:
        """The ``k`` best rows by passage, title or best-piece inner product."""
        k = min(k, len(self._chunks))
        if k <= 0:
            return []
        vector = [np.asarray(query, dtype=np.float32).tolist()]
        if field == "piece":
            best: dict[int, float] = {}
            limit = k * max(self.most_pieces, 1)
            for hit in self._search(f"{self.collection}_pieces", vector, "vector", limit, "IP"):
                best.setdefault(int(hit["entity"]["row"]), float(hit["distance"]))
            return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]
        hits = self._search(self.collection, vector, VECTOR_FIELDS[field], k, "IP")
        ranked = [(int(h["entity"]["row"]), float(h["distance"])) for h in hits]
        return sorted(ranked, key=lambda item: (-item[1], item[0]))

    def _bm25(self, field: LexicalField, words: Sequence[str], k: int) -> Ranked:
        text = " ".join(words).strip()
        if not text:
            return []
        hits = self._search(self.collection, [text], SPARSE_FIELDS[field], k, "BM25")
        # milvus-lite reports BM25 as a negative distance, the server as a positive score
        return [(int(h["entity"]["row"]), abs(float(h["distance"]))) for h in hits]

    def lexical_top(
        self,
        field: LexicalField,
        terms: Sequence[str],
        extra: Sequence[str],
        extra_weight: float,
        k: int,
        floor: float | None = None,
    ) -> Ranked:
        """The ``k`` best rows by Milvus BM25 (jieba analyzer), synonyms searched apart and
        weighted; a row found by only one of the two searches gets 0 from the other."""
        if k <= 0:
            return []
        scores: dict[int, float] = defaultdict(float)
        for row, score in self._bm25(field, terms, k):
            scores[row] += score
        if extra and extra_weight > 0:
            for row, score in self._bm25(field, extra, k):
                scores[row] += extra_weight * score
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [(r, s) for r, s in ranked if floor is None or s > floor]

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
            IndexNotFoundError: Nothing was written to ``collection`` yet.
            IndexMismatchError: Written with another embedding model or backend.
        """
        client = connect(uri, token)
        collection = _resolve(client, collection)  # pin the version: a later switch cannot mix
        names = (collection, f"{collection}_pieces", f"{collection}_records")
        if not all(client.has_collection(n) for n in names):
            client.close()
            raise IndexNotFoundError(
                f"Milvus 中没有集合 {collection!r}。请先运行 `YIBAO_STORE=milvus yibao ingest`。"
            )
        records = {int(r["id"]): r["record"] for r in _scan(client, names[2], "id", ["record"])}
        raw = json.loads(records.pop(0))
        version = raw.pop("version", "")
        meta = IndexMeta(**{k: v for k, v in raw.items() if k in IndexMeta.__dataclass_fields__})
        check_compatible(meta, model_id, backend)
        lines = "".join(records[i] for i in sorted(records)).splitlines()
        documents = [_document_from(json.loads(line)) for line in lines if line]
        rows = sorted(_scan(client, collection, "row", ["record"]), key=lambda r: r["row"])
        chunks = [_chunk_from(json.loads(r["record"])) for r in rows]
        pieces = Counter(int(r["row"]) for r in _scan(client, names[1], "piece", ["row"]))
        most = max(pieces.values(), default=0)
        logger.info("opened milvus collection=%s chunks=%d", collection, len(chunks))
        return cls(client, collection, meta, chunks, documents, most, version)

    @staticmethod
    def write(index: HybridIndex, uri: str, token: str, collection: str, version: str = "") -> None:
        """Replace the collections with ``index``'s chunks, vectors, titles and pieces."""
        client = connect(uri, token)
        live, collection = collection, f"{collection}__{_stamp(version or index.version)}"
        try:
            create_collections(client, collection, index.meta.dim, _is_lite(uri))
            n = len(index.chunks)
            titles = index.titles
            for start in range(0, n, BATCH):
                rows = [
                    {
                        "row": row,
                        "passage": index.vector_of(row).tolist(),
                        "title_vector": titles.vector_of(row).tolist(),
                        "text": f"{chunk.title} {chunk.text}",
                        "title": chunk.title,
                        "record": json.dumps(asdict(chunk), ensure_ascii=False),
                    }
                    for row, chunk in enumerate(index.chunks[start : start + BATCH], start)
                ]
                client.insert(collection, rows)
            spans = index.sentences.spans
            for start in range(0, len(spans), BATCH):
                pieces = [
                    {
                        "piece": p,
                        "vector": index.sentences.vector_of(p).tolist(),
                        "row": int(spans[p, 0]),
                    }
                    for p in range(start, min(start + BATCH, len(spans)))
                ]
                client.insert(f"{collection}_pieces", pieces)
            meta = asdict(index.meta) | {"version": version or index.version}
            lines = "".join(
                json.dumps(asdict(d), ensure_ascii=False) + "\n" for d in index.documents
            )
            parts = [json.dumps(meta, ensure_ascii=False)]
            parts += [lines[i : i + PART_CHARS] for i in range(0, len(lines), PART_CHARS)]
            records = [{"id": i, "vector": [1.0, 0.0], "record": p} for i, p in enumerate(parts)]
            client.insert(f"{collection}_records", records)
            switch_aliases(client, live, collection)  # only now do queries see it
            logger.info("wrote milvus collection=%s chunks=%d pieces=%d", collection, n, len(spans))
        finally:
            client.close()


def live_version(uri: str, token: str, collection: str) -> str:
    """The version the alias ``collection`` serves now ("" when nothing was written): what a
    running server compares with the version it loaded, to pick up another process's write."""
    client = connect(uri, token)
    try:
        if not client.has_collection(f"{collection}_records"):
            return ""
        found = client.query(f"{collection}_records", filter="id == 0", output_fields=["record"])
        return str(json.loads(found[0]["record"]).get("version", "")) if found else ""
    finally:
        client.close()


def _resolve(client: Any, name: str) -> str:
    """The collection an alias points at now (``name`` itself when it is no alias)."""
    if name in client.list_aliases().get("aliases", []):
        return str(client.describe_alias(name).get("collection_name") or name)
    return name


def _stamp(version: str) -> str:
    """A collection-name-safe version stamp (letters, digits, underscores), unique per write."""
    safe = re.sub(r"[^0-9A-Za-z]", "_", version)[:40]
    return f"{safe}_{uuid.uuid4().hex[:6]}" if safe else uuid.uuid4().hex[:12]


def _chunk_from(rec: dict) -> Chunk:
    return Chunk(**{**rec, "regions": tuple(rec["regions"])})


def _scan(client: Any, name: str, key: str, fields: list[str]) -> list[dict]:
    """Every row of ``name``, read in primary-key ranges (a query returns at most 16 384)."""
    out: list[dict] = []
    last = -1
    while True:
        found = client.query(
            name, filter=f"{key} > {last}", output_fields=[key, *fields], limit=BATCH
        )
        if not found:
            return out
        out.extend(found)
        last = max(int(r[key]) for r in found)
