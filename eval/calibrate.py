"""Calibrate the refusal model on the gold dev split and check it on test.

Every dev and test question is retrieved once (``top_k=10``, as the answer service does). Rules
decide medical / off-topic / greeting questions and local questions about uncovered places
(``qa.refusal.decision.decide``); the dev questions past those rules train scikit-learn's
``LogisticRegression`` (class-balanced, L2 on standardised features, the strength picked by
5-fold cross-validation) on "should refuse" = ``unanswerable``. The threshold minimises
``missed refusals + 2 × false refusals`` on dev (a missing 医保 concept refuses whatever the
score) and takes the middle of tied cuts. Everything is deterministic.

Example:
    >>> result = calibrate(Settings(), load_gold())
    >>> save_calibration(result, DEFAULT_CALIBRATION)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from eval.conversations import Conversation, load_conversations
from eval.gold import GoldItem, asked_in, split_items
from ingest.pipeline import run_ingest
from qa.refusal.calibration import RefusalModel, save_model
from qa.refusal.decision import RefusalDecision, decide
from qa.refusal.features import FEATURE_NAMES, RefusalFeatures, compute_features
from qa.retrieval.known import held_out
from qa.retrieval.question import understand
from qa.retrieval.retriever import HybridRetriever
from qa.service import load_retriever
from qa.settings import Settings
from qa.types import Hit, Question

logger = logging.getLogger(__name__)

TOP_K = 10
L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
#: A wrongly refused user gets nothing; a missed refusal still gets a cited, disclaimed answer.
FALSE_REFUSAL_COST = 2.0

Retrieved = Mapping[str, tuple[Question, Sequence[Hit]]]


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


def _report(items: Sequence[GoldItem], decisions: Mapping[str, RefusalDecision]) -> SplitReport:
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
    """Whether ``decide`` gets past the intent, region and year rules for this question."""
    missing = features.missing_regions or features.missing_years
    region_rule = bool(missing and features.asks_local)
    return features.intent == "insurance" and bool(hits) and not region_rule


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression; returns raw-scale ``(weights, bias)``.

    scikit-learn's ``LogisticRegression`` on standardised features with
    ``class_weight="balanced"`` and ``C = 1 / (l2 · n)``, i.e. it minimises
    ``Σ_i s_i · logloss_i / n + l2/2 · ‖w‖²`` with ``s_i = n / (2 · n_class(i))`` and the
    intercept not penalised. The weights are mapped back to the raw feature scale.
    """
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(
        C=1.0 / (l2 * len(y)), class_weight="balanced", tol=1e-10, max_iter=10_000
    )
    model.fit(scaler.transform(x), y)
    weights = model.coef_[0] / scaler.scale_
    return weights, float(model.intercept_[0] - weights @ scaler.mean_)


def _balanced_log_loss(x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> float:
    """``Σ_class 0.5 · mean log loss of the class`` (probabilities clipped to [1e-9, 1 - 1e-9])."""
    p = np.clip(1.0 / (1.0 + np.exp(-np.clip(x @ weights + bias, -60, 60))), 1e-9, 1 - 1e-9)
    share = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max(len(y) - y.sum(), 1))
    return float(log_loss(y, p, sample_weight=share, normalize=False, labels=[0.0, 1.0]))


