"""Search over a ``HybridIndex``: dense, lexical, or hybrid (six signals fused, then reranked).

The question arrives understood (a :class:`qa.types.Question`, see ``qa.retrieval.question``;
a plain string is understood here). Modes ``dense`` and ``bm25`` use one signal each.
``hybrid`` fuses six rankings by weighted reciprocal-rank fusion (weights in ``Settings``):
passage vectors (``dense``), the nearest known questions' chunks (``known``), BM25 over title
+ text (``bm25``) and over titles (``title_bm25``), question-to-title vector similarity
(``title_dense``) and the best sentence piece of each chunk (``sentence_dense``, see
``qa.index.sentences``; by default ranked among the chunks the others found, pooled); then
adds a region bonus, halves bare intros, drops weak lexical-only hits, collapses
near-duplicates, and reorders the best candidates with a cross-encoder when one is
configured. A question without content (你好, 谢谢, 在吗) gets no hybrid hits.

Example:
    >>> retriever = HybridRetriever(index, embedder, settings)
    >>> retriever.search("怎么激活医保码", top_k=3)[0].chunk.title
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from qa.embedders.base import Embedder
from qa.index.hybrid import HybridIndex
from qa.index.rows import passage_input
from qa.retrieval.fusion import (
    asked_figures,
    collapse_near_duplicates,
    fitted_score,
    region_affinity,
    weighted_rrf,
)
from qa.retrieval.known import KnownQuestions
from qa.retrieval.question import understand
from qa.retrieval.rerank import PairScorer, load_cross_encoder, rerank_order
from qa.settings import Settings
from qa.stores.base import IndexStore, LexicalField, Ranked, VectorField
from qa.stores.local import LocalStore
from qa.types import Hit, Question, SearchMode

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrieval:
    """Ranked hits, the understood question, and milliseconds per stage.

    Attributes:
        hits: Best first; see :class:`qa.types.Hit` for the keys of ``Hit.scores``.
        timings_ms: ``embed``, ``search``, ``fuse`` (and ``rerank`` when a reranker ran).
        question: The question as understood; None only for retrievals built elsewhere.
    """

    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    question: Question | None = None


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now


class HybridRetriever:
    """Ranks index chunks for a query. Defaults come from settings; override per call.

    Args:
        index: The loaded index, or any ``IndexStore`` (a ``HybridIndex`` is served through
            ``LocalStore``); kept as ``self.index``, searched through ``self.store``.
        embedder: Embeds the question (same model as the index).
        settings: Fusion weights, candidate counts, reranker.
        reranker: A CrossEncoder-like scorer; by default loaded lazily from
            ``settings.reranker_model`` when that is set.
    """

    def __init__(
        self,
        index: HybridIndex | IndexStore,
        embedder: Embedder,
        settings: Settings,
        reranker: PairScorer | None = None,
        known: KnownQuestions | None = None,
    ) -> None:
        self.index = index
        self.store: IndexStore = LocalStore(index) if isinstance(index, HybridIndex) else index
        self.embedder = embedder
        self.settings = settings
        self._reranker = reranker
        self.known = known  # the `known` signal (qa.retrieval.known); None = off
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def reranker(self) -> PairScorer | None:
        """The cross-encoder in use, loaded on first use; None when reranking is off."""
        if self._reranker is None and self.settings.reranker_model:
            self._reranker = load_cross_encoder(self.settings.reranker_model)
        return self._reranker

    def _lexical(self, field: LexicalField, query: Question, k: int) -> Ranked:
        """BM25 top-k of the question's terms plus its synonyms at ``synonym_weight``."""
        s = self.settings
        extra = [t for t in query.expanded if t not in query.terms]
        return self.store.lexical_top(
            field, query.terms, extra, s.synonym_weight, k, s.min_bm25_score
        )

    def _signals(self, query: Question, mode: SearchMode, k: int, watch: _Stopwatch) -> dict:
        """Each signal's ranked candidates: ``{name: [(row, raw score), …]}``.

        With ``search_threads`` ≥ 2 the lexical signals run on a helper thread while the
        question is encoded, then the passage and title scans while the caller searches the
        pieces; a task no helper has started yet when the caller is done runs in the caller's
        thread, so a busy pool never makes a retrieval wait. With ``piece_search=pool`` the
        caller scans the passages instead, and the pieces of the four other signals'
        candidates are scored once they are all in (:meth:`_pooled_pieces`).
        """
        s = self.settings
        pooled = mode == "hybrid" and s.sentence_dense_weight > 0 and s.piece_search == "pool"
        depth = max(k, s.piece_pool_k) if pooled else k  # each signal's candidates
        tasks: dict[str, Callable[[], Ranked]] = {}
        if mode in ("bm25", "hybrid"):
            tasks["bm25"] = partial(self._lexical, "text", query, depth)
            if mode == "hybrid" and s.title_bm25_weight > 0:
                tasks["title_bm25"] = partial(self._lexical, "title", query, depth)
        pending = self._submit(tasks)  # BM25 while the question is encoded
        out: dict[str, Ranked] = {}
        vector = None
        if mode in ("dense", "hybrid"):
            vector = self.embedder.embed_queries([query.embedding_text or query.text])[0]
            watch.lap("embed")
            dense = {"dense": partial(self._dense, "passage", vector, depth)}
            if mode == "hybrid" and s.title_dense_weight > 0:
                dense["title_dense"] = partial(self._dense, "title", vector, depth)
            if mode == "hybrid" and s.sentence_dense_weight > 0 and not pooled:
                dense["sentence_dense"] = partial(self._dense, "piece", vector, k)
            # the caller takes the longest search (pieces, or passages when pooled)
            mine = "dense" if pooled else list(dense)[-1]
            pending |= self._submit({name: task for name, task in dense.items() if name != mine})
            out[mine] = dense[mine]()
        for name, (task, future) in pending.items():
            out[name] = task() if future is None or future.cancel() else future.result()
        # a follow-up's standalone text is two questions joined: no known question is like it
        if (
            mode == "hybrid"
            and self.known is not None
            and vector is not None
            and not query.follow_up
        ):
            known = self.known.top(vector, depth, s.known_question_k, s.known_min_score, query.text)
            out["known"] = known
        if pooled and vector is not None:
            out["sentence_dense"] = self._pooled_pieces(vector, out, k)
            out = {name: ranked[:k] for name, ranked in out.items()}
        watch.lap("search")
        order = ("dense", "title_dense", "sentence_dense", "known", "bm25", "title_bm25")
        return {name: out[name] for name in order if name in out}

    def _pooled_pieces(self, vector: np.ndarray, found: dict[str, Ranked], k: int) -> Ranked:
        """The best-piece ranking of the chunks the other signals found (their union)."""
        pool = {row for ranked in found.values() for row, _ in ranked}
        return self.store.piece_top(vector, pool, k)

    def _dense(self, field: VectorField, vector: np.ndarray, k: int) -> Ranked:
        return self.store.dense_top(field, vector, k)

    def _submit(
        self, tasks: dict[str, Callable[[], Ranked]]
    ) -> dict[str, tuple[Callable[[], Ranked], Future[Ranked] | None]]:
        """``tasks`` handed to the helper threads (no future: run by the caller later)."""
        pool = self._helpers()
        return {name: (task, pool.submit(task) if pool else None) for name, task in tasks.items()}

    def _helpers(self) -> ThreadPoolExecutor | None:
        """The retriever's helper threads (``search_threads`` − 1), made on first use; None
        for one thread or an index below ``search_threads_min_chunks``."""
        s = self.settings
        if s.search_threads < 2 or len(self.store.chunks) < s.search_threads_min_chunks:
            return None
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    s.search_threads - 1, thread_name_prefix="yibao-search"
                )
            return self._pool

    def _fuse(self, query: Question, signals: dict[str, Ranked]) -> Ranked:
        """Weighted RRF + region bonus, thin chunks halved, weak lexical-only hits dropped."""
        s = self.settings
        weights = {
            "dense": s.dense_weight,
            "bm25": s.bm25_weight,
            "title_bm25": s.title_bm25_weight,
            "title_dense": s.title_dense_weight,
            "sentence_dense": s.sentence_dense_weight,
            "known": s.known_question_weight,
        }
        fused = weighted_rrf({k: [r for r, _ in v] for k, v in signals.items()}, weights, s.rrf_k)
        raw = {name: dict(ranked) for name, ranked in signals.items()}
        vector_found = {
            r for n in ("dense", "title_dense", "sentence_dense", "known") for r in raw.get(n, {})
        }
        figures = asked_figures(query.text)
        for row in list(fused):
            lexical = max(
                raw.get("bm25", {}).get(row, 0.0), raw.get("title_bm25", {}).get(row, 0.0)
            )
            if row not in vector_found and lexical < s.lexical_only_min_score:
                del fused[row]
                continue
            chunk = self.store.chunk(row)
            fused[row] = fitted_score(fused[row], query, figures, chunk, s)
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _rerank(self, query: Question, ranked: Ranked, scorer: PairScorer) -> Ranked:
        """Reorder the top ``rerank_candidates`` by cross-encoder score; keep the rest after."""
        head, tail = (
            ranked[: self.settings.rerank_candidates],
            ranked[self.settings.rerank_candidates :],
        )
        chunks = [self.store.chunk(row) for row, _ in head]
        passages = [passage_input(c.title, c.text) for c in chunks]
        order = rerank_order(query.text, passages, scorer)
        return [(head[i][0], score) for i, score in order] + tail

    def signals(self, query: str | Question, k: int | None = None) -> dict[str, Ranked]:
        """Each hybrid signal's ranking, ``{name: [(row, raw score), …]}``, before fusion
        (``k``: candidates per signal, default ``candidate_k``)."""
        info = query if isinstance(query, Question) else understand(query)
        if not info.text or not self.store.chunks:
            return {}
        return self._signals(info, "hybrid", k or self.settings.candidate_k, _Stopwatch())

    def search(
        self, query: str | Question, top_k: int | None = None, mode: SearchMode = "hybrid"
    ) -> list[Hit]:
        """Return the ``top_k`` best chunks for ``query`` as ranked hits."""
        return self.retrieve(query, top_k, mode).hits

    def retrieve(
        self, query: str | Question, top_k: int | None = None, mode: SearchMode = "hybrid"
    ) -> Retrieval:
        """Like :meth:`search`, with the understood question and per-stage timings."""
        watch = _Stopwatch()
        top_k = top_k or self.settings.top_k
        info = query if isinstance(query, Question) else understand(query)
        if not info.text or not self.store.chunks or (mode == "hybrid" and info.is_small_talk):
            return Retrieval([], {}, info)
        signals = self._signals(info, mode, max(self.settings.candidate_k, top_k), watch)
        scorer = self.reranker if mode == "hybrid" else None
        if mode != "hybrid":
            ranked = signals[mode][:top_k]
        else:
            ranked = self._fuse(info, signals)
            keep = max(top_k, self.settings.rerank_candidates if scorer else 0)
            rows = collapse_near_duplicates(
                [r for r, _ in ranked],
                self.store.chunks,
                keep,
                self.settings.duplicate_span_overlap,
                self.settings.duplicate_jaccard,
            )
            score_of = dict(ranked)
            ranked = [(row, score_of[row]) for row in rows]
        watch.lap("fuse")
        rerank_scores: dict[int, float] = {}
        if scorer is not None and ranked:
            ranked = self._rerank(info, ranked, scorer)
            rerank_scores = dict(ranked[: self.settings.rerank_candidates])
            watch.lap("rerank")
        raw = {name: dict(values) for name, values in signals.items()}
        hits = []
        for rank, (row, score) in enumerate(ranked[:top_k], start=1):
            scores = {name: values[row] for name, values in raw.items() if row in values}
            if row in rerank_scores:
                scores["rerank"] = rerank_scores[row]
            if mode == "hybrid" and (
                bonus := 0.0
                if info.cross_region
                else region_affinity(info.regions, self.store.chunk(row).regions)
            ):
                scores["region"] = bonus
            hits.append(Hit(self.store.chunk(row), rank, float(score), scores))
        logger.debug("search mode=%s hits=%d", mode, len(hits))
        return Retrieval(hits, watch.timings, info)
