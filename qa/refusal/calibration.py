"""The refusal model: a calibrated logistic score over named features, stored as JSON.

``data/calibration.json`` is written by ``yibao eval --calibrate`` (``eval/calibrate.py``:
fitted on the gold dev split with scikit-learn, checked on test). No pickle: a calibration file
holds numbers only.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.refusal.features import FEATURE_NAMES, RefusalFeatures
from qa.settings import DATA_DIR

logger = logging.getLogger(__name__)

DEFAULT_CALIBRATION = DATA_DIR / "calibration.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RefusalModel:
    """A logistic refusal score over named features, and the threshold that refuses.

    Attributes:
        feature_names: Names of the features the weights apply to, in order.
        weights: One weight per feature (raw feature scale).
        bias: Intercept.
        threshold: Refuse when ``score >= threshold`` (a probability in [0, 1]).
        date: ISO date of the calibration.
        metrics: Numbers the calibration reported (per split), kept for the record.
        info: Anything else worth keeping (model id, regularisation, sample counts).
    """

    feature_names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    date: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.feature_names) != len(self.weights):
            raise ValueError("feature_names and weights differ in length")

    def logit(self, features: RefusalFeatures) -> float:
        """``w · x + b`` for ``features``."""
        values = features.vector(self.feature_names)
        return self.bias + sum(w * x for w, x in zip(self.weights, values, strict=True))

    def score(self, features: RefusalFeatures) -> float:
        """Probability-like refusal score in (0, 1)."""
        z = max(-60.0, min(60.0, self.logit(features)))
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in a calibration file."""
        return {
            "format_version": FORMAT_VERSION,
            "date": self.date,
            "feature_names": list(self.feature_names),
            "weights": dict(zip(self.feature_names, self.weights, strict=True)),
            "bias": self.bias,
            "threshold": self.threshold,
            "metrics": self.metrics,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefusalModel:
        """Parse :meth:`to_json` output (``ValueError`` when malformed)."""
        try:
            names = tuple(str(n) for n in data["feature_names"])
            weights = tuple(float(data["weights"][n]) for n in names)
            return cls(
                feature_names=names,
                weights=weights,
                bias=float(data["bias"]),
                threshold=float(data["threshold"]),
                date=str(data.get("date", "")),
                metrics=dict(data.get("metrics", {})),
                info=dict(data.get("info", {})),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed calibration: {exc!r}") from exc


#: Used only when the shipped calibration file is missing: the rules alone decide.
FALLBACK_MODEL = RefusalModel(
    feature_names=FEATURE_NAMES,
    weights=(0.0,) * len(FEATURE_NAMES),
    bias=0.0,
    threshold=1.0,
    info={"source": "built-in fallback: never refuses on scores"},
)


def load_calibration(path: Path | None = None) -> RefusalModel:
    """Load a refusal model from a calibration JSON file.

    Args:
        path: The file; ``None`` means the one shipped in ``qa/data/calibration.json``.

    Returns:
        The model (the built-in fallback, with a warning, if the shipped file is missing).

    Raises:
        FileNotFoundError: When an explicitly given file does not exist.
        ValueError: When the file is not a valid calibration.
    """
    if path is None:
        path = DEFAULT_CALIBRATION
        if not path.exists():
            logger.warning("no calibration at %s; using the built-in fallback", path)
            return FALLBACK_MODEL
    model = RefusalModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    logger.debug("refusal calibration %s (date=%s)", path, model.date)
    return model


def save_model(model: RefusalModel, path: Path) -> None:
    """Write ``model`` as pretty-printed UTF-8 JSON (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(model.to_json(), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
