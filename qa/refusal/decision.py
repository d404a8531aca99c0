"""Answer or refuse: one decision from the question's intent and how well the hits cover it.

Routing, in order:

1. Intent ``medical`` / ``offtopic`` / ``greeting`` → refuse with that kind, whatever the scores
   (an off-topic 鹤壁 hospital snippet matching a symptom question is no reason to answer).
2. No hits → ``not_found``.
3. The question asks for a local figure or rule (多少, 比例 …) of a place no top-5 passage
   covers → ``region`` (北京医保码怎么激活 asks for a national procedure and goes on).
4. The question asks for a local figure of a year (2026年度) no top-5 passage names, or names a
   医保 concept (起付线, 工伤认定 …) no top-5 passage mentions → ``not_found``.
5. Otherwise a calibrated logistic score ``sigmoid(w · features + b)`` (``qa.refusal.features``)
   refuses as ``not_found`` at or above the threshold, else ``answer``.

A question naming a thing the corpus never mentions (滞纳金: :func:`unknown_terms`) is
``not_found`` too, checked by the service with the corpus's document frequencies.

After composing, the service refuses as ``region`` an amount question whose quoted passages
are about no asked place (:func:`unanswered_places`), and as ``not_found`` one whose quoted
figures measure something else (a contribution rate for a reimbursement rate:
:func:`figures_measure_else`).

The weights, bias and threshold come from ``data/calibration.json`` (``qa.refusal.calibration``).

Example:
    >>> model = load_calibration(None)
    >>> decide(understand("北京门诊报销起付线是多少"), hits, model).kind
    'region'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qa.refusal.calibration import RefusalModel
from qa.refusal.features import STATES_AMOUNT, compute_features, place_covered
from qa.settings import default
from qa.text.regions import province_of
from qa.text.synonyms import get_synonyms
from qa.types import Hit, Question

logger = logging.getLogger(__name__)

#: Intents refused whatever the passages say: decided before retrieval (no encoder call).
ROUTED_AWAY: frozenset[str] = frozenset({"medical", "offtopic", "greeting"})


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

    def as_region(self, places: Sequence[str]) -> RefusalDecision:
        """This decision turned into a ``region`` refusal for ``places`` (see
        :func:`unanswered_places`)."""
        features = {**self.features, "missing_regions": list(places)}
        missing = (*places, *(m for m in self.missing if m not in places))
        return replace(self, refuse=True, kind="region", missing=missing, features=features)


def unanswered_places(
    question: Question, quoted_regions: Sequence[Sequence[str]]
) -> tuple[str, ...]:
    """The places an amount (or time) question asks a local figure for when no passage the
    answer quotes is about them, else ``()``.

    Contribution amounts and rates are set per city or province: 汕头城乡居民医保一年交多少钱
    answered from a passage about no place (or about 合肥) quotes someone else's figure. The
    retrieval-time check (:func:`decide`) accepts a place named anywhere in the top passages;
    this one sees what was actually quoted. A passage about the asked city's province counts
    (its figures apply there), as does one about a city of an asked province. Questions across
    places (异地就医) and lookups (在哪查: a channel answers them anywhere) are never refused here;
    a time question only when the quoted passages are about another place (廊坊 asked, 江西's
    到账 day quoted): a date about no place is often a national rule.

    Args:
        question: The understood question.
        quoted_regions: The regions of each passage the composed answer cites.
    """
    if (
        question.kind not in ("amount", "time")
        or not question.asks_local
        or question.cross_region
        or question.looks_up
        or not question.regions
    ):
        return ()
    if question.kind == "time" and not any(quoted_regions):
        return ()  # a date about no place: a national rule (激活 takes effect at once …)
    for place in question.regions:
        for regions in quoted_regions:
            if place_covered(place, regions) or province_of(place) in regions:
                return ()
    return question.regions


#: A figure's line says it is paid back / paid in (its measure, for :func:`figures_measure_else`).
_PAID_BACK = re.compile(r"报|支付|自付|起付")  # not 封顶: also the cap of a contribution base
_PAID_IN = re.compile(r"交|缴|扣|划入|补助|补贴|财政")


def figures_measure_else(question: Question, lines: Sequence[str]) -> bool:
    """True when an amount question's quoted figures all measure something else.

    德州职工医保住院能报销多少比例 answered with 单位缴费比例为7% quotes a contribution rate
    for a reimbursement rate; 本溪居民医保个人一年交多少 answered with 报销比例50%-70% the
    reverse. A reimbursement question needs a figure line about paying back (报, 支付 …); a
    contribution question is refused only when its figure lines are about paying back and
    none about paying in (a list item such as ``60-69周岁人员:825元/年`` says neither, and
    stands under its unit's heading).

    Args:
        question: The understood question (``measure`` says what it asks).
        lines: The answer's quoted lines (trust notes left out).
    """
    figures = [line for line in lines if STATES_AMOUNT.search(line)]
    if not question.measure or not figures:
        return False
    back = any(_PAID_BACK.search(line) for line in figures)
    if question.measure == "reimbursement":
        return not back
    return back and not any(_PAID_IN.search(line) for line in figures)


#: Last characters of a word naming a thing of the trade: 滞纳金, 体检费, 意外险, 公交卡, 残疾证,
#: 起付线, 费率, 限额.
_THING_END = frozenset("金费险卡证线率额")


def unknown_terms(question: Question, frequency: Callable[[str], int]) -> tuple[str, ...]:
    """The key terms naming a thing the corpus never mentions, else ``()``.

    A key term of 3+ characters ending like the name of a fee, fund, insurance, card,
    certificate, line, rate or limit (``_THING_END``) counts when neither it, nor its stem
    (滞纳 of 滞纳金), nor any synonym occurs in any document: 医保断交了再补缴要交滞纳金吗 is
    not answered by the 补缴 passages. A stem the corpus has keeps the term (住院费: the corpus
    says 住院费用), so colloquial compounds of known words pass.

    Args:
        question: The understood question.
        frequency: Documents holding a string (``qa.text.substrings.SubstringIndex.count``);
            only whether it is 0 matters.
    """
    synonyms = get_synonyms()
    unknown = []
    for term in question.key_terms:
        if len(term) < 3 or term[-1] not in _THING_END or frequency(term) or frequency(term[:-1]):
            continue
        if not any(frequency(other) for other in synonyms.related(term)):
            unknown.append(term)
    return tuple(unknown)


def refuse_composed(
    question: Question,
    decision: RefusalDecision,
    quoted_regions: Sequence[Sequence[str]],
    lines: Sequence[str],
) -> RefusalDecision | None:
    """The refusal an answer composed for ``question`` turns into, or None to answer it.

    Args:
        question: The understood question.
        decision: The answering decision made before composing.
        quoted_regions: The regions of each passage the answer cites.
        lines: The answer's lines, trust notes left out.
    """
    if places := unanswered_places(question, quoted_regions):  # another place's figure
        return decision.as_region(places)
    if figures_measure_else(question, lines):  # 缴费比例 quoted for 报销比例
        wanted = "报销标准" if question.measure == "reimbursement" else "缴费标准"
        return replace(decision.as_not_found(), missing=(wanted,))
    return None


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
    if features.missing_years and features.asks_local:  # 2026年度 asked, 2025 figures found
        return RefusalDecision(True, "not_found", 1.0, features.missing_terms, facts)
    if features.missing_concepts:
        return RefusalDecision(True, "not_found", 1.0, features.missing_terms, facts)
    score = model.score(features)
    refuse = score >= model.threshold
    kind = "not_found" if refuse else "answer"
    return RefusalDecision(refuse, kind, score, features.missing_terms, facts)
