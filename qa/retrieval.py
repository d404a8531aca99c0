"""Search over a ``HybridIndex``: dense (FAISS), lexical (jieba BM25) or both fused by RRF.

Scores: ``dense`` = cosine similarity in [-1, 1]; ``bm25`` = BM25 score (≥ 0, unbounded);
``hybrid`` = reciprocal-rank fusion ``Σ 1 / (rrf_k + rank)`` over the two rankings.

Example:
    >>> retriever = HybridRetriever(index, embedder, settings)
    >>> retriever.search("怎么激活医保码", top_k=3)[0].chunk.title
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Retrieval:
    """Ranked hits plus milliseconds spent per stage (``embed``, ``search``, ``fuse``)."""

    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now


class HybridRetriever:
    """Ranks index chunks for a query. Defaults come from settings; override per call."""

    def __init__(self, index: HybridIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._tokenizer = get_tokenizer()

    def _dense(self, query: str, k: int, watch: _Stopwatch) -> list[tuple[int, float]]:
        n = len(self.index.chunks)
        if n == 0:
            return []
        vector = self.embedder.embed_queries([query])
        watch.lap("embed")
        scores, rows = self.index.vectors.search(vector, min(k, n))  # type: ignore[attr-defined]
        watch.lap("search")
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def _lexical(self, query: str, k: int, watch: _Stopwatch) -> list[tuple[int, float]]:
        tokens = self._tokenizer.tokenize(query)
        n = len(self.index.chunks)
        if not tokens or n == 0:
            watch.lap("search")
            return []
        scores = np.asarray(self.index.bm25.get_scores(tokens))  # type: ignore[attr-defined]
        order = np.argsort(-scores, kind="stable")[: min(k, n)]
        floor = self.settings.min_bm25_score
        watch.lap("search")
        return [(int(r), float(scores[r])) for r in order if scores[r] > floor]

    def search(
        self, query: str, top_k: int | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """Return the ``top_k`` best chunks for ``query`` as ranked hits."""
        return self.retrieve(query, top_k, mode).hits

    def retrieve(
        self, query: str, top_k: int | None = None, mode: SearchMode = "hybrid"
    ) -> Retrieval:
        """Like :meth:`search`, with per-stage timings."""
        watch = _Stopwatch()
        top_k = top_k or self.settings.top_k
        query = query.strip()
        if not query:
            return Retrieval([], {})
        cand = max(self.settings.candidate_k, top_k)
        dense = self._dense(query, cand, watch) if mode in ("dense", "hybrid") else []
        lexical = self._lexical(query, cand, watch) if mode in ("bm25", "hybrid") else []
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
        watch.lap("fuse")
        logger.debug("search mode=%s hits=%d", mode, len(hits))
        return Retrieval(hits, watch.timings)
