"""Calibrate the refusal model on the gold dev split and check it on test.

Every dev and test question is retrieved once (``top_k=10``, as the answer service does). Rules
decide medical / off-topic / greeting questions and local questions about uncovered places
(``qa.refusal.decision.decide``); the dev questions past those rules train a class-balanced logistic
regression (``eval.refusal_fit``) on "should refuse" = ``unanswerable``. The threshold maximises
correct answers + correct refusals on dev (a missing 医保 concept refuses whatever the score),
ties going to fewer false refusals. Everything is deterministic.

Example:
    >>> result = calibrate(Settings(), load_gold())
    >>> save_calibration(result, DEFAULT_CALIBRATION)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.gold import split_items
from eval.refusal_fit import choose_l2, choose_threshold, fit_logistic
from eval.schema import GoldItem
from qa.refusal.decision import RefusalDecision, RefusalModel, decide, save_model
from qa.refusal.features import FEATURE_NAMES, RefusalFeatures, compute_features
from qa.settings import Settings
from qa.types import Hit

logger = logging.getLogger(__name__)

TOP_K = 10


@dataclass(frozen=True)
class WrongItem:
    """A gold item the calibrated decision gets wrong, and what it did."""

    id: str
    kind: str
    question: str
    decision: str
    score: float
    missing: tuple[str, ...]


@dataclass(frozen=True)
class SplitReport:
    """Refusal quality on one split (rates are None when nothing applies)."""

    n_answerable: int
    n_unanswerable: int
    accuracy: float | None
    refusal_rate: float | None
    false_refusal_rate: float | None
    wrong: tuple[WrongItem, ...] = ()

    def numbers(self) -> dict[str, Any]:
        """The counts and rates, without the wrong items."""
        return {k: v for k, v in asdict(self).items() if k != "wrong"}


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted model and how it does on dev (fitted on) and test (held out)."""

    model: RefusalModel
    dev: SplitReport
    test: SplitReport
    date: str

    def summary(self) -> dict[str, Any]:
        """JSON-friendly overview: date, weights, threshold, numbers and wrong items."""
        return {
            "date": self.date,
            "weights": dict(zip(self.model.feature_names, self.model.weights, strict=True)),
            "bias": self.model.bias,
            "threshold": self.model.threshold,
            "dev": asdict(self.dev),
            "test": asdict(self.test),
        }


def _report(items: Sequence[GoldItem], decisions: dict[str, RefusalDecision]) -> SplitReport:
    answerable = [it for it in items if it.kind != "unanswerable"]
    unanswerable = [it for it in items if it.kind == "unanswerable"]
    wrong = tuple(
        WrongItem(it.id, it.kind, it.question, d.kind, round(d.score, 4), d.missing)
        for it in items
        if (d := decisions[it.id]).refuse != (it.kind == "unanswerable")
    )
    refused_u = sum(decisions[it.id].refuse for it in unanswerable)
    refused_a = sum(decisions[it.id].refuse for it in answerable)
    return SplitReport(
        n_answerable=len(answerable),
        n_unanswerable=len(unanswerable),
        accuracy=(len(items) - len(wrong)) / len(items) if items else None,
        refusal_rate=refused_u / len(unanswerable) if unanswerable else None,
        false_refusal_rate=refused_a / len(answerable) if answerable else None,
        wrong=wrong,
    )


def _scored_by_model(features: RefusalFeatures, hits: Sequence[Hit]) -> bool:
    """Whether ``decide`` gets past the intent and region rules for this question."""
    region_rule = bool(features.missing_regions and features.asks_local)
    return features.intent == "insurance" and bool(hits) and not region_rule


def calibrate(settings: Settings, items: Sequence[GoldItem]) -> CalibrationResult:
    """Fit the refusal model on the dev split of ``items`` and score it on dev and test.

    Args:
        settings: Index and embedding model to retrieve with (the index is built if stale).
        items: Gold items; ``answerable``/``conflict`` should be answered, ``unanswerable``
            refused.

    Returns:
        The model (weights, bias, threshold, date and numbers) and both split reports.
    """
    from ingest.pipeline import run_ingest
    from qa.service import load_retriever

    run_ingest(settings)  # no-op when the index is current
    retriever = load_retriever(settings)
    dev, test = split_items(items, "dev"), split_items(items, "test")
    hits: dict[str, list[Hit]] = {
        it.id: retriever.retrieve(it.question, top_k=TOP_K).hits for it in (*dev, *test)
    }
    feats = {it.id: compute_features(it.question, hits[it.id]) for it in dev}
    routed = [it for it in dev if _scored_by_model(feats[it.id], hits[it.id])]
    x = np.array([feats[it.id].vector() for it in routed]).reshape(len(routed), -1)
    y = np.array([float(it.kind == "unanswerable") for it in routed])
    if len(routed) and 0 < y.sum() < len(y):
        l2 = choose_l2(x, y)
        weights, bias = fit_logistic(x, y, l2)
    else:  # one class only: the model never (or always) refuses
        l2, weights, bias = 0.0, np.zeros(len(FEATURE_NAMES)), 10.0 if y.any() else -10.0
    model = RefusalModel(FEATURE_NAMES, tuple(float(w) for w in weights), float(bias), 0.5)
    scores = [  # a missing 医保 concept refuses whatever the threshold
        1.0 if feats[it.id].missing_concepts else model.score(feats[it.id]) for it in routed
    ]
    threshold = choose_threshold(scores, [bool(v) for v in y]) if routed else 0.5
    date = dt.date.today().isoformat()
    model = replace(model, threshold=threshold, date=date)
    reports = {}
    for name, split in (("dev", dev), ("test", test)):
        decisions = {it.id: decide(it.question, hits[it.id], model) for it in split}
        reports[name] = _report(split, decisions)
    info = {
        "embedding_model": settings.embedding_model if settings.embedder != "fake" else "fake",
        "l2": l2,
        "n_dev": len(dev),
        "n_test": len(test),
        "n_fitted": len(routed),
        "n_fitted_refuse": int(y.sum()),
    }
    metrics = {name: report.numbers() for name, report in reports.items()}
    model = replace(model, metrics=metrics, info=info)
    logger.info(
        "calibrated threshold=%.4f dev=%s test=%s", threshold, metrics["dev"], metrics["test"]
    )
    return CalibrationResult(model, reports["dev"], reports["test"], date)


def save_calibration(result: CalibrationResult, path: Path) -> None:
    """Write the calibrated model (date, weights, threshold, dev/test numbers) to ``path``.

    The ids of the items each split still gets wrong are kept too, for the record.
    """
    wrong = {
        name: [w.id for w in report.wrong]
        for name, report in (("dev", result.dev), ("test", result.test))
    }
    info = {**result.model.info, "wrong": wrong}
    save_model(replace(result.model, date=result.date, info=info), path)
    logger.info("calibration saved to %s", path)
