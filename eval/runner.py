"""Run systems over gold items (and conversations) and score them: the engine behind ``yibao eval``.

Example:
    >>> runs = run_eval(build_systems(["yibao", "bm25"], settings), load_gold())
    >>> runs[0].score("hit@5"), runs[0].conversations["answered_when_should"].score
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from eval import answer_metrics as am
from eval.answers import readability as rd
from eval.conversations import (
    SLICE,
    Conversation,
    ConversationalSystem,
    load_conversations,
    score_conversations,
)
from eval.gold import GoldItem, MetricResult, Prediction, System
from eval.metrics import hit_at_k, latency_summary, mrr_at_k, ndcg_at_k

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]
OnItem = Callable[[str, int, int], None]

RETRIEVAL_METRICS = ("hit@1", "hit@5", "mrr@10", "ndcg@5")
ANSWER_METRICS = (
    "key_fact_recall",
    "all_facts",
    "citation_precision",
    "source_hit",
    "disclaimer_rate",
    "refusal_rate",
    "false_refusal_rate",
    "conflict_flag_rate",
    "figure_faithfulness",
    "rouge_l_f1",
    "semantic_similarity",
    "lead_key_fact",
    "key_fact_gain",
    "duplicate_sentence_rate",
    "heading_line_rate",
    "source_order",
    "body_chars",
    "body_chars_p90",
)
"""Answer metrics in display order (:func:`evaluate` runs them)."""
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "duplicate_sentence_rate", "heading_line_rate"})
"""Metrics where 0 is perfect: ceilings, not floors; the lowest value is best."""
NO_DIRECTION = frozenset({"body_chars", "body_chars_p90"})
"""Metrics with no better direction (body length in characters)."""
NOT_A_RATE = NO_DIRECTION | {"key_fact_gain"}
"""Metrics outside [0, 1], left out of the 0–1 bar charts."""


def evaluate(
    items: Sequence[GoldItem],
    preds: Mapping[str, Prediction],
    *,
    embed: Embed | None = None,
    answers: bool = True,
) -> dict[str, MetricResult]:
    """Run every metric and key the results by name.

    Retrieval metrics (``hit@1``, ``hit@5``, ``mrr@10``, ``ndcg@5``) always run. Answer
    metrics (:data:`ANSWER_METRICS`, from :mod:`eval.answer_metrics` and
    :mod:`eval.answers.readability`) run when ``answers`` is true and at least one prediction
    for these items has an answer; ``semantic_similarity`` only when ``embed`` is given.
    """
    results = [
        hit_at_k(items, preds, 1),
        hit_at_k(items, preds, 5),
        mrr_at_k(items, preds, 10),
        ndcg_at_k(items, preds, 5),
    ]
    ids = {item.id for item in items}
    if answers and any(p.answer is not None for i, p in preds.items() if i in ids):
        results += [
            am.key_fact_recall(items, preds),
            am.all_facts_rate(items, preds),
            am.citation_precision(items, preds),
            am.source_hit(items, preds),
            am.disclaimer_rate(items, preds),
            am.refusal_rate(items, preds),
            am.false_refusal_rate(items, preds),
            am.conflict_flag_rate(items, preds),
            am.figure_faithfulness(items, preds),
            am.rouge_l_f1(items, preds),
            rd.lead_key_fact(items, preds),
            rd.key_fact_gain(items, preds),
            rd.duplicate_sentence_rate(items, preds),
            rd.heading_line_rate(items, preds),
            rd.source_order(items, preds),
            rd.body_chars(items, preds),
            rd.body_chars_p90(items, preds),
        ]
        if embed is not None:
            results.append(am.semantic_similarity(items, preds, embed))
    return {r.name: r for r in results}


def slice_by(
    items: Sequence[GoldItem],
    preds: Mapping[str, Prediction],
    key: Callable[[GoldItem], str],
    *,
    embed: Embed | None = None,
    answers: bool = True,
) -> dict[str, dict[str, MetricResult]]:
    """:func:`evaluate` per slice of items, e.g. ``key=lambda i: i.kind`` or ``i.source``.

    Slices are sorted by key.
    """
    groups: dict[str, list[GoldItem]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return {
        name: evaluate(groups[name], preds, embed=embed, answers=answers) for name in sorted(groups)
    }


@dataclass
class SystemRun:
    """One system's predictions and scores over a gold set.

    ``by_kind`` holds the metrics per gold kind and, for a system that takes a history, the
    ``conversations`` slice (:mod:`eval.conversations` metrics), so every table printed per
    slice shows it. ``dialogues`` pairs each conversation with what the system said.
    """

    name: str
    predictions: list[Prediction]
    metrics: dict[str, MetricResult]
    by_kind: dict[str, dict[str, MetricResult]]
    by_source: dict[str, dict[str, MetricResult]]
    latency: dict[str, dict[str, float]]
    seconds: float
    dialogues: list[tuple[Conversation, Prediction]] = field(default_factory=list)

    def score(self, metric: str) -> float | None:
        result = self.metrics.get(metric)
        return None if result is None else result.score

    @property
    def conversations(self) -> dict[str, MetricResult]:
        """The conversation metrics ({} when the system was not asked the conversations)."""
        return self.by_kind.get(SLICE, {})


def run_system(
    system: System,
    items: Sequence[GoldItem],
    embed: Embed | None = None,
    on_item: OnItem | None = None,
    conversations: Sequence[Conversation] = (),
) -> SystemRun:
    """Ask ``system`` every gold question, then compute all metrics and slices.

    A :class:`~eval.conversations.ConversationalSystem` is also asked ``conversations``
    (scored as the ``conversations`` slice); other systems ignore them.
    """
    started = time.perf_counter()
    predictions: list[Prediction] = []
    for n, item in enumerate(items, start=1):
        predictions.append(system.predict(item))
        if on_item:
            on_item(system.name, n, len(items))
    preds = {p.item_id: p for p in predictions}
    metrics = evaluate(items, preds, embed=embed)
    by_kind = slice_by(items, preds, key=lambda item: item.kind)
    by_source = slice_by([i for i in items if i.source], preds, key=lambda item: item.source)
    dialogues = []
    if conversations and isinstance(system, ConversationalSystem):
        dialogues = [(c, system.converse(c)) for c in conversations]
        by_kind[SLICE] = score_conversations(conversations, {p.item_id: p for _, p in dialogues})
    seconds = time.perf_counter() - started
    logger.info(
        "evaluated system=%s items=%d conversations=%d seconds=%.1f",
        system.name,
        len(items),
        len(dialogues),
        seconds,
    )
    latency = latency_summary(predictions)
    return SystemRun(
        system.name, predictions, metrics, by_kind, by_source, latency, seconds, dialogues
    )


def run_eval(
    systems: Sequence[System],
    items: Sequence[GoldItem],
    embed: Embed | None = None,
    on_item: OnItem | None = None,
    conversations: Sequence[Conversation] | None = None,
) -> list[SystemRun]:
    """Evaluate each system on the same items with the same metrics.

    ``conversations`` None means the shipped ``eval/conversations.jsonl`` (read only when a
    system takes a history); pass ``()`` to skip them.
    """
    if conversations is None:
        talkers = any(isinstance(s, ConversationalSystem) for s in systems)
        conversations = load_conversations() if talkers else ()
    return [run_system(system, items, embed, on_item, conversations) for system in systems]
