"""Refusal calibration: the scikit-learn fit, the threshold rule, a fake-embedder calibration
on a handful of gold items, and (slow) the shipped calibration against a refit on the real model.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest

from eval.calibrate import (
    L2_GRID,
    calibrate,
    choose_l2,
    choose_threshold,
    decide_all,
    fit_logistic,
    fit_model,
    retrieve_all,
    retrieve_chats,
    save_calibration,
)
from eval.conversations import load_conversations
from eval.gold import load_gold, split_items
from ingest.pipeline import run_ingest
from qa.refusal.calibration import load_calibration
from qa.refusal.features import FEATURE_NAMES
from qa.service import load_retriever

IDS = {
    # answerable / conflict
    "q001", "q002", "q003", "q017", "q018", "q019", "q024", "q025", "q050", "q051", "q087",
    "q094",
    # unanswerable: concept missing, region, medical, greeting, off-topic, hard ones
    "q097", "q098", "q099", "q100", "q105", "q110", "q112", "q113", "q116", "q117", "q118",
    "q121",
}  # fmt: skip


@pytest.fixture(scope="module")
def items():
    return [it for it in load_gold() if it.id in IDS]


@pytest.fixture(scope="module")
def result(eval_settings, items):
    return calibrate(eval_settings, items)


# --------------------------------------------------------------------------- fit helpers


def test_fit_logistic_learns_the_direction():
    x = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    weights, bias = fit_logistic(x, y, l2=0.1)
    assert weights[0] > 0
    assert (x @ weights + bias > 0).tolist() == [False] * 3 + [True] * 3


def test_fit_logistic_minimises_the_documented_objective():
    """At the fit, the gradient of Σ s_i·logloss_i / n + l2/2·‖w‖² (standardised) is zero."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)) * [1.0, 5.0, 0.1] + [0.0, 2.0, 0.8]
    y = (x[:, 0] + rng.normal(0, 1, 40) > 0.8).astype(float)  # unbalanced classes
    l2 = 0.03
    weights, bias = fit_logistic(x, y, l2)
    mean, std = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / std
    w_std, b_std = weights * std, bias + weights @ mean
    p = 1 / (1 + np.exp(-(z @ w_std + b_std)))
    s = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    grad_w = z.T @ (s * (p - y)) / len(y) + l2 * w_std
    grad_b = float(np.sum(s * (p - y)) / len(y))
    assert np.abs(grad_w).max() < 1e-6 and abs(grad_b) < 1e-6


def test_choose_l2_picks_from_the_grid():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] > 0).astype(float)
    assert choose_l2(x, y) in L2_GRID


def test_choose_threshold_weighs_false_refusals_double_and_takes_the_middle_of_ties():
    # refuse iff score >= cut; the answerable 0.6 sits between the refusals 0.5 and 0.9
    scores = [0.1, 0.2, 0.5, 0.6, 0.9]
    refuse = [False, False, True, False, True]
    # cut 0.75: cost 1 (misses 0.5); cut 0.35: cost 2 (refuses 0.6) -> 0.75
    assert choose_threshold(scores, refuse) == pytest.approx(0.75)
    # every cut in (0.2, 0.8] is perfect: the middle of the tied range, 0.5
    assert choose_threshold([0.2, 0.8], [False, True]) == pytest.approx(0.5)
    # cut 0.45 misses only the refusal at 0.3 (cost 1); 0 refuses 0.4 (cost 2); 1.0 misses 2
    assert choose_threshold([0.3, 0.4, 0.5], [True, False, True]) == pytest.approx(0.45)


# --------------------------------------------------------------------------- fake embedder


def test_fits_a_model_with_a_threshold_in_range(result):
    model = result.model
    assert model.feature_names == FEATURE_NAMES
    assert len(model.weights) == len(FEATURE_NAMES)
    assert all(math.isfinite(w) for w in (*model.weights, model.bias))
    assert 0.0 <= model.threshold <= 1.0
    assert model.info["l2"] in L2_GRID and model.info["n_fitted_refuse"] > 0


def test_reports_both_splits(result, items):
    reported = result.dev.n_answerable + result.dev.n_unanswerable + result.test.n_answerable
    reported += result.test.n_unanswerable
    assert reported == len(items) + len(load_conversations())  # the chats are tuning data too
    for report in (result.dev, result.test):
        for rate in (report.accuracy, report.refusal_rate, report.false_refusal_rate):
            assert rate is not None and 0.0 <= rate <= 1.0
    # medical, greeting, off-topic and uncovered places are refused by rule on both splits
    wrong = {w.id for w in (*result.dev.wrong, *result.test.wrong)}
    assert not wrong & {"q100", "q105", "q117", "q118"}
    summary = json.loads(json.dumps(result.summary(), ensure_ascii=False))
    assert summary["date"] == dt.date.today().isoformat()
    assert set(summary["weights"]) == set(FEATURE_NAMES)


def test_is_deterministic(result, eval_settings, items):
    again = calibrate(eval_settings, items)
    assert again.model.weights == result.model.weights
    assert again.model.threshold == result.model.threshold


def test_json_round_trip_with_date_and_numbers(result, tmp_path):
    path = tmp_path / "calibration.json"
    save_calibration(result, path)
    model = load_calibration(path)
    assert model.date == dt.date.today().isoformat()
    assert model.weights == result.model.weights and model.threshold == result.model.threshold
    assert model.metrics["dev"] == result.dev.numbers()
    assert model.metrics["test"]["refusal_rate"] == result.test.refusal_rate
    assert model.info["wrong"]["dev"] == [w.id for w in result.dev.wrong]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["feature_names"] == list(FEATURE_NAMES) and "threshold" in data


# --------------------------------------------------------------------------- real model


@pytest.mark.slow
def test_shipped_calibration_and_a_sklearn_refit_decide_alike(real_settings):
    """Refit on today's dev + dev2 + chat features: every gold item and chat gets the
    shipped model's decision."""
    run_ingest(real_settings)
    chats = load_conversations()
    tuning = [*split_items(load_gold(), "dev"), *split_items(load_gold(), "dev2")]
    gold = [*split_items(load_gold(), "all"), *split_items(load_gold(), "dev2")]
    retriever = load_retriever(real_settings)
    retrieved = {
        **retrieve_all(retriever, gold),
        **retrieve_chats(retriever, chats, real_settings.max_history_turns),
    }
    shipped = load_calibration()
    refit, facts = fit_model([*tuning, *(c.as_gold_item() for c in chats)], retrieved)
    print("shipped", shipped.info.get("l2"), shipped.threshold, "refit", facts, refit.threshold)
    ours, theirs = decide_all(refit, retrieved), decide_all(shipped, retrieved)
    differ = {
        i: (theirs[i].kind, round(theirs[i].score, 3), ours[i].kind, round(ours[i].score, 3))
        for i in ours
        if ours[i].refuse != theirs[i].refuse
    }
    assert not differ, f"shipped vs refit (kind, score): {differ}"
