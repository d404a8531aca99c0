"""Answer metrics: key facts, citations, disclaimer, refusals, conflicts, figures, overlap.

Each metric is a pure function ``(items, preds) -> MetricResult`` (see :mod:`eval.metrics`)
scoring only predictions whose ``answer`` is not None (refusal metrics also score a
prediction with ``refused=True`` and no answer). Text is compared after
:func:`eval.metrics.normalise` (NFKC + no whitespace) and, for the answer, after
:func:`strip_answer` (citation markers and the 面诊 disclaimer removed). Figures are those of
:mod:`qa.text.figures`, the definition the answer composer checks its own output with. How
readable an answer is (repeats, headings, lead, order, length): :mod:`eval.answers.readability`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

import numpy as np

from eval.gold import GoldItem, ItemScore, MetricResult, Prediction
from eval.metrics import make_result
from qa.answering.extractive import ROUTINE_NOTES
from qa.text.figures import extract_figures, figure_supported
from qa.text.normalize import without_spaces

DISCLAIMER = "本内容不能代替面诊"
"""Phrase every answer must carry, checked verbatim by :func:`disclaimer_rate`."""

CONFLICT_CUES: tuple[str, ...] = (
    "不一致",
    "不同",
    "差异",
    "存在出入",
    "有出入",
    "说法不一",
    "不统一",
    "冲突",
    "矛盾",
    "因地而异",
    "以当地医保部门核定为准",
    "以当地",
)
"""Words by which an answer signals that its sources disagree (matched after normalising)."""

GROUNDED = frozenset({"answerable", "conflict"})
_MARKER = re.compile(r"\[\d+\]")
# The disclaimer sentence, e.g. "提示:本内容不能代替面诊,如有不适请尽快就医。" (normalised).
_DISCLAIMER_SENTENCE = re.compile(r"(?:提示:)?本内容不能代替面诊[^。]*。?")


def strip_answer(text: str) -> str:
    """Normalise ``text`` and drop ``[n]`` citation markers and the 面诊 disclaimer sentence."""
    text = _MARKER.sub("", without_spaces(text))
    return _DISCLAIMER_SENTENCE.sub("", text)


def answered(
    items: Sequence[GoldItem], preds: Mapping[str, Prediction], kinds: Collection[str] | None
) -> Iterator[tuple[GoldItem, Prediction, str]]:
    """(item, prediction, answer) for items of ``kinds`` (all if None) that got an answer."""
    for item in items:
        pred = preds.get(item.id)
        if pred is None or pred.answer is None:
            continue
        if kinds is None or item.kind in kinds:
            yield item, pred, pred.answer


def facts_found(facts: Sequence[str], answer: str) -> list[str]:
    text = strip_answer(answer)
    return [f for f in facts if without_spaces(f) and without_spaces(f) in text]


def key_fact_recall(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Key-fact recall = |key facts contained in the answer| / |key facts|.

    Applies to answered ``answerable`` / ``conflict`` items with key facts.
    """
    out = []
    for item, _, answer in answered(items, preds, GROUNDED):
        if not item.key_facts:
            continue
        found = facts_found(item.key_facts, answer)
        missing = [f for f in item.key_facts if f not in found]
        reason = f"{len(found)}/{len(item.key_facts)} key facts"
        if missing:
            reason += ", missing " + ", ".join(f"'{f}'" for f in missing)
        out.append(ItemScore(item.id, len(found) / len(item.key_facts), reason))
    return make_result("key_fact_recall", out)


def all_facts_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """All-facts rate = 1[every key fact is contained in the answer] (same items as recall)."""
    out = []
    for item, _, answer in answered(items, preds, GROUNDED):
        if not item.key_facts:
            continue
        missing = [f for f in item.key_facts if f not in facts_found(item.key_facts, answer)]
        if missing:
            out.append(ItemScore(item.id, 0.0, f"missing key fact '{missing[0]}'"))
        else:
            out.append(ItemScore(item.id, 1.0, "all key facts present"))
    return make_result("all_facts", out)


