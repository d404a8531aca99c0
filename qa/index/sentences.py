"""Sentence vectors: short pieces of each chunk, so a question can match the one line it asks.

A chunk of an article section holds several answers (材料, 时限, 注意事项 …); its one vector
blurs them. Each chunk is therefore also cut into pieces of a few sentences (made at
ingestion, see ``ingest.sentences``), each embedded with its chunk title *as a query*
(question-to-question similarity works best with e5), and a chunk's sentence score is the
cosine of its best piece.

Files, inside an index version folder (plain arrays and JSON, no pickle)::

    sentence_vectors.npy  float32 (n_pieces, dim), L2-normalised
    sentence_spans.npy    int32 (n_pieces, 3): chunk row, start, end (offsets in chunk text)
    sentence_keys.json    embedding cache key per piece
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

VECTORS = "sentence_vectors.npy"
SPANS = "sentence_spans.npy"
KEYS = "sentence_keys.json"


class SentenceIndexError(ValueError):
    """The sentence files are missing or do not match the chunks (message for users)."""


@dataclass
class SentenceIndex:
    """Piece vectors and where each piece lies.

    Attributes:
        vectors: ``(n_pieces, dim)`` float32 unit vectors.
        spans: ``(n_pieces, 3)`` int32 rows ``(chunk row, start, end)``.
        keys: Embedding cache key per piece (see :func:`sentence_key`).
    """

    vectors: np.ndarray
    spans: np.ndarray
    keys: list[str]

    @classmethod
    def build(
        cls, vectors: np.ndarray, spans: Sequence[tuple[int, int, int]], keys: Sequence[str]
    ) -> SentenceIndex:
        """Bundle piece vectors with their ``(chunk row, start, end)`` spans and keys."""
        if len(spans) != len(vectors) or len(keys) != len(vectors):
            raise ValueError("sentence vectors, spans and keys must have one row per piece")
        array = np.asarray(spans, dtype=np.int32).reshape(-1, 3)
        return cls(np.ascontiguousarray(vectors, dtype=np.float32), array, list(keys))

    def best_scores(self, query_vector: np.ndarray, n_chunks: int) -> np.ndarray:
        """Per chunk, the best cosine of its pieces with a unit query vector (-inf if none)."""
        best = np.full(n_chunks, -np.inf, dtype=np.float32)
        if len(self.vectors):
            sims = self.vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
            np.maximum.at(best, self.spans[:, 0], sims)
        return best

    def save(self, folder: Path) -> None:
        """Write the sentence files into an index version folder."""
        np.save(folder / VECTORS, self.vectors, allow_pickle=False)
        np.save(folder / SPANS, self.spans, allow_pickle=False)
        (folder / KEYS).write_text(json.dumps(self.keys), "utf-8")

    @classmethod
    def load(cls, folder: Path, n_chunks: int, dim: int) -> SentenceIndex:
        """Read the sentence files; refuse ones that do not fit the chunks or ``dim``."""
        try:
            vectors = np.load(folder / VECTORS, allow_pickle=False)
            spans = np.load(folder / SPANS, allow_pickle=False)
            keys = json.loads((folder / KEYS).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SentenceIndexError(f"句子索引缺失或损坏({exc})。") from exc
        fits = vectors.ndim == 2 and vectors.shape[1] == dim and spans.shape == (len(vectors), 3)
        if not fits or len(keys) != len(vectors) or (len(spans) and spans[:, 0].max() >= n_chunks):
            raise SentenceIndexError(f"句子索引与段落不一致:{vectors.shape} 对 {n_chunks} 段。")
        logger.debug("loaded sentence index pieces=%d", len(vectors))
        return cls(vectors.astype(np.float32, copy=False), spans.astype(np.int32), keys)
