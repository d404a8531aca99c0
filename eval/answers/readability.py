"""Readability of answers: repeats, bare headings, the lead, gain over the top chunk, order, length.

Each metric is a pure function ``(items, preds) -> MetricResult`` (see :mod:`eval.metrics`). They
read the answer *body* (:func:`answer_body`): the answer without its 面诊 disclaimer and the trust
notes the composer appends (conflict, region and date notes), line breaks kept. The form metrics
(repeats, headings, order, length) score answered, not refused predictions of every kind; the lead
and the gain score the items :func:`eval.answer_metrics.key_fact_recall` scores. Lower is better
for ``duplicate_sentence_rate`` and ``heading_line_rate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from eval.answer_metrics import GROUNDED, answered, facts_found
from eval.gold import CitedPassage, GoldItem, ItemScore, MetricResult, Prediction
from eval.metrics import make_result
from qa.text.normalize import compact, without_spaces
from qa.text.sentences import sentence_spans

DISCLAIMER_SENTENCE = re.compile(r"(?:提示\s*[:：]\s*)?本内容不能代替面诊[^。\n]*。?")
TRUST_NOTE = re.compile(
    r"\s*(?:注意[:：]\s*不同\S{0,12}?(?:数字不一致|标准不同)|您问的是.+但资料中只有|资料中没有专门针对"
    r"|以上数字为.+的资料|资料日期[:：]|医保政策每年可能调整)"
)
"""A line the composer appends as a trust note (`qa.answering.trust`), not a quote."""
MARKER = re.compile(r"\[(\d+)\]")
ENDS = "。！？!?\n"
"""Sentence ends for these metrics: whole sentences (not ；-clauses), never across a line."""
REPEAT_MIN = 12
"""A sentence repeats another when contained in it and at least this long (compact chars)."""

_END = re.compile(r"[。！？!?；;][”’」』】》)）\"']*$")
_NUMBER = re.compile(
    r"[一二三四五六七八九十]+[、.．]|\d{1,2}[.、．)）](?!\d)|[(（]\d{1,2}[)）]"
    r"|第[一二三四五六七八九十\d]+[章节条部分步]"
)
_LABELLED = re.compile(r"[:：].")
_CLAUSE = re.compile(r"[,，;；:：。!?！？]")
_BULLETS = "•·●○◦▪■◆►▶➢✓*-"
_PARAGRAPH = re.compile(r"\n\s*\n")


def answer_body(answer: str, markers: bool = False) -> str:
    """``answer`` without the disclaimer, trust-note lines and (unless ``markers``) ``[n]``."""
    lines = DISCLAIMER_SENTENCE.sub("", answer).split("\n")
    body = "\n".join(line for line in lines if not TRUST_NOTE.match(line)).strip()
    return body if markers else MARKER.sub("", body)


def sentences(body: str) -> list[str]:
    """Sentences of ``body`` per :func:`qa.text.sentences.sentence_spans` with :data:`ENDS`."""
    return [body[s:e] for s, e in sentence_spans(body, ENDS)]


def is_heading(line: str) -> bool:
    """Whether ``line`` (markers, whitespace and a leading bullet ignored) is only a heading.

    A heading ends with a colon (``激活时效 :``); or has no sentence end (``。！？；`` and closers)
    and is ≤ 12 characters (``二、线下激活方式``); or is a numbered line (``二、``, ``1.``,
    ``(1)``, ``第三条``) of ≤ 24 characters without punctuation after its number
    (``1. 国家医保服务平台APP激活``). A line with text after a colon is a label with its
    value (``高档:1030元/年``), not a heading. An empty line (a bare marker) is a heading.
    """
    text = without_spaces(MARKER.sub("", line)).lstrip(_BULLETS)
    if not text or text[-1] in ":：":
        return True
    if _END.search(text) or _LABELLED.search(text):
        return False
    if len(text) <= 12:
        return True
    number = _NUMBER.match(text)
    return number is not None and len(text) <= 24 and not _CLAUSE.search(text, number.end())


def _clip(text: str, size: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _composed(
    items: Sequence[GoldItem], preds: Mapping[str, Prediction]
) -> Iterator[tuple[GoldItem, Prediction, str]]:
    """(item, prediction, answer) of answered, not refused predictions, all kinds."""
    return ((i, p, a) for i, p, a in answered(items, preds, None) if not p.refused)


def repeated_sentence(answer: str) -> tuple[str, str] | None:
    """The first pair of :func:`sentences` of the body that repeat each other, or None.

    Two sentences repeat when their :func:`qa.text.normalize.compact` forms are equal, or the
    shorter is contained in the longer and is ≥ :data:`REPEAT_MIN` characters.
    """
    keyed = [(s, k) for s in sentences(answer_body(answer)) if (k := compact(s))]
    for i, (first, a) in enumerate(keyed):
        for second, b in keyed[i + 1 :]:
            short, long = sorted((a, b), key=len)
            if a == b or (len(short) >= REPEAT_MIN and short in long):
                return first, second
    return None


def duplicate_sentence_rate(
    items: Sequence[GoldItem], preds: Mapping[str, Prediction]
) -> MetricResult:
    """Duplicate-sentence rate = 1[the body shows a sentence twice] (lower is better).

    Per :func:`repeated_sentence`. Applies to answered, not refused predictions, all kinds.
    """
    out = []
    for item, _, answer in _composed(items, preds):
        pair = repeated_sentence(answer)
        if pair:
            reason = f"'{_clip(pair[0])}' repeated as '{_clip(pair[1])}'"
            out.append(ItemScore(item.id, 1.0, reason))
        else:
            out.append(ItemScore(item.id, 0.0, "no sentence repeated"))
    return make_result("duplicate_sentence_rate", out)


def heading_line_rate(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Heading-only cited lines = 1[some body line with a ``[n]`` marker is only a heading].

    Headings per :func:`is_heading`; lower is better. An answer without cited lines scores 0.
    Applies to answered, not refused predictions, all kinds.
    """
    out = []
    for item, _, answer in _composed(items, preds):
        cited = [ln for ln in answer_body(answer, markers=True).split("\n") if MARKER.search(ln)]
        bare = [ln for ln in cited if is_heading(ln)]
        if bare:
            reason = f"{len(bare)}/{len(cited)} cited lines are headings: '{_clip(bare[0])}'"
            out.append(ItemScore(item.id, 1.0, reason))
        else:
            out.append(ItemScore(item.id, 0.0, f"{len(cited)} cited lines, none a heading"))
    return make_result("heading_line_rate", out)


