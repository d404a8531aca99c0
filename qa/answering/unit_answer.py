"""Answers built from answer units (``YIBAO_COMPOSER=units``): one coherent quote per question.

1. The relevant retrieved chunks (``qa.answering.points.relevant_chunks``) name their units
   (a section of an article, or one snippet); the **primary** unit is the best-ranked one,
   moved to the sibling section the question points at (线下 / 窗口 / 老人 → 线下…方式;
   手机 / APP / 微信 → 线上…方式) and, for a materials, amount or time question, to the first
   of the top three units that states materials, an amount or a time (三十日内, 3个月).
2. A **lead** answers the question's kind: for a how-to whose article offers several routes,
   the routes by their headings; otherwise the unit's best prose sentence for the kind.
3. The primary unit is **quoted in source order** with its list structure (numbers, bullets,
   nesting); its heading is a heading line, never a cited point.
4. A second unit is added, under ``另外:``, only when it holds a point the primary lacks, and
   never a sentence already shown.
5. The body stays within about 300 characters for a fact question and 600 for a procedure,
   cut only at line boundaries; citations and trust notes come after.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from qa.answering.extractive import (
    CitationList,
    Composition,
    ExtractiveComposer,
    trust_notes,
    usable_chunks,
)
from qa.answering.leads import (
    ASKS,
    ROUTE,
    group_lead,
    kind_cue,
    lead_text,
    line_score,
    materials_lead,
    route_lead,
    sentence_lead,
    unstated_note,
)
from qa.answering.points import Scorer, relevant_chunks
from qa.answering.units import (
    LIST_MARK,
    REFERS_BACK,
    Line,
    Unit,
    block_of,
    render_lines,
    sibling_units,
    take_lines,
    unit_of,
    window,
)
from qa.settings import Settings
from qa.text.figures import unsupported_figures
from qa.types import Chunk, Document, Hit, Question

logger = logging.getLogger(__name__)

_OFFLINE = re.compile(
    r"线下|窗口|柜台|现场|大厅|没有智能手机|不会[用弄玩使]?手机|不懂手机|没手机|老人|年纪大|腿脚"
    r"|行动不便|[6-9]\d多?岁|[6-9]\d多?了|[六七八九]十多?岁?"
)
#: Questions answered by a whole unit (a comparison reads the whole list).
_WHOLE = re.compile(r"区别|不一样|不同|差别|差异|有啥不|有什么不")
_IN_PERSON = re.compile(r"线下|窗口|柜台|大厅|网点|银行|服务中心|经办机构|服务点|社区")
_ONLINE = re.compile(r"(?i)线上|网上|手机|app|微信|支付宝|小程序|公众号")
#: Section headings that answer a kind of question (a sibling section is quoted instead).
_HEADING_CUES = {
    "time": re.compile(r"时间|期限|日期|截止"),
    "materials": re.compile(r"材料|证件"),
}
#: Headings of lists of miscellaneous notes (each item is its own topic).
_NOTES = re.compile(r"注意|事项|提示|说明|特殊情况|常见问题|其他")
#: Questions asking for a list (answered by all its items, not the best one).
_ASKS_LIST = re.compile(r"哪些|哪几|注意什么|注意啥|注意事项|要注意|什么要求|几种|几个")
_PROCEDURE_BUDGET, _FACT_BUDGET = 600, 300
_EXTRA_UNITS = 2  # other units that may add a point the primary lacks


def _primary(question: Question, units: Sequence[Unit]) -> Unit:
    """The unit to quote: the best-ranked one, moved to the section the question points at
    (线下 / 线上 route; a section headed 时间 / 材料 for a time / materials question) or, for a
    materials, amount or time question, to the first of the top three that states one."""
    best = units[0]
    wants = _OFFLINE if _OFFLINE.search(question.text) else None
    wants = wants or (_ONLINE if _ONLINE.search(question.text) else None)
    if wants is not None and question.kind in ("how", "where", "other", "yesno"):
        for unit in units[:3]:  # the best unit's article first, then the next ones'
            for sibling in sibling_units(unit):
                if wants.search(sibling.heading) and ROUTE.search(sibling.heading):
                    return sibling
    online_best = _ONLINE.search(f"{best.doc.title} {best.heading}")
    if wants is _OFFLINE and question.kind in ("how", "where") and online_best:
        offline = [  # 不会用手机: not the phone snippet, a unit naming 线下 (else a counter)
            unit for unit in units[1:5] if not _ONLINE.search(f"{unit.doc.title} {unit.heading}")
        ]
        for cue in (re.compile("线下"), _IN_PERSON):
            for unit in offline:
                if cue.search(" ".join(ln.shown for ln in unit.lines)):
                    return unit
    heading, cue = _HEADING_CUES.get(question.kind), kind_cue(question)
    states = cue is not None and any(cue.search(ln.shown) for ln in best.lines if not ln.heading)
    if heading is not None and not heading.search(best.heading) and not states:
        for sibling in sibling_units(best):  # 缴费时间和待遇享受期 for 什么时候交
            if heading.search(sibling.heading) and not ASKS.search(sibling.heading):
                return sibling
    if cue is not None and question.kind in ("materials", "amount", "time"):
        for unit in units[:3]:
            if any(cue.search(line.shown) for line in unit.lines if not line.heading):
                return unit
    return best


def _focus(question: Question, unit: Unit, scorer: Scorer, whole: bool) -> list[Line]:
    """What to quote of ``unit``: all of it for a procedure, else the block answering the kind."""
    lines = [ln for ln in unit.lines if not REFERS_BACK.match(ln.shown)]
    if whole or not lines:
        return lines
    best = max(range(len(lines)), key=lambda i: (*line_score(question, scorer, lines[i].shown), -i))
    return block_of(lines, best, lambda ln: _fits(question, scorer, ln))


def _answering_item(question: Question, scorer: Scorer, lines: list[Line]) -> list[Line]:
    """For a yes/no, where or other question whose quoted lines are a list of three or more
    items: the one item that answers it (with its heading, nested lines and the prose before
    the list) when it covers the question at least four times as well as any other item
    (异地就医能报吗 quotes ``3. 异地就医 :…``, not items 1 and 2 of the same 注意事项).
    Otherwise ``lines`` unchanged."""
    items = [
        i
        for i, ln in enumerate(lines)
        if not ln.heading and (ln.depth > 0 or LIST_MARK.match(ln.shown))
    ]
    if len(items) < 3 or question.kind not in ("yesno", "where", "other"):
        return lines  # amounts and dates per group are read side by side
    heads = [ln for ln in lines[: items[0]] if ln.heading]
    if not heads or not _NOTES.search(heads[-1].shown):
        return lines  # only a list of notes holds unrelated points (steps, rules belong together)
    if _ASKS_LIST.search(question.text):
        return lines  # 要注意什么 / 有哪些: the list is the answer
    cover = {i: scorer.coverage(lines[i].shown) for i in items}
    best = max(items, key=lambda i: (cover[i], -i))
    if any(4 * cover[i] >= cover[best] for i in items if i != best):
        return lines  # no item stands out: the list answers as a whole
    item = _item_lines(lines, best)
    head = next(
        (ln for ln in reversed(lines[:best]) if ln.heading and ln.depth <= lines[best].depth),
        None,
    )
    opening = [  # the prose before the list (the verdict: 仍然有补缴的机会,但需要注意以下几点:)
        ln
        for ln in lines[: items[0]]
        if (not ln.heading or len(ln.shown) > 16 and ln.shown.endswith((":", "：")))
        and ln.depth == 0
        and not REFERS_BACK.match(ln.shown)
    ]
    return [*opening, head, *item] if head else [*opening, *item]


def _asked_place_block(question: Question, lines: list[Line]) -> list[Line]:
    """The part of ``lines`` under a heading naming the place asked (``3. 上海市2025年城乡居民
    医保缴费标准`` for 上海…多少钱, not the end of 深圳's list before it); else ``lines``."""
    if not question.regions:
        return lines
    at = next(
        (
            i
            for i, ln in enumerate(lines)
            if ln.heading and any(r in ln.shown for r in question.regions)
        ),
        None,
    )
    if at is None:
        return lines
    end = at + 1
    while end < len(lines) and not (lines[end].heading and lines[end].depth <= lines[at].depth):
        end += 1
    return lines[at:end]


def _offline_group(question: Question, lines: list[Line]) -> list[Line]:
    """For someone who cannot use a phone: the ``线下…`` group of a unit that also lists
    online channels (``2. 线下缴费`` under ``一、缴费方式``), with the unit's heading."""
    if not _OFFLINE.search(question.text):
        return lines
    at = next(
        (i for i, ln in enumerate(lines) if ln.heading and ln.depth > 0 and "线下" in ln.shown),
        None,
    )
    if at is None:
        return lines
    head = [ln for ln in lines[:1] if ln.heading and ln.depth == 0]
    return head + block_of(lines, at, lambda ln: True)


def _item_lines(lines: Sequence[Line], at: int) -> list[Line]:
    """``lines[at]`` and the lines nested under it."""
    end = at + 1
    while end < len(lines) and lines[end].depth > lines[at].depth and not lines[end].heading:
        end += 1
    return list(lines[at:end])


def _fits(question: Question, scorer: Scorer, line: Line) -> bool:
    """A line worth adding: it holds a question word, and for a fact question the kind's cue."""
    if line.heading or ASKS.search(line.shown):
        return False
    if not scorer.informative(line.shown, places=False):
        return False
    cue = kind_cue(question)
    return cue is None or question.kind in ("how", "yesno", "where") or bool(cue.search(line.shown))


def _kept(
    question: Question, scorer: Scorer, chunk: Chunk, documents: Mapping[str, Document]
) -> bool:
    """The best-ranked chunk is quoted although the word overlap finds it weak (other words for
    the same thing: 家里人 / 家庭成员) when it shares some wording with the question and is
    about a place the question names (or about none)."""
    if scorer.bigram(f"{chunk.title}\n{chunk.text}") == 0:
        return False
    return _about_asked_place(question, documents[chunk.doc_id])


def _about_asked_place(question: Question, doc: Document) -> bool:
    """``doc`` is about a place the question names, or the question or ``doc`` names none."""
    return not question.regions or not doc.regions or bool(set(question.regions) & set(doc.regions))


def _other_places_only(
    question: Question, passages: Sequence[Chunk], documents: Mapping[str, Document]
) -> bool:
    """A local figure asked for a place (北京医保报销比例多少) that no passage is about: other
    places' figures would answer nothing (an 异地就医 question across two places is not one)."""
    if question.kind != "amount" or not question.asks_local or question.cross_region:
        return False
    asked = set(question.regions)
    return bool(asked) and not any(asked & set(documents[c.doc_id].regions) for c in passages)


def _section_chunk(unit: Unit, passages: Sequence[Chunk]) -> Chunk:
    """A chunk standing for the whole of ``unit`` (cited under its own section title)."""
    doc = unit.doc
    near = next(c for c in passages if c.doc_id == doc.doc_id)
    title = f"{doc.title} {unit.heading}".strip() if unit.heading != doc.title else doc.title
    text = doc.text[unit.start : unit.end]
    return replace(near, title=title, text=text, start=unit.start, end=unit.end)


class UnitComposer:
    """Composes an answer from answer units (see the module docstring)."""

    def __init__(self, settings: Settings, extractive: ExtractiveComposer | None = None) -> None:
        self.settings = settings
        self.extractive = extractive or ExtractiveComposer(settings)

    def compose(
        self, question: Question, hits: Sequence[Hit], documents: Mapping[str, Document]
    ) -> Composition:
        """Answer ``question`` from ``hits`` (best first) by quoting answer units."""
        scorer = self.extractive.scorer(question, documents)
        chunks = usable_chunks(hits, documents, self.settings.answer_considered_hits)
        passages = relevant_chunks(scorer, question.text, chunks)
        top = chunks[0] if chunks else None
        if top and top not in passages and _kept(question, scorer, top, documents):
            passages.insert(0, top)  # the fused ranking's best, kept by the refusal check
        if not passages or _other_places_only(question, passages, documents):
            return Composition("")
        units: dict[tuple[str, int], tuple[Unit, Chunk]] = {}
        for chunk in passages:
            unit = unit_of(chunk, documents[chunk.doc_id])
            units.setdefault(unit.key, (unit, chunk))
        ordered = [u for u, _ in units.values()]
        primary = _primary(question, ordered)
        moved = primary.key not in units  # a sibling section the question points at
        anchor = units[primary.key][1] if not moved else _section_chunk(primary, passages)
        budget = _PROCEDURE_BUDGET if question.kind in ("how", "materials") else _FACT_BUDGET
        citations = CitationList(documents)
        blocks: list[str] = []
        shown: set[str] = set()
        whole = moved or question.kind == "how" or bool(_WHOLE.search(question.text))
        lead = route_lead(question, primary)
        if whole or lead:
            focus = [ln for ln in primary.lines if not REFERS_BACK.match(ln.shown)]
            focus = window(_offline_group(question, focus), anchor, budget)
        else:  # a fact: the lines of the unit that the retrieved chunk holds, in order
            held = [
                ln
                for ln in primary.lines
                if ln.end > anchor.start and ln.start < anchor.end and not ASKS.search(ln.shown)
            ]
            held = _asked_place_block(question, held)
            focus = _answering_item(question, scorer, held) or _focus(
                question, primary, scorer, False
            )
        quoted = take_lines(focus, budget, set())  # what is quoted unless a line leads
        lead = lead or group_lead(question, quoted)
        snippet = primary.doc.kind == "snippet"
        lead_line = None if lead else sentence_lead(question, focus, scorer, snippet)
        if lead_line is not None:
            body = [ln for ln in focus if ln is not lead_line]
            k = focus.index(lead_line)  # a heading whose only line leads is not left empty
            if k and focus[k - 1].heading and (k + 1 == len(focus) or focus[k + 1].heading):
                body.remove(focus[k - 1])
            quoted = take_lines(body, budget, {lead_line.key})
        if not quoted and lead_line is None:
            return Composition("")
        span = [ln for ln in (lead_line, *quoted) if ln is not None]
        n = citations.number(anchor, min(ln.start for ln in span), max(ln.end for ln in span))
        if lead_line is None and not lead and (listed := materials_lead(question, quoted)):
            lead = listed.replace("。", f"。[{n}]")  # it names what the quote says
        if lead_line is not None:
            blocks.append(f"{lead_text(lead_line)}[{n}]")
        elif lead:
            blocks.append(lead)
        if quoted:
            blocks.append("\n".join(render_lines(quoted, n)))
        shown |= {ln.key for ln in span}
        used = sum(len(ln.shown) for ln in span)
        floor = 0.5 * max((scorer.coverage(ln.shown) for ln in span), default=0.0)
        offline = bool(_OFFLINE.search(question.text))
        extras: list[str] = []
        added = 0
        for unit, chunk in units.values():
            if added == _EXTRA_UNITS:
                break
            if unit.key == primary.key or used >= budget:
                continue
            if (
                unit.doc is primary.doc
                and ROUTE.search(unit.heading)
                and ROUTE.search(primary.heading)
            ):
                continue  # the other route of the article: the question chose this one
            if not _about_asked_place(question, unit.doc):
                continue  # another place's figures answer nothing here
            inside = [ln for ln in unit.lines if ln.end > chunk.start and ln.start < chunk.end]
            fitting = [  # from the retrieved chunk, not from anywhere in a long unit
                i
                for i, ln in enumerate(inside)
                if _fits(question, scorer, ln)
                and scorer.coverage(ln.shown) >= floor
                and not (offline and _ONLINE.search(ln.shown))  # 不会弄手机: no app steps
            ]
            if not fitting:
                continue
            best = max(fitting, key=lambda i: (*line_score(question, scorer, inside[i].shown), -i))
            around = (  # a list item alone (its siblings may be about other things: 产检)
                _item_lines(inside, best)
                if LIST_MARK.match(inside[best].shown)
                else block_of(inside, best, lambda ln: _fits(question, scorer, ln))
            )  # else one coherent block around the best line, not scattered lines
            extra = [ln for ln in around if not ln.heading]
            extra = take_lines(extra, budget - used, shown)[:3]
            if not extra or used + len(extra[0].shown) > budget:
                continue
            added += 1
            m = citations.number(chunk, extra[0].start, extra[-1].end)
            head = unit.lines[0] if unit.doc.sections and unit.lines[0].heading else None
            extras.extend(render_lines([head, *extra] if head else extra, m))
            shown |= {ln.key for ln in extra}
            used += sum(len(ln.shown) for ln in extra)
        if extras:
            blocks.append("另外:\n" + "\n".join(extras))
        if note := unstated_note(question, "\n".join(blocks)):
            blocks.insert(0, note)
        text = "\n\n".join(blocks)
        missing = unsupported_figures(text, [c.quote for c in citations.items])
        if missing:
            logger.error("unit answer states figures %s not in its quotes; using points", missing)
            return self.extractive.compose(question, hits, documents)
        seen = f"{text}\n{anchor.text}"  # figures of the quoted chunk are on topic too
        notes = trust_notes(question, passages, citations, seen)
        body_text = "\n\n".join(filter(None, [text, "\n".join(notes)]))
        return Composition(body_text, tuple(citations.items), notes)