def citation_precision(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Citation precision = |cited chunks holding a key fact or the anchor| / |cited chunks|.

    A cited chunk is relevant when its normalised text contains any key fact or the anchor.
    An answer without citations scores 0. Applies to answered ``answerable`` / ``conflict``
    items with key facts or an anchor.
    """
    out = []
    for item, pred, _ in answered(items, preds, GROUNDED):
        needles = [without_spaces(s) for s in (*item.key_facts, item.anchor) if without_spaces(s)]
        if not needles:
            continue
        if not pred.citations:
            out.append(ItemScore(item.id, 0.0, "no citation"))
            continue
        good = sum(any(n in without_spaces(c.text) for n in needles) for c in pred.citations)
        n = len(pred.citations)
        out.append(ItemScore(item.id, good / n, f"{good}/{n} cited chunks hold a key fact"))
    return make_result("citation_precision", out)


def source_hit(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Source hit = 1[some citation's ``source`` equals the item's ``source``].

    Applies to answered ``answerable`` / ``conflict`` items with a source.
    """
    out = []
    for item, pred, _ in answered(items, preds, GROUNDED):
        if not item.source:
            continue
        cited = [c.n for c in pred.citations if c.source == item.source]
        if cited:
            out.append(ItemScore(item.id, 1.0, f"gold source cited as [{cited[0]}]"))
        else:
            out.append(
                ItemScore(item.id, 0.0, f"gold source not among {len(pred.citations)} cited")
            )
    return make_result("source_hit", out)


def disclaimer_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Disclaimer rate = 1[the answer contains "本内容不能代替面诊" verbatim]. All kinds."""
    out = [
        ItemScore(item.id, 1.0, "disclaimer present")
        if DISCLAIMER in answer
        else ItemScore(item.id, 0.0, "disclaimer missing")
        for item, _, answer in answered(items, preds, None)
    ]
    return make_result("disclaimer_rate", out)


def _refusals(
    items: Sequence[GoldItem], preds: Mapping[str, Prediction], kind: str, name: str
) -> MetricResult:
    out = []
    for item in items:
        pred = preds.get(item.id)
        if item.kind != kind or pred is None or (pred.answer is None and not pred.refused):
            continue
        if pred.refused:
            out.append(ItemScore(item.id, 1.0, "refused"))
        else:
            out.append(ItemScore(item.id, 0.0, "answered"))
    return make_result(name, out)


def refusal_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Refusal rate = 1[pred.refused] over ``unanswerable`` items (higher is better).

    Scores predictions with an answer or ``refused=True``.
    """
    return _refusals(items, preds, "unanswerable", "refusal_rate")


def false_refusal_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """False-refusal rate = 1[pred.refused] over ``answerable`` items (lower is better)."""
    return _refusals(items, preds, "answerable", "false_refusal_rate")


def conflict_flag_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Conflict flag = 1[answer holds ≥ min(2, |key facts|) key facts AND a conflict cue].

    Cue words are :data:`CONFLICT_CUES`, searched after removing the routine region and date
    notes (:data:`qa.answering.extractive.ROUTINE_NOTES`: 以上数字为…的资料,其他地区可能不同 /
    请以当地最新规定为准 come with most answers and report no disagreement). Applies to
    answered ``conflict`` items.
    """
    out = []
    for item, _, answer in answered(items, preds, {"conflict"}):
        found = facts_found(item.key_facts, answer)
        need = min(2, len(item.key_facts))
        text = ROUTINE_NOTES.sub("", strip_answer(answer))
        cue = next((c for c in CONFLICT_CUES if without_spaces(c) in text), None)
        if len(found) < need:
            reason = f"only {len(found)}/{len(item.key_facts)} differing facts stated"
            out.append(ItemScore(item.id, 0.0, reason))
        elif cue is None:
            out.append(ItemScore(item.id, 0.0, f"{len(found)} differing facts but no cue word"))
        else:
            out.append(ItemScore(item.id, 1.0, f"{len(found)} differing facts and cue '{cue}'"))
    return make_result("conflict_flag_rate", out)


#: The quoted title in a title-only refusal (``qa.refusal.messages``).
_LINK_TITLE = re.compile(r"(?<=只有一篇文章的标题)《[^》]*》")


def figure_faithfulness(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Figure faithfulness = |answer figures found in some cited chunk| / |answer figures|.

    Figures per :func:`qa.text.figures.extract_figures` (duplicates counted) of the answer
    without its 面诊 disclaimer; a figure is found when
    :func:`qa.text.figures.figure_supported` finds it verbatim (not as part of a longer number:
    ``400`` is not in ``4000``; a range also when each endpoint occurs) in at least one cited
    chunk's text. An answer with no figures scores 1.0. All kinds. A refusal naming the bare
    link title it found (``只有一篇文章的标题《晋城新农合2025年…》``) quotes that title, not a
    figure of its own: the title's figures are not counted.
    """
    out = []
    for item, pred, answer in answered(items, preds, None):
        said = _DISCLAIMER_SENTENCE.sub("", answer)
        figures = extract_figures(_LINK_TITLE.sub("", said) if pred.refused else said)
        if not figures:
            out.append(ItemScore(item.id, 1.0, "no figures"))
            continue
        quotes = [c.text for c in pred.citations]
        unsupported = [f for f in figures if not figure_supported(f, quotes)]
        value = 1 - len(unsupported) / len(figures)
        reason = f"{len(figures) - len(unsupported)}/{len(figures)} figures in cited chunks"
        if unsupported:
            reason += ", unsupported " + ", ".join(f"'{f}'" for f in unsupported)
        out.append(ItemScore(item.id, value, reason))
    return make_result("figure_faithfulness", out)


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (O(len·len) DP)."""
    if len(b) > len(a):
        a, b = b, a
    row = [0] * (len(b) + 1)
    for ch in a:
        prev = 0  # row[j - 1] of the previous row
        for j, other in enumerate(b, start=1):
            cur = row[j]
            row[j] = prev + 1 if ch == other else max(row[j], row[j - 1])
            prev = cur
    return row[-1]


def rouge_l_f1(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Character-level ROUGE-L F1 between answer and ``item.reference``.

    Both texts pass through :func:`strip_answer`; with L = LCS length in characters,
    P = L/|answer|, R = L/|reference|, F1 = 2PR/(P+R) (0 when L = 0). Applies to answered
    items with a reference, all kinds.
    """
    out = []
    for item, _, answer in answered(items, preds, None):
        ref = strip_answer(item.reference)
        if not ref:
            continue
        hyp = strip_answer(answer)
        lcs = lcs_length(hyp, ref)
        if lcs == 0:
            out.append(ItemScore(item.id, 0.0, "no common characters"))
            continue
        p, r = lcs / len(hyp), lcs / len(ref)
        out.append(ItemScore(item.id, 2 * p * r / (p + r), f"LCS {lcs}, P={p:.2f}, R={r:.2f}"))
    return make_result("rouge_l_f1", out)


def semantic_similarity(
    items: Sequence[GoldItem],
    preds: Mapping[str, Prediction],
    embed: Callable[[list[str]], np.ndarray],
) -> MetricResult:
    """Semantic answer similarity = cos(e(answer), e(reference)) (Haystack SAS, RAGAS).

    ``embed`` maps texts to an (n, d) array (called once for all texts); vectors are
    L2-normalised here too. The answer is :func:`strip_answer`-ed; the reference is used as
    written. Applies to answered items with a reference, all kinds.
    """
    pairs = [(item, strip_answer(a)) for item, _, a in answered(items, preds, None)]
    pairs = [(item, a) for item, a in pairs if item.reference.strip()]
    if not pairs:
        return make_result("semantic_similarity", [])
    texts = [a for _, a in pairs] + [item.reference for item, _ in pairs]
    vecs = np.asarray(embed(texts), dtype=float).reshape(len(texts), -1)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)
    n = len(pairs)
    out = []
    for i, (item, _) in enumerate(pairs):
        cos = float(vecs[i] @ vecs[n + i])
        out.append(ItemScore(item.id, cos, f"cosine {cos:.3f}"))
    return make_result("semantic_similarity", out)