def choose_l2(x: np.ndarray, y: np.ndarray) -> float:
    """The L2 strength of ``L2_GRID`` with the lowest cross-validated balanced log loss.

    Folds are fixed (item ``i`` is held out in fold ``i % FOLDS``); a fold whose training part
    holds one class only is skipped.
    """
    folds = np.arange(len(y)) % FOLDS
    best, best_loss = L2_GRID[len(L2_GRID) // 2], float("inf")
    for l2 in L2_GRID:
        losses = []
        for k in range(FOLDS):
            train, held = folds != k, folds == k
            if held.sum() == 0 or len(set(y[train].tolist())) < 2:
                continue
            w, b = fit_logistic(x[train], y[train], l2)
            losses.append(_balanced_log_loss(x[held], y[held], w, b))
        loss = float(np.mean(losses)) if losses else float("inf")
        logger.debug("l2=%s cv_loss=%.4f", l2, loss)
        if loss < best_loss:
            best, best_loss = l2, loss
    return best


def choose_threshold(scores: Sequence[float], refuse: Sequence[bool]) -> float:
    """The cut minimising ``missed refusals + 2 · false refusals`` (refuse iff ``score >= cut``).

    Candidate cuts are 0, 1 and the midpoints between consecutive distinct scores. A false
    refusal costs ``FALSE_REFUSAL_COST`` times a missed one. Among equally good cuts the middle
    one is taken (the widest margin on both sides), so the choice does not hug one dev item.
    """
    values = sorted(set(scores))
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [1.0]
    costs = []
    for cut in cuts:
        missed = sum(s < cut and r for s, r in zip(scores, refuse, strict=True))
        false_refusals = sum(s >= cut and not r for s, r in zip(scores, refuse, strict=True))
        costs.append(missed + FALSE_REFUSAL_COST * false_refusals)
    best = min(costs)
    tied = [cut for cut, cost in zip(cuts, costs, strict=True) if cost == best]
    return (tied[0] + tied[-1]) / 2


def retrieve_all(retriever: HybridRetriever, items: Sequence[GoldItem]) -> Retrieved:
    """Each item's understood question and its top-``TOP_K`` hits, keyed by item id."""
    out = {}
    for it in items:
        with held_out(asked_in(it.id)):
            retrieval = retriever.retrieve(it.question, top_k=TOP_K)
        out[it.id] = (retrieval.question or understand(it.question), retrieval.hits)
    return out


def retrieve_chats(
    retriever: HybridRetriever, chats: Sequence[Conversation], max_turns: int
) -> Retrieved:
    """Each chat's last question, understood with its earlier turns, and its top hits."""
    out = {}
    for chat in chats:
        question = understand(chat.question, chat.turns, max_turns)
        with held_out(asked_in(chat.id)):
            out[chat.id] = (question, retriever.retrieve(question, top_k=TOP_K).hits)
    return out


def decide_all(model: RefusalModel, retrieved: Retrieved) -> dict[str, RefusalDecision]:
    """``qa.refusal.decision.decide`` with ``model`` for every retrieved question."""
    return {i: decide(question, hits, model) for i, (question, hits) in retrieved.items()}


def fit_model(
    items: Sequence[GoldItem], retrieved: Retrieved
) -> tuple[RefusalModel, dict[str, Any]]:
    """Fit weights, bias and threshold on ``items`` (the dev split); also return fit facts."""
    feats = {it.id: compute_features(*retrieved[it.id]) for it in items}
    routed = [it for it in items if _scored_by_model(feats[it.id], retrieved[it.id][1])]
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
    facts = {"l2": l2, "n_fitted": len(routed), "n_fitted_refuse": int(y.sum())}
    return replace(model, threshold=threshold), facts


def calibrate(settings: Settings, items: Sequence[GoldItem]) -> CalibrationResult:
    """Fit the refusal model on the tuning data (dev + dev2 of ``items`` and the chats of
    ``eval/conversations.jsonl``, their last question understood with the earlier turns;
    reported as ``dev``) and score it on them and on test.

    Args:
        settings: Index and embedding model to retrieve with (the index is built if stale).
        items: Gold items; ``answerable``/``conflict`` should be answered, ``unanswerable``
            refused.

    Returns:
        The model (weights, bias, threshold, date and numbers) and both split reports.
    """
    run_ingest(settings)  # no-op when the index is current
    chats = load_conversations()
    tuning = [*split_items(items, "dev"), *split_items(items, "dev2")]
    test = split_items(items, "test")
    retriever = load_retriever(settings)
    retrieved = {
        **retrieve_all(retriever, [*tuning, *test]),
        **retrieve_chats(retriever, chats, settings.max_history_turns),
    }
    dev = [*tuning, *(chat.as_gold_item() for chat in chats)]  # all tuning data
    model, facts = fit_model(dev, retrieved)
    decisions = decide_all(model, retrieved)
    reports = {name: _report(split, decisions) for name, split in (("dev", dev), ("test", test))}
    info = {
        "embedding_model": settings.embedding_model if settings.embedder != "fake" else "fake",
        **facts,
        "n_dev": len(dev),
        "n_test": len(test),
    }
    metrics = {name: report.numbers() for name, report in reports.items()}
    date = dt.date.today().isoformat()
    model = replace(model, date=date, metrics=metrics, info=info)
    logger.info(
        "calibrated threshold=%.4f dev=%s test=%s", model.threshold, metrics["dev"], metrics["test"]
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