def lead_key_fact(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Lead holds a key fact = 1[the body's first sentence contains some key fact].

    The first of :func:`sentences` (so the first line at most); a refusal scores 0. Applies
    to answered ``answerable`` / ``conflict`` items with key facts.
    """
    out = []
    for item, pred, answer in answered(items, preds, GROUNDED):
        if not item.key_facts:
            continue
        lead = next(iter(sentences(answer_body(answer))), "")
        found = facts_found(item.key_facts, lead)
        if pred.refused:
            out.append(ItemScore(item.id, 0.0, "refused"))
        elif found:
            out.append(ItemScore(item.id, 1.0, f"lead holds '{found[0]}'"))
        else:
            out.append(ItemScore(item.id, 0.0, f"no key fact in lead '{_clip(lead)}'"))
    return make_result("lead_key_fact", out)


def key_fact_gain(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Key-fact gain = recall(answer) − recall(top retrieved chunk), in [−1, 1].

    recall(t) = |key facts contained in t| / |key facts| as in
    :func:`eval.answer_metrics.key_fact_recall`; the top chunk is ``pred.retrieved[0].text``
    (recall 0 when nothing was retrieved). A composer should not lose what its best passage
    says: the mean should be ≥ 0. Applies to the items key-fact recall scores.
    """
    out = []
    for item, pred, answer in answered(items, preds, GROUNDED):
        n = len(item.key_facts)
        if not n:
            continue
        top = pred.retrieved[0].text if pred.retrieved else ""
        said, had = len(facts_found(item.key_facts, answer)), len(facts_found(item.key_facts, top))
        reason = f"answer {said}/{n} key facts, top chunk {had}/{n}"
        out.append(ItemScore(item.id, (said - had) / n, reason))
    return make_result("key_fact_gain", out)


def quoted_units(answer: str) -> list[list[tuple[int, str]]]:
    """Per paragraph of the body, each quoted unit as ``(n, text)``.

    A unit is the run of lines up to and including a line with a marker; ``n`` is that line's
    first marker and ``text`` the run without markers. Lines after the last marker of a
    paragraph quote nothing and are left out.
    """
    paragraphs = []
    for paragraph in _PARAGRAPH.split(answer_body(answer, markers=True)):
        units, lines = [], []
        for line in paragraph.split("\n"):
            lines.append(MARKER.sub("", line))
            if marks := MARKER.findall(line):
                units.append((int(marks[0]), "\n".join(lines)))
                lines = []
        paragraphs.append(units)
    return paragraphs


def _offset(unit: str, source: str) -> int:
    """Where ``unit`` (or, failing that, its first line) starts in ``source`` (−1 if nowhere)."""
    source = without_spaces(source)
    at = source.find(without_spaces(unit))
    first = without_spaces(unit.strip().split("\n")[0])
    return at if at >= 0 or not first else source.find(first)


def _in_order(a: str, b: str, first: CitedPassage, second: CitedPassage) -> bool | None:
    """Whether unit ``a`` starts before ``b`` in the first cited text holding both (None: none)."""
    for text in dict.fromkeys((first.text, second.text)):
        at, bt = _offset(a, text), _offset(b, text)
        if at >= 0 and bt >= 0:
            return at < bt
    return None


def source_order(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Source-order fidelity = |adjacent same-source pairs in source order| / |such pairs|.

    Adjacent :func:`quoted_units` of one paragraph form a pair when their citations have the
    same source: the same ``doc_id`` (the same ``text`` when a citation has no ``doc_id``).
    The pair is in order when, in the first of the two citations' texts that holds both
    units (located with ``find`` on whitespace-free text), the first unit starts strictly
    before the second; a pair that no cited text holds is left out. 1.0 = the answer keeps
    its source's order. Applies to answered, not refused predictions with such a pair.
    """
    out = []
    for item, pred, answer in _composed(items, preds):
        cited = {c.n: c for c in pred.citations}
        ok, pairs, swapped = 0, 0, ""
        for units in quoted_units(answer):
            for (n, a), (m, b) in zip(units, units[1:], strict=False):
                first, second = cited.get(n), cited.get(m)
                if first is None or second is None:
                    continue
                same = first.doc_id == second.doc_id if first.doc_id else first.text == second.text
                ordered = _in_order(a, b, first, second) if same else None
                if ordered is None:
                    continue
                pairs, ok = pairs + 1, ok + ordered
                swapped = swapped or ("" if ordered else f", '{_clip(b, 16)}' [{m}] comes first")
        if pairs:
            reason = f"{ok}/{pairs} adjacent same-source pairs in source order{swapped}"
            out.append(ItemScore(item.id, ok / pairs, reason))
    return make_result("source_order", out)


def body_chars(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Body length = characters of :func:`answer_body` without whitespace; score = mean.

    Applies to answered, not refused predictions, all kinds.
    """
    out = []
    for item, _, answer in _composed(items, preds):
        n = len(without_spaces(answer_body(answer)))
        out.append(ItemScore(item.id, float(n), f"{n} characters"))
    return make_result("body_chars", out)


def body_chars_p90(items: Sequence[GoldItem], preds: Mapping[str, Prediction]) -> MetricResult:
    """Body length p90 = 90th percentile (numpy, linear) of the :func:`body_chars` values."""
    scores = body_chars(items, preds).items
    if not scores:
        return MetricResult("body_chars_p90", None, [])
    p90 = float(np.percentile([s.value for s in scores], 90, method="linear"))
    return MetricResult("body_chars_p90", p90, scores)
