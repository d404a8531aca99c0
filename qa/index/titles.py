"""Chunk titles as their own retrieval signal: a title BM25 index and one title vector per chunk.

Most snippets are titled with a question (``医保卡丢了哪里去补办``), so a user's question is
compared with titles directly: lexically (BM25 over title tokens plus synonyms) and
semantically (each title embedded *as a query*, so the match is question-to-question).
Row ``i`` of both belongs to chunk ``i`` of the index.

Files, inside an index version folder (plain arrays and JSON, no pickle)::

    title_bm25/          term counts and row gaps (arrays.npz) + vocab.json (``qa.index.bm25``)
    title_vectors.faiss  fp16 inner-product store of the distinct titles, L2-normalised
    title_rows.npy       int32 (n_chunks,): row of title_vectors.faiss holding chunk i's title
    title_keys.json      embedding cache key per row (reused by incremental ingestion)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.bm25 import build_bm25, check_bm25, load_bm25, save_bm25
from qa.index.vectorstore import build_store, read_store, search, vector, write_store
from qa.stores.integer_scan import PREFILTER_MIN_ROWS

if TYPE_CHECKING:
    import bm25s

logger = logging.getLogger(__name__)

BM25_DIR = "title_bm25"
VECTORS = "title_vectors.faiss"
KEYS = "title_keys.json"
OWNERS = "title_rows.npy"
#: fp16 codes: 8-bit title codes swapped two near-tied hits of one dev question (its answer
#: changed); 8-bit passages and pieces leave every dev and dev2 answer as it was.
TITLE_BITS = 16


class TitleIndexError(ValueError):
    """The title files are missing or do not match the chunks (message for users)."""


@dataclass
class TitleIndex:
    """Title BM25 and title vectors, row-aligned with the index's chunks.

    Chunks of one section or snippet share their title, so each distinct title (by cache key)
    is stored once and ``owner[row]`` names the stored vector of chunk ``row``.

    Attributes:
        bm25: A ``bm25s.BM25`` over each chunk's title tokens.
        vectors: fp16 store of the distinct titles' unit vectors.
        keys: Embedding cache key per chunk row (see :func:`title_key`).
        owner: ``(n_chunks,)`` int32: row of ``vectors`` holding chunk ``i``'s title.
    """

    bm25: bm25s.BM25
    vectors: Any  # faiss.Index (qa.index.vectorstore)
    keys: list[str]
    owner: np.ndarray

    def __post_init__(self) -> None:
        order = np.argsort(self.owner, kind="stable")
        bounds = np.searchsorted(self.owner[order], np.arange(self.vectors.ntotal + 1))
        self._members = [order[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]

    @classmethod
    def build(
        cls,
        tokens: Iterable[Sequence[str]],
        vectors: np.ndarray,
        keys: Sequence[str],
        probes: np.ndarray | None = None,
        ranges: np.ndarray | None = None,
    ) -> TitleIndex:
        """Index title tokens (one list per chunk, streamed) next to their vectors (one per
        chunk)."""
        bm25 = build_bm25(tokens)
        if bm25.scores["num_docs"] != max(len(vectors), 1) or len(keys) != len(vectors):
            raise ValueError("title tokens, vectors and keys must have one row per chunk")
        first: dict[str, int] = {}
        owner = np.array([first.setdefault(k, len(first)) for k in keys], dtype=np.int32)
        distinct = np.unique(owner, return_index=True)[1]  # each title's first row
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        store = build_store(vectors[distinct], dim, TITLE_BITS, probes=probes, ranges=ranges)
        return cls(bm25, store, list(keys), owner)

    def bm25_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every title for the query tokens (zeros without tokens)."""
        n = len(self.owner)
        if not tokens or n == 0:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(list(tokens)))[:n]

    def dense_top(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` chunk rows whose title is most similar to a unit query vector:
        ``(row, cosine)``, best first, ties by row (exact: distinct titles are searched until
        their chunks cover ``k`` rows)."""
        wanted = min(k, len(self.owner))
        if wanted <= 0:
            return []
        m = min(wanted, self.vectors.ntotal)
        while True:
            found = search(self.vectors, query_vector, m)
            rows = [(int(r), score) for t, score in found for r in self._members[t]]
            if len(rows) >= wanted or m >= self.vectors.ntotal:
                return sorted(rows, key=lambda item: (-item[1], item[0]))[:wanted]
            m = min(2 * m, self.vectors.ntotal)

    def vector_of(self, row: int) -> np.ndarray:
        """Title vector of chunk ``row`` (float32)."""
        return vector(self.vectors, int(self.owner[row]))

    def save(self, folder: Path) -> None:
        """Write the title files into an index version folder."""
        save_bm25(self.bm25, folder / BM25_DIR)
        write_store(self.vectors, folder / VECTORS, PREFILTER_MIN_ROWS)
        np.save(folder / OWNERS, self.owner, allow_pickle=False)
        (folder / KEYS).write_text(json.dumps(self.keys), "utf-8")

    @classmethod
    def load(cls, folder: Path, n_chunks: int, dim: int) -> TitleIndex:
        """Read the title files; refuse ones that do not fit ``n_chunks`` × ``dim``."""
        try:
            vectors = read_store(folder / VECTORS)
            owner = np.load(folder / OWNERS, allow_pickle=False).astype(np.int32)
            keys = json.loads((folder / KEYS).read_text("utf-8"))
            bm25 = load_bm25(folder / BM25_DIR)
            check_bm25(bm25, n_chunks)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise TitleIndexError(f"标题索引缺失或损坏({exc})。") from exc
        fits = vectors.d == dim and owner.shape == (n_chunks,) and len(keys) == n_chunks
        if not fits or (n_chunks and not 0 <= owner.min() <= owner.max() < vectors.ntotal):
            raise TitleIndexError(
                f"标题索引与段落不一致:{(vectors.ntotal, vectors.d)} 对 {n_chunks} 段 × {dim} 维。"
            )
        logger.debug("loaded title index rows=%d titles=%d", n_chunks, vectors.ntotal)
        return cls(bm25, vectors, keys, owner)
