"""Search over a ``HybridIndex``: dense (FAISS), lexical (jieba BM25) or both fused by RRF.

Scores: ``dense`` = cosine similarity in [-1, 1]; ``bm25`` = BM25 score (≥ 0, unbounded);
``hybrid`` = reciprocal-rank fusion ``Σ 1 / (rrf_k + rank)`` over the two rankings.

Example:
    >>> retriever = HybridRetriever(index, embedder, settings)
    >>> retriever.search("怎么激活医保码", top_k=3)[0].chunk.title
"""

from __future__ import annotations

import logging

import numpy as np

from qa.embedding import Embedder
from qa.index import HybridIndex
from qa.settings import Settings
from qa.tokenizing import get_tokenizer
from qa.types import Hit, SearchMode

logger = logging.getLogger(__name__)


def embedding_input(title: str, text: str) -> str:
    """The string embedded for a chunk: its title (often the question) then its text."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    """Reciprocal-rank fusion: ``score(d) = Σ_r 1 / (k + rank_r(d))`` with 1-based ranks."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Ranks index chunks for a query. Defaults come from settings; override per call."""

    def __init__(self, index: HybridIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._tokenizer = get_tokenizer()

    def dense(self, query: str, k: int) -> list[tuple[int, float]]:
        """Rows and cosine similarities of the ``k`` nearest chunks."""
        n = len(self.index.chunks)
        if n == 0:
            return []
        vector = self.embedder.embed_queries([query])
        scores, rows = self.index.vectors.search(vector, min(k, n))  # type: ignore[attr-defined]
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """Rows and BM25 scores of the best ``k`` chunks, below-threshold hits dropped."""
        tokens = self._tokenizer.tokenize(query)
        n = len(self.index.chunks)
        if not tokens or n == 0:
            return []
        scores = np.asarray(self.index.bm25.get_scores(tokens))  # type: ignore[attr-defined]
        order = np.argsort(-scores, kind="stable")[: min(k, n)]
        floor = self.settings.min_bm25_score
        return [(int(r), float(scores[r])) for r in order if scores[r] > floor]

    def search(
        self, query: str, top_k: int | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """Return the ``top_k`` best chunks for ``query`` as ranked hits."""
        top_k = top_k or self.settings.top_k
        query = query.strip()
        if not query:
            return []
        cand = max(self.settings.candidate_k, top_k)
        dense = self.dense(query, cand) if mode in ("dense", "hybrid") else []
        lexical = self.lexical(query, cand) if mode in ("bm25", "hybrid") else []
        signals = {"dense": dict(dense), "bm25": dict(lexical)}
        if mode == "dense":
            ranked = dense
        elif mode == "bm25":
            ranked = lexical
        else:
            fused = rrf([[r for r, _ in dense], [r for r, _ in lexical]], self.settings.rrf_k)
            ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        hits = []
        for rank, (row, score) in enumerate(ranked[:top_k], start=1):
            raw = {name: values[row] for name, values in signals.items() if row in values}
            hits.append(Hit(self.index.chunks[row], rank, float(score), raw))
        logger.debug("search mode=%s hits=%d", mode, len(hits))
        return hits
