"""Run systems over gold items and score them: the engine behind ``yibao eval``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eval.metrics import evaluate, latency_summary, slice_by
from eval.schema import GoldItem, MetricResult, Prediction, System

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]
OnItem = Callable[[str, int, int], None]


@dataclass
class SystemRun:
    """One system's predictions and scores over a gold set."""

    name: str
    predictions: list[Prediction]
    metrics: dict[str, MetricResult]
    by_kind: dict[str, dict[str, MetricResult]]
    by_source: dict[str, dict[str, MetricResult]]
    latency: dict[str, dict[str, float]]
    seconds: float

    def score(self, metric: str) -> float | None:
        result = self.metrics.get(metric)
        return None if result is None else result.score


def run_system(
    system: System,
    items: Sequence[GoldItem],
    embed: Embed | None = None,
    on_item: OnItem | None = None,
) -> SystemRun:
    """Ask ``system`` every gold question, then compute all metrics and slices."""
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
    seconds = time.perf_counter() - started
    logger.info("evaluated system=%s items=%d seconds=%.1f", system.name, len(items), seconds)
    return SystemRun(
        system.name, predictions, metrics, by_kind, by_source, latency_summary(predictions), seconds
    )


def run_eval(
    systems: Sequence[System],
    items: Sequence[GoldItem],
    embed: Embed | None = None,
    on_item: OnItem | None = None,
) -> list[SystemRun]:
    """Evaluate each system on the same items with the same metrics."""
    return [run_system(system, items, embed, on_item) for system in systems]
