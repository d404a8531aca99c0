"""Answer or refuse: one decision from the question's intent and how well the hits cover it.

Routing, in order:

1. Intent ``medical`` / ``offtopic`` / ``greeting`` → refuse with that kind, whatever the scores
   (an off-topic 鹤壁 hospital snippet matching a symptom question is no reason to answer).
2. No hits → ``not_found``.
3. The question asks for a local figure or rule (多少, 比例 …) of a place no top-5 passage
   covers → ``region`` (北京医保码怎么激活 asks for a national procedure and goes on).
4. The question names a 医保 concept (起付线, 工伤认定 …) no top-5 passage mentions → ``not_found``.
5. Otherwise a calibrated logistic score ``sigmoid(w · features + b)`` (``qa.refusal.features``)
   refuses as ``not_found`` at or above the threshold, else ``answer``.

The weights, bias and threshold come from ``data/calibration.json`` (written by
``eval/calibrate.py``: fitted on the gold dev split, checked on test).

Example:
    >>> model = load_calibration(None)
    >>> decide("北京门诊报销起付线是多少", hits, model).kind
    'region'
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qa.refusal.features import FEATURE_NAMES, RefusalFeatures, compute_features
from qa.refusal.intent import Intent
from qa.refusal.messages import refusal_text, suggest_questions
from qa.settings import DATA_DIR
from qa.types import Hit

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_CALIBRATION",
    "RefusalDecision",
    "RefusalModel",
    "decide",
    "load_calibration",
    "refusal_text",
    "suggest_questions",
]

DEFAULT_CALIBRATION = DATA_DIR / "calibration.json"
FORMAT_VERSION = 1
_RULE_KINDS: frozenset[str] = frozenset({"medical", "offtopic", "greeting"})


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


@dataclass(frozen=True)
class RefusalDecision:
    """Whether to refuse, why, and the evidence.

    Attributes:
        refuse: True to refuse instead of answering.
        kind: ``medical``, ``offtopic``, ``greeting``, ``not_found``, ``region`` or ``answer``.
        score: The model's refusal score (1.0 for rule-based refusals).
        missing: What was not found: places (``region``) then key terms.
        features: The features the decision saw (JSON-friendly).
    """

    refuse: bool
    kind: str
    score: float
    missing: tuple[str, ...] = ()
    features: dict[str, Any] = field(default_factory=dict)

    def as_not_found(self) -> RefusalDecision:
        """This decision turned into a ``not_found`` refusal (nothing quotable after all)."""
        return replace(self, refuse=True, kind="not_found")


def decide(
    question: str, hits: Sequence[Hit], model: RefusalModel, intent: Intent | None = None
) -> RefusalDecision:
    """Decide whether ``hits`` let us answer ``question``.

    Args:
        question: The (possibly contextualised) question.
        hits: Retrieved hits, best first (the service retrieves at least 10).
        model: The calibrated refusal model.
        intent: The intent of the user's own words, when already classified.

    Returns:
        The decision; see the module docstring for the routing.
    """
    features = compute_features(question, hits, intent)
    facts = features.as_dict()
    if features.intent in _RULE_KINDS:
        return RefusalDecision(True, features.intent, 1.0, (), facts)
    if not hits:
        return RefusalDecision(True, "not_found", 1.0, features.key_terms, facts)
    if features.missing_regions and features.asks_local:
        missing = (*features.missing_regions, *features.missing_terms)
        return RefusalDecision(True, "region", 1.0, missing, facts)
    if features.missing_concepts:
        return RefusalDecision(True, "not_found", 1.0, features.missing_terms, facts)
    score = model.score(features)
    refuse = score >= model.threshold
    kind = "not_found" if refuse else "answer"
    return RefusalDecision(refuse, kind, score, features.missing_terms, facts)
