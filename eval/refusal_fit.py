"""Fitting helpers for the refusal calibration: logistic regression, L2 choice, threshold.

All deterministic numpy: Newton's method on standardised features, class-balanced sample
weights, the L2 strength picked by k-fold cross-validation with fixed folds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression; returns raw-scale ``(weights, bias)``."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    n_pos = max(int(y.sum()), 1)
    n_neg = max(len(y) - int(y.sum()), 1)
    sample = np.where(y == 1, len(y) / (2 * n_pos), len(y) / (2 * n_neg)) / len(y)
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not penalised
    beta = np.zeros(z.shape[1])
    for _ in range(100):
        p = _sigmoid(z @ beta)
        grad = z.T @ (sample * (p - y)) + penalty * beta
        hess = (
            (z * (sample * p * (1 - p))[:, None]).T @ z
            + np.diag(penalty)
            + 1e-9 * np.eye(len(beta))
        )
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    weights = beta[:-1] / std
    return weights, float(beta[-1] - weights @ mean)


def _log_loss(x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> float:
    p = np.clip(_sigmoid(x @ weights + bias), 1e-9, 1 - 1e-9)
    balance = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max(len(y) - y.sum(), 1))
    return float(-(balance * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum())


def choose_l2(x: np.ndarray, y: np.ndarray) -> float:
    """The L2 strength of ``L2_GRID`` with the lowest cross-validated balanced log loss."""
    folds = np.arange(len(y)) % FOLDS
    best, best_loss = L2_GRID[len(L2_GRID) // 2], float("inf")
    for l2 in L2_GRID:
        losses = []
        for k in range(FOLDS):
            train, held = folds != k, folds == k
            if held.sum() == 0 or len(set(y[train].tolist())) < 2:
                continue
            w, b = fit_logistic(x[train], y[train], l2)
            losses.append(_log_loss(x[held], y[held], w, b))
        loss = float(np.mean(losses)) if losses else float("inf")
        logger.debug("l2=%s cv_loss=%.4f", l2, loss)
        if loss < best_loss:
            best, best_loss = l2, loss
    return best


#: A wrongly refused user gets nothing; a missed refusal still gets a cited, disclaimed answer.
FALSE_REFUSAL_COST = 2.0


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
