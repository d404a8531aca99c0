"""The refusal model: logistic score and the calibration JSON file."""

from __future__ import annotations

import json
import math

import pytest

from qa.refusal.calibration import DEFAULT_CALIBRATION, RefusalModel, load_calibration, save_model
from qa.refusal.features import FEATURE_NAMES, compute_features
from qa.retrieval.question import understand
from tests.qa.refusal.hits import ACTIVATE


def test_model_score_is_a_logistic():
    model = RefusalModel(("dense_top", "coverage"), (-10.0, -2.0), 9.0, 0.5)
    f = compute_features(understand("医保码怎么激活"), [ACTIVATE])
    assert model.logit(f) == pytest.approx(9.0 - 10 * 0.93 - 2 * 1.0)
    assert model.score(f) == pytest.approx(1 / (1 + math.exp(-model.logit(f))))
    with pytest.raises(ValueError):
        RefusalModel(("a",), (1.0, 2.0), 0.0, 0.5)


def test_model_json_round_trip(tmp_path):
    model = RefusalModel(
        FEATURE_NAMES,
        tuple(float(i) for i in range(len(FEATURE_NAMES))),
        -1.5,
        0.7,
        date="2026-11-23",
        metrics={"dev": {"refusal_rate": 0.9}},
        info={"l2": 0.1},
    )
    path = tmp_path / "sub" / "calibration.json"
    save_model(model, path)
    assert load_calibration(path) == model
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["weights"]["dense_top"] == 0.0 and data["date"] == "2026-11-23"
    with pytest.raises(ValueError):
        RefusalModel.from_json({"feature_names": ["a"], "weights": {}})
    with pytest.raises(FileNotFoundError):
        load_calibration(tmp_path / "missing.json")


def test_shipped_calibration_loads():
    model = load_calibration(None)
    assert DEFAULT_CALIBRATION.exists()
    assert model.feature_names == FEATURE_NAMES and model.date
    assert 0.0 <= model.threshold <= 1.0
    for split in ("dev", "test"):
        assert {"accuracy", "refusal_rate", "false_refusal_rate"} <= set(model.metrics[split])
