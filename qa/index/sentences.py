"""Sentence vectors: short pieces of each chunk, so a question can match the one line it asks.

A chunk of an article section holds several answers (材料, 时限, 注意事项 …); its one vector
blurs them. Each chunk is therefore also cut into pieces of a few sentences (made at
ingestion, see ``ingest.sentences``), each embedded with its chunk title *as a query*
(question-to-question similarity works best with e5), and a chunk's sentence score is the
cosine of its best piece. The signal ranks chunks either over every piece (:meth:`best_top`,
``YIBAO_PIECE_SEARCH=global``: an HNSW graph from 50,000 pieces) or over the pieces of the
chunks other signals found (:meth:`pool_top`, ``pool``: codes read by row, no graph needed).

Files, inside an index version folder (plain arrays and JSON, no pickle)::

    sentence_vectors.faiss 8-bit inner-product store (n_pieces, dim), L2-normalised
    sentence_spans.npy    int32 (n_pieces, 3): chunk row, start, end (offsets in chunk text)
    sentence_keys.json    embedding cache key per piece
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.index.vectorstore import VECTOR_BITS, build_store, read_store, search, vector, write_store
from qa.stores.integer_scan import row_scorer

logger = logging.getLogger(__name__)

Ranked = list[tuple[int, float]]  # (chunk row, score), best first

VECTORS = "sentence_vectors.faiss"
SPANS = "sentence_spans.npy"
KEYS = "sentence_keys.json"


class SentenceIndexError(ValueError):
    """The sentence files are missing or do not match the chunks (message for users)."""


@dataclass
class SentenceIndex:
    """Piece vectors and where each piece lies.

    Attributes:
        vectors: 8-bit store of the pieces' unit vectors (``qa.index.vectorstore``).
        spans: ``(n_pieces, 3)`` int32 rows ``(chunk row, start, end)``.
        keys: Embedding cache key per piece (see :func:`sentence_key`).
    """

    vectors: Any  # faiss.Index
    spans: np.ndarray
    keys: list[str]

    def __post_init__(self) -> None:
        owners = self.spans[:, 0]
        counts = np.bincount(owners) if len(self.spans) else np.zeros(0, dtype=np.int64)
        self.most_pieces = int(counts.max()) if len(counts) else 0
        # The pieces of chunk r are _grouped[_starts[r]:_starts[r + 1]] (ingestion writes
        # them in chunk order: then no sort is needed).
        ordered = bool(np.all(owners[1:] >= owners[:-1]))
        self._grouped = np.arange(len(owners)) if ordered else np.argsort(owners, kind="stable")
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._score = row_scorer(self.vectors)  # rows' codes read in place (qa.stores.integer_scan)

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        spans: Sequence[tuple[int, int, int]] | np.ndarray,
        keys: Sequence[str],
        probes: np.ndarray | None = None,
        ranges: np.ndarray | None = None,
        graph: bool = True,
    ) -> SentenceIndex:
        """Bundle piece vectors with their ``(chunk row, start, end)`` spans and keys; the
        vectors are kept as 8-bit codes (``probes``, ``ranges``: see
        ``vectorstore.build_store``), with an HNSW graph at its size unless ``graph`` is
        False (pooled piece search reads codes by row and needs none)."""
        if len(spans) != len(vectors) or len(keys) != len(vectors):
            raise ValueError("sentence vectors, spans and keys must have one row per piece")
        array = np.asarray(spans, dtype=np.int32).reshape(-1, 3)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        flat = None if graph else len(vectors) + 1
        store = build_store(
            vectors, dim, bits=VECTOR_BITS, ann_min_rows=flat, probes=probes, ranges=ranges
        )
        return cls(store, array, list(keys))

    def best_top(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` chunks whose best piece is most similar to a unit query vector.

        Only the ``k × (most pieces of one chunk)`` best pieces are searched: the k best
        chunks' best pieces are always among them (every piece ranked above the k-th chunk's
        best one belongs to one of the k − 1 chunks before it), so the result is exact.
        """
        best: dict[int, float] = {}
        for piece, score in search(self.vectors, query_vector, k * max(self.most_pieces, 1)):
            row = int(self.spans[piece, 0])
            if row not in best:  # pieces come best first
                best[row] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]

    def pool_top(self, query_vector: np.ndarray, rows: Iterable[int], k: int) -> Ranked:
        """The ``k`` of chunk ``rows`` whose best piece is most similar to a unit query vector:
        every piece of those chunks scored exactly (its codes · query, ``qa.stores.integer_scan``),
        whatever the corpus holds besides. Chunks without pieces are left out; ties go to the
        lower row."""
        chunks = np.unique(np.fromiter(rows, dtype=np.int64))
        chunks = chunks[(chunks >= 0) & (chunks < len(self._starts) - 1)]
        lo, hi = self._starts[chunks], self._starts[chunks + 1]
        chunks, lo, hi = chunks[hi > lo], lo[hi > lo], hi[hi > lo]
        if k <= 0 or not len(chunks):
            return []
        sizes = hi - lo
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        # positions lo[i] .. hi[i] - 1 of every chunk, one flat array
        flat = np.arange(int(sizes.sum())) - np.repeat(offsets - lo, sizes)
        scores = self._score(self._grouped[flat], query_vector)
        best = np.maximum.reduceat(scores, offsets)
        order = np.lexsort((chunks, -best))[:k]
        return [(int(chunks[i]), float(best[i])) for i in order]

    def vector_of(self, piece: int) -> np.ndarray:
        """Vector of piece ``piece`` (float32)."""
        return vector(self.vectors, piece)

    def save(self, folder: Path) -> None:
        """Write the sentence files into an index version folder."""
        write_store(self.vectors, folder / VECTORS)
        np.save(folder / SPANS, self.spans, allow_pickle=False)
        (folder / KEYS).write_text(json.dumps(self.keys), "utf-8")

    @classmethod
    def load(cls, folder: Path, n_chunks: int, dim: int) -> SentenceIndex:
        """Read the sentence files; refuse ones that do not fit the chunks or ``dim``."""
        try:
            vectors = read_store(folder / VECTORS)
            spans = np.load(folder / SPANS, allow_pickle=False)
            keys = json.loads((folder / KEYS).read_text("utf-8"))
        except (OSError, ValueError, RuntimeError) as exc:
            raise SentenceIndexError(f"句子索引缺失或损坏({exc})。") from exc
        n = vectors.ntotal
        fits = vectors.d == dim and spans.shape == (n, 3) and len(keys) == n
        if not fits or (len(spans) and not 0 <= spans[:, 0].min() <= spans[:, 0].max() < n_chunks):
            raise SentenceIndexError(f"句子索引与段落不一致:{(n, vectors.d)} 对 {n_chunks} 段。")
        logger.debug("loaded sentence index pieces=%d", n)
        return cls(vectors, spans.astype(np.int32), keys)
