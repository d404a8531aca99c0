"""Shared matching helpers, retrieval metrics and the latency summary.

Every metric is a pure function ``(items, preds, ...) -> MetricResult``: ``preds`` maps a gold
item id to the system's :class:`~eval.gold.Prediction`. A metric yields one
:class:`~eval.gold.ItemScore` (value + short English reason) per item it *applies to* and
``score`` = mean of those values, or None when no item applies. An item without a prediction
in ``preds`` is skipped (it is not scored as a miss).

Matching is done on NFKC text without whitespace (:func:`qa.text.normalize.without_spaces`).
Answer metrics live in
:mod:`eval.answer_metrics`; :func:`eval.runner.evaluate` runs them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

from eval.gold import GoldItem, ItemScore, MetricResult, Prediction, RetrievedChunk
from qa.text.normalize import holds_anchor

RETRIEVAL_KINDS = frozenset({"answerable", "conflict"})
"""Kinds the retrieval metrics apply to (and only when the item has an anchor)."""

_WHITESPACE = re.compile(r"\s+")


def make_result(name: str, scores: Iterable[ItemScore]) -> MetricResult:
    """Build a :class:`MetricResult` whose score is the mean item value (None if none)."""
    items = list(scores)
    score = sum(s.value for s in items) / len(items) if items else None
    return MetricResult(name=name, score=score, items=items)


def index_predictions(preds: Iterable[Prediction]) -> dict[str, Prediction]:
    """Key predictions by ``item_id`` (the ``preds`` mapping every metric takes)."""
    return {p.item_id: p for p in preds}


# --------------------------------------------------------------------------- retrieval


def is_hit(chunk_text: str, anchor: str) -> bool:
    """Whether a retrieved chunk holds the gold anchor (both normalised).

    A chunk is a hit when the anchor is a substring of it, or when the anchor straddles a
    chunk boundary and this chunk holds at least half of it: a prefix of the anchor of
    length ≥ ceil(len/2) is a suffix of the chunk (anchor starts at the chunk's end), or a
    suffix of the anchor of length ≥ ceil(len/2) is a prefix of the chunk (anchor ends at
    the chunk's start). So an anchor straddling two adjacent chunks counts for the chunk
    holding at least half of it (for both when split exactly in half). An empty anchor
    never hits.
    """
    return holds_anchor(chunk_text, anchor)


def hit_ranks(chunks: Sequence[RetrievedChunk], anchor: str) -> list[int]:
    """1-based ranks of the chunks (in retrieved order) that are hits for ``anchor``."""
    return [rank for rank, chunk in enumerate(chunks, start=1) if is_hit(chunk.text, anchor)]


def _retrieval_pairs(
    items: Sequence[GoldItem], preds: Mapping[str, Prediction]
) -> Iterator[tuple[GoldItem, Prediction]]:
    for item in items:
        pred = preds.get(item.id)
        if item.kind in RETRIEVAL_KINDS and item.anchor and pred is not None:
            yield item, pred


def hit_at_k(items: Sequence[GoldItem], preds: Mapping[str, Prediction], k: int) -> MetricResult:
    """Hit@k = mean over items of 1[any of the top-k retrieved chunks is a hit].

    Applies to ``answerable`` and ``conflict`` items with an anchor; a hit is per
    :func:`is_hit`.
    """

    def score(item: GoldItem, pred: Prediction) -> ItemScore:
        ranks = hit_ranks(pred.retrieved[:k], item.anchor)
        if ranks:
            return ItemScore(item.id, 1.0, f"anchor in rank {ranks[0]}")
        return ItemScore(item.id, 0.0, f"anchor not in top {k} of {len(pred.retrieved)}")

    return make_result(f"hit@{k}", (score(i, p) for i, p in _retrieval_pairs(items, preds)))


def mrr_at_k(items: Sequence[GoldItem], preds: Mapping[str, Prediction], k: int) -> MetricResult:
    """MRR@k = mean over items of 1/r, r = rank of the first hit within the top k (0 if none).

    Applies to ``answerable`` and ``conflict`` items with an anchor.
    """

    def score(item: GoldItem, pred: Prediction) -> ItemScore:
        ranks = hit_ranks(pred.retrieved[:k], item.anchor)
        if ranks:
            return ItemScore(item.id, 1.0 / ranks[0], f"first hit at rank {ranks[0]}")
        return ItemScore(item.id, 0.0, f"no hit in top {k}")

    return make_result(f"mrr@{k}", (score(i, p) for i, p in _retrieval_pairs(items, preds)))


def ndcg_at_k(items: Sequence[GoldItem], preds: Mapping[str, Prediction], k: int) -> MetricResult:
    """nDCG@k with binary relevance (rel_i = 1 if the chunk at rank i is a hit, else 0).

    DCG@k = Σ_{i=1..k} rel_i / log2(i + 1); IDCG@k = Σ_{i=1..m} 1 / log2(i + 1) with
    m = max(1, min(H, k)), H = number of hit chunks in the *whole* retrieved list. That is,
    the ideal ranking puts every relevant chunk the system found first (as scikit-learn's
    ``ndcg_score`` does over the given list), and at least one relevant passage is assumed
    to exist (the gold anchor). Example: a single hit at rank 2 → 1/log2(3) ≈ 0.631.
    Applies to ``answerable`` and ``conflict`` items with an anchor.
    """

    def score(item: GoldItem, pred: Prediction) -> ItemScore:
        ranks = hit_ranks(pred.retrieved, item.anchor)
        top = [r for r in ranks if r <= k]
        if not top:
            return ItemScore(item.id, 0.0, f"no hit in top {k}")
        dcg = sum(1.0 / math.log2(r + 1) for r in top)
        ideal = max(1, min(len(ranks), k))
        idcg = sum(1.0 / math.log2(i + 1) for i in range(1, ideal + 1))
        where = ", ".join(str(r) for r in top)
        return ItemScore(item.id, dcg / idcg, f"hits at rank {where} of {len(ranks)} found")

    return make_result(f"ndcg@{k}", (score(i, p) for i, p in _retrieval_pairs(items, preds)))


# --------------------------------------------------------------------------- latency


def latency_summary(preds: Iterable[Prediction]) -> dict[str, dict[str, float]]:
    """Per stage in ``timings_ms``: p50, p95 (numpy ``percentile``, linear), mean and n (ms).

    Each stage is summarised over the predictions that report it; stages are sorted by name.
    """
    by_stage: dict[str, list[float]] = {}
    for pred in preds:
        for stage, ms in pred.timings_ms.items():
            by_stage.setdefault(stage, []).append(float(ms))
    summary: dict[str, dict[str, float]] = {}
    for stage in sorted(by_stage):
        values = np.asarray(by_stage[stage], dtype=float)
        summary[stage] = {
            "p50": float(np.percentile(values, 50, method="linear")),
            "p95": float(np.percentile(values, 95, method="linear")),
            "mean": float(values.mean()),
            "n": float(values.size),
        }
    return summary
