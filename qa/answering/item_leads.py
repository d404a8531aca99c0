"""An item of a unit that leads the answer: the one line naming what the question singles out.

- how-to / where / other: the one bulleted item that alone names an uncommon question term
  (闽政通, 建行 → ``银行渠道 :通过建设银行…``), taken out of the quote it leads;
- yes/no, when the quote would open with a heading: the verdict first — the line naming more
  of the telling question terms than any other (身份证要带复印件吗 → ``携带身份证、户口簿原件及
  复印件…``), then the rest of the unit as the reason;
- an amount or time lead that is one short list item beside others stating the asked figure:
  all of them, as one sentence under their heading (:func:`alternatives`, :func:`list_lead`);
- what a lead brings with it: its group (:func:`lead_group`: ``电话查询:`` / ``咨询方式``), the
  rest of its list (:func:`rest_of_list`), or a line naming the asked place beside it
  (:func:`place_beside`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answering.leads import ASKS, SPECIFIC, elsewhere, figure_cue
from qa.answering.points import SYNONYM_SHARE, Scorer
from qa.answering.unit_focus import block_of
from qa.answering.units import BULLET, NUMBERED, Line, Unit
from qa.text.cohorts import asked_age
from qa.text.normalize import fold
from qa.text.regions import find_regions
from qa.text.synonyms import get_synonyms
from qa.types import Question


def detail_lead(
    question: Question, lines: Sequence[Line], scorer: Scorer, topic: str
) -> Line | None:
    """The one bulleted item of ``lines`` that alone names what the question singles out
    (闽政通, 建行 → 建设银行 …), to lead before the quote it is taken from.

    Only uncommon question terms count (IDF weight of at least ``SPECIFIC``, or no weight: a
    word the corpus has only as a synonym), not words of ``topic`` (the unit's heading and
    title: every line is about those); a line naming only other places never leads. Failing
    such a term, a question about a place singles out the one line naming that place with a
    question word of some weight (扬州 + 热线 → 扬州市的医保热线为12393). The item must be the
    only line so named and must not come first already; numbered steps never lead (the
    numbering would show a gap).
    """
    if question.kind not in ("how", "where", "other", "yesno"):  # yes/no: _verdict_item
        return None
    synonyms, topic = get_synonyms(), fold(topic)
    body = [ln for ln in lines if not ln.heading and not ASKS.search(ln.shown)]
    texts = [fold(ln.shown) for ln in body]
    if question.kind == "yesno":  # only before a bare heading (a lead-in may say the verdict)
        bare = lines[0].heading and not _PROSE.search(lines[0].shown)
        return _verdict_item(question, body, texts, scorer, topic) if bare else None
    terms = [
        t
        for t in question.key_terms
        if fold(t) not in topic and scorer.weights.get(fold(t), SPECIFIC) >= SPECIFIC
    ]
    variants = {t: tuple(fold(v) for v in synonyms.variants(t)) for t in terms}
    naming = [
        i
        for i, (ln, text) in enumerate(zip(body, texts, strict=True))
        if not elsewhere(question, ln.shown)
        and any(v in text for vs in variants.values() for v in vs)
    ]
    if not naming and question.regions:  # 扬州 + 热线: the one line about the asked place
        words = [
            w
            for t, weight in scorer.weights.items()
            if weight >= scorer.rare and t not in scorer.places and (w := fold(t)) not in topic
        ]
        naming = [
            i
            for i, (ln, text) in enumerate(zip(body, texts, strict=True))
            if set(find_regions(ln.shown)) & set(question.regions) and any(w in text for w in words)
        ]
    if len(body) < 3 or len(naming) != 1 or naming[0] == 0:
        return None
    line = body[naming[0]]
    if NUMBERED.match(line.shown) or not (line.depth or BULLET.match(line.shown)):
        return None
    return line


_PROSE = re.compile(r"[,，。;；]")  # 如果您错过了…,仍然有补缴的机会…: a lead-in, not a title
_TELLING = 2.0  # IDF weight of a question term that can tell the verdict line (复印件 2.9)


def _verdict_item(
    question: Question, body: Sequence[Line], texts: Sequence[str], scorer: Scorer, topic: str
) -> Line | None:
    """The line naming more (by IDF weight) of the question's telling terms and asked places,
    not in ``topic``, than any other — no numbered step unless it is the one line quoted, none
    about only other places — to give a yes/no answer's verdict first (身份证要带复印件吗 →
    携带身份证、户口簿原件及复印件…)."""
    synonyms = get_synonyms()
    terms = [*question.key_terms, *question.regions]
    weights = {
        fold(t): w
        for t in terms
        if fold(t) not in topic and (w := scorer.weights.get(fold(t), SPECIFIC)) >= _TELLING
    }
    variants = {t: tuple(fold(v) for v in synonyms.variants(t)) for t in weights}
    named = [
        0.0 if elsewhere(question, ln.shown) else _named(text, weights, variants)
        for ln, text in zip(body, texts, strict=True)
    ]
    best = max(named, default=0.0)
    if best == 0 or named.count(best) > 1:
        return None
    line = body[named.index(best)]
    if len(body) == 1:  # the one item quoted under its heading (3. 异地就医 :…): it answers
        return line
    return None if NUMBERED.match(line.shown) else line


def _named(text: str, weights: dict[str, float], variants: dict[str, tuple[str, ...]]) -> float:
    """The weight of the terms ``text`` names; a term named only by a synonym counts
    ``SYNONYM_SHARE`` (医保凭证密码 does not name 医保码 as well as the word itself)."""
    return sum(
        w if t in text else SYNONYM_SHARE * w if any(v in text for v in variants[t]) else 0.0
        for t, w in weights.items()
    )


def alternatives(question: Question, lines: Sequence[Line], lead: Line) -> list[Line]:
    """The short items beside a list-item lead that state the asked figure too (一档:400元/年
    with 二档:775元/年), after the line heading them if any, to lead together; [] when the lead
    stands alone, or the question singles it out by age or group (60-69周岁人员:825元/年)."""
    cue = figure_cue(question)
    if cue is None or not lead.depth or question.groups or asked_age(question.text) is not None:
        return []

    def beside(ln: Line) -> bool:
        return ln.depth == lead.depth and not ln.heading and bool(cue.search(ln.shown))

    lo = hi = lines.index(lead)
    while lo > 0 and beside(lines[lo - 1]):
        lo -= 1
    while hi + 1 < len(lines) and beside(lines[hi + 1]):
        hi += 1
    items = list(lines[lo : hi + 1])
    labels = [_COLON.split(BULLET.sub("", ln.shown).strip(), maxsplit=1)[0] for ln in items]
    if len(items) < 2 or any(len(ln.shown) > 30 for ln in items):
        return []
    if any(len(label) > 1 and label in question.text for label in labels):
        return []  # 二档一年交多少: the item asked about leads alone
    return ([lines[lo - 1]] if lo and lines[lo - 1].depth < lead.depth else []) + items


def list_lead(group: Sequence[Line]) -> str:
    """``个人缴费标准:一档400元/年、二档775元/年。`` from :func:`alternatives`."""
    shown = [_COLON.sub("", BULLET.sub("", ln.shown).strip(), count=1) for ln in group]
    shown = [_NUMBERING.sub("", text).rstrip("。;；") for text in shown]  # 2. 非城镇户籍居民
    head, items = (shown[0], shown[1:]) if group[0].depth < group[-1].depth else ("", shown)
    joined = (";" if any("、" in item for item in items) else "、").join(items)
    return f"{head}:{joined}。" if head else f"{joined}。"


_COLON = re.compile(r"\s*[:：]\s*")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,2}[.、．])\s*")


def item_parent(lines: Sequence[Line], lead: Line) -> Line | None:
    """The heading a short labelled item stands under (``个人缴费标准`` over ``高档:1030元/年``),
    to lead together as ``个人缴费标准:高档1030元/年。``; None for any other line."""
    item = BULLET.sub("", lead.shown).strip()
    if not lead.depth or len(item) > 24 or not _COLON.search(item) or lead not in lines:
        return None
    above = lines[: lines.index(lead)]
    parent = next((ln for ln in reversed(above) if ln.depth < lead.depth), None)
    if parent is None or not parent.heading:
        return None
    label = _NUMBERING.sub("", BULLET.sub("", parent.shown).strip()).rstrip(":：")
    return parent if len(label) <= 12 else None  # a label, not a section title


#: A heading over contact channels (咨询方式: the hotlines a where-lead is one of).
_CONTACT = re.compile(r"咨询|联系|电话|热线|客服")


def lead_group(question: Question, lines: Sequence[Line], lead: Line) -> list[Line] | None:
    """The group a lead line sits in below the unit's first line — its nearest heading above,
    naming a question word (电话查询: for 电话) or contacts (咨询方式), up to the next heading
    as high — or None."""
    k, heads = lines.index(lead), [i for i, ln in enumerate(lines) if ln.heading]
    j = max((i for i in heads if 0 < i < k and lines[i].depth <= lead.depth), default=0)
    words = [v for t in question.key_terms for v in get_synonyms().variants(t)]
    named = any(w in lines[j].shown for w in words) or _CONTACT.search(lines[j].shown)
    if not j or not named:
        return None
    end = min((i for i in heads if i > j and lines[i].depth <= lines[j].depth), default=len(lines))
    group = list(lines[j:end])
    return group if any(not ln.heading and ln is not lead for ln in group) else None


def place_beside(question: Question, lead: Line, lines: Sequence[Line]) -> bool:
    """Whether the lead names no asked place while one of ``lines`` does (阜新 asked, the lead
    a national channel, 阜新医保公众号 further down)."""
    asked = set(question.regions)
    if not asked or asked & set(find_regions(lead.shown)):
        return False
    return any(asked & set(find_regions(ln.shown)) for ln in lines)


def rest_of_list(unit: Unit, lead: Line) -> list[Line]:
    """The other lines under the heading ``lead`` stands under in ``unit`` (the rest of a
    ``准备材料:`` list), or ``[]`` when it stands under none or alone."""
    at = unit.lines.index(lead)
    head = next((i for i in range(at - 1, -1, -1) if unit.lines[i].heading), None)
    if head is None:
        return []
    block = block_of(unit.lines, head, lambda ln: False)
    return [ln for ln in block if not ln.heading and ln is not lead]
