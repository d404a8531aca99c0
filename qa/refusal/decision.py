"""Answer or refuse: one decision from the question's intent and how well the hits cover it.

Routing, in order:

1. Intent ``medical`` / ``offtopic`` / ``greeting`` / ``service`` → refuse with that kind,
   whatever the scores (an off-topic 鹤壁 hospital snippet matching a symptom question is no
   reason to answer).
2. No hits → ``not_found``.
3. The question asks for a local figure or rule (多少, 比例 …) of a place no top-5 passage
   covers → ``region`` (北京医保码怎么激活 asks for a national procedure and goes on).
4. The question asks for a local figure of a year (2026年度) no top-5 passage names, or names a
   医保 concept (起付线, 工伤认定 …) no top-5 passage mentions → ``not_found``.
5. Otherwise a calibrated logistic score ``sigmoid(w · features + b)`` (``qa.refusal.features``)
   refuses as ``not_found`` at or above the threshold, else ``answer``.

A question naming a thing the corpus never mentions (滞纳金: :func:`unknown_terms`) is
``not_found`` too, checked by the service with the corpus's document frequencies.

After composing, the service may still refuse (:mod:`qa.refusal.composed`: quoted passages
about no asked place, figures for another group or payer, or of another measure).

The weights, bias and threshold come from ``data/calibration.json`` (``qa.refusal.calibration``).

Example:
    >>> model = load_calibration(None)
    >>> decide(understand("北京门诊报销起付线是多少"), hits, model).kind
    'region'
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qa.refusal.calibration import RefusalModel
from qa.refusal.features import compute_features
from qa.settings import default
from qa.text.synonyms import get_synonyms
from qa.types import Hit, Question

logger = logging.getLogger(__name__)

#: Intents refused whatever the passages say: decided before retrieval (no encoder call).
ROUTED_AWAY: frozenset[str] = frozenset({"medical", "offtopic", "greeting", "service"})


def route_away(question: Question) -> RefusalDecision | None:
    """The refusal for a medical, off-topic or greeting question, before any retrieval."""
    if question.intent not in ROUTED_AWAY:
        return None
    return RefusalDecision(True, question.intent, 1.0)


@dataclass(frozen=True)
class RefusalDecision:
    """Whether to refuse, why, and the evidence.

    Attributes:
        refuse: True to refuse instead of answering.
        kind: ``medical``, ``offtopic``, ``greeting``, ``service``, ``not_found``, ``region`` or
            ``answer``.
        score: The model's refusal score (1.0 for rule-based refusals).
        missing: What was not found: places (``region``) then key terms.
        features: The features the decision saw (JSON-friendly).
        related: Related passages were found, but none states ``missing`` (a refusal after
            composing: other people's, another payer's or another measure's figures).
    """

    refuse: bool
    kind: str
    score: float
    missing: tuple[str, ...] = ()
    features: dict[str, Any] = field(default_factory=dict)
    related: bool = False

    def as_not_found(self) -> RefusalDecision:
        """This decision turned into a ``not_found`` refusal (nothing quotable after all)."""
        return replace(self, refuse=True, kind="not_found")

    def lacking(self, missing: Sequence[str]) -> RefusalDecision:
        """A ``not_found`` refusal: related passages were quoted, but none states ``missing``."""
        return replace(self, refuse=True, kind="not_found", missing=tuple(missing), related=True)

    def unnamed(self, terms: Sequence[str]) -> RefusalDecision:
        """A ``not_found`` refusal for ``terms`` no document names (:func:`unknown_terms`)."""
        features = {**self.features, "unknown_terms": list(terms)}
        return replace(self, refuse=True, kind="not_found", missing=tuple(terms), features=features)

    def title_only(self, place: str, title: str) -> RefusalDecision:
        """A ``region`` refusal for ``place``: the corpus holds only the title of an article on
        it (``qa.refusal.title_only``)."""
        refusal = self.as_region([place])
        return replace(refusal, features={**refusal.features, "link_title": title})

    def as_region(self, places: Sequence[str]) -> RefusalDecision:
        """This decision turned into a ``region`` refusal for ``places`` (see
        :func:`unanswered_places`)."""
        features = {**self.features, "missing_regions": list(places)}
        missing = (*places, *(m for m in self.missing if m not in places))
        return replace(self, refuse=True, kind="region", missing=missing, features=features)


#: Last characters of a word naming a thing of the trade: 滞纳金, 体检费, 意外险, 公交卡, 残疾证,
#: 起付线, 费率, 限额.
_THING_END = frozenset("金费险卡证线率额")
#: Of those, the ends whose two-character words name a sum of money too: 押金, 罚金, 学费.
_SUM_END = frozenset("金费")
#: Last characters of a word naming a medical service or item a plan may or may not cover:
#: 种牙, 手术, 配眼镜, 化疗, 疫苗, 打针, 牙齿 (two characters are enough).
_CARE_END = frozenset("牙术镜疗苗针齿")
#: Only a short question is about such a service (种牙医保能报吗); in a long one (回老家做个手术,
#: 深圳的医保在湖南能报吗) it is a detail of another matter the corpus may answer.
_CARE_KEY_TERMS = 3


def _long_form_known(term: str, frequency: Callable[[str], int]) -> bool:
    """Whether the corpus names an insurance ``term`` in its long form (生育险 as 生育保险)."""
    return term.endswith("险") and bool(frequency(f"{term[:-1]}保险"))


def unknown_terms(question: Question, frequency: Callable[[str], int]) -> tuple[str, ...]:
    """The key terms naming a thing the corpus never mentions, else ``()``.

    A key term of 3+ characters ending like the name of a fee, fund, insurance, card,
    certificate, line, rate or limit (``_THING_END``), or of 2+ ending like a medical service
    (``_CARE_END``: 种牙, 手术, 疫苗) in a question of at most three key terms, counts when
    neither it, nor (for an insurance) its long form (生育险 → 生育保险), nor any synonym
    occurs in any document: 医保断交了再补缴要交滞纳金吗 is not answered by the 补缴 passages.
    A stem alone does not keep the term: the corpus says 停保手续, but 要交手续费吗 asks about
    a fee it never names.

    Args:
        question: The understood question.
        frequency: Documents holding a string (``qa.text.substrings.SubstringIndex.count``);
            only whether it is 0 matters.
    """
    synonyms = get_synonyms()
    unknown = []
    for term in question.key_terms:
        thing = len(term) >= 3 and term[-1] in _THING_END or len(term) == 2 and term[-1] in _SUM_END
        care = term[-1] in _CARE_END and len(question.key_terms) <= _CARE_KEY_TERMS
        if not (thing or care) or frequency(term):
            continue
        if _long_form_known(term, frequency):
            continue
        if not any(frequency(other) for other in synonyms.related(term)):
            unknown.append(term)
    return tuple(unknown)


def decide(
    question: Question,
    hits: Sequence[Hit],
    model: RefusalModel,
    coverage_hits: int = default("refusal_coverage_hits"),
    context_hits: int = default("refusal_context_hits"),
) -> RefusalDecision:
    """Decide whether ``hits`` let us answer ``question``.

    Args:
        question: The understood question.
        hits: Retrieved hits, best first (``Settings.refusal_hits`` of them).
        model: The calibrated refusal model.
        coverage_hits: Settings ``refusal_coverage_hits``.
        context_hits: Settings ``refusal_context_hits``.

    Returns:
        The decision; see the module docstring for the routing.
    """
    features = compute_features(question, hits, coverage_hits, context_hits)
    facts = features.as_dict()
    if features.intent in ROUTED_AWAY:
        return RefusalDecision(True, features.intent, 1.0, (), facts)
    if not hits:
        return RefusalDecision(True, "not_found", 1.0, features.key_terms, facts)
    if features.missing_regions and features.asks_local:
        missing = (*features.missing_regions, *features.missing_terms)
        return RefusalDecision(True, "region", 1.0, missing, facts)
    dated = features.asks_local or question.kind in ("amount", "time")  # 2026年 补缴最晚哪天
    if features.missing_years and dated:  # 2026年度 asked, 2025 figures found
        return RefusalDecision(True, "not_found", 1.0, features.missing_years, facts)
    if features.missing_concepts:
        return RefusalDecision(True, "not_found", 1.0, features.missing_terms, facts)
    score = model.score(features)
    refuse = score >= model.threshold
    kind = "not_found" if refuse else "answer"
    return RefusalDecision(refuse, kind, score, features.missing_terms, facts)
