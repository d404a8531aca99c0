"""Answers built from answer units (``YIBAO_COMPOSER=units``): one coherent quote per question.

1. The relevant retrieved chunks (``qa.answering.points.relevant_chunks``) name their units
   (a section of an article, or one snippet); the **primary** unit is the best-ranked one,
   moved to the sibling section the question points at (线下 / 窗口 / 老人 → 线下…方式;
   手机 / APP / 微信 → 线上…方式) and, for a materials or amount question, to the first unit
   that states materials or an amount.
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
from collections.abc import Callable, Mapping, Sequence

from qa.answering.extractive import (
    CitationList,
    Composition,
    ExtractiveComposer,
    trust_notes,
    usable_chunks,
)
from qa.answering.points import Scorer, relevant_chunks
from qa.answering.units import (
    LIST_MARK,
    REFERS_BACK,
    Line,
    Unit,
    render_lines,
    sibling_units,
    take_lines,
    unit_of,
)
from qa.settings import Settings
from qa.text.figures import unsupported_figures
from qa.types import Chunk, Document, Hit, Question

logger = logging.getLogger(__name__)

_OFFLINE = re.compile(
    r"线下|窗口|柜台|现场|大厅|没有智能手机|不会用手机|没手机|老人|年纪大|腿脚|行动不便"
    r"|[6-9]\d多?岁|[6-9]\d多了|[六七八九]十多?岁?"
)
#: A line that asks rather than tells (a snippet's own question, a FAQ heading).
_ASKS = re.compile(r"[?？]\s*$|(?:怎么办|怎么[^,，。]{0,8}|吗|多少)$")
#: Questions answered by a whole unit (a comparison reads the whole list).
_WHOLE = re.compile(r"区别|不一样|不同|差别|差异|有啥不|有什么不")
_ONLINE = re.compile(r"线上|网上|手机|app|微信|支付宝|小程序|公众号")
_ROUTE = re.compile(r"方式|渠道|途径")
_KIND_CUES = {
    "materials": re.compile(r"材料|身份证|户口|证件|复印件|照片"),
    "amount": re.compile(r"\d+(?:\.\d+)?\s*(?:%|元|万)"),
    "time": re.compile(r"\d+\s*[月日号天]|个工作日|截止|期限|之前|以内"),
    "where": re.compile(r"窗口|经办机构|服务中心|APP|微信|支付宝|电话|热线|网点|银行"),
    "yesno": re.compile(r"^[^。]{0,30}(?:可以|不可以|能|不能|是|不是|需要|无需|不需要)"),
}
_NUMERALS = "零一两三四五六七八九十"
_PROCEDURE_BUDGET, _FACT_BUDGET = 600, 300
_EXTRA_UNITS = 2  # other units that may add a point the primary lacks


def _route_name(heading: str) -> str:
    return re.sub(r"^[一二三四五六七八九十]+[、.．]\s*", "", heading).strip(" :：")


def _primary(question: Question, units: Sequence[Unit]) -> Unit:
    """The unit to quote: the best-ranked one, moved to the section the question points at
    (or, for a materials or amount question, to the first of the top three that states one)."""
    best = units[0]
    wants = _OFFLINE if _OFFLINE.search(question.text) else None
    wants = wants or (_ONLINE if _ONLINE.search(question.text) else None)
    if wants is not None and question.kind in ("how", "where", "other", "yesno"):
        for sibling in sibling_units(best):
            if wants.search(sibling.heading) and _ROUTE.search(sibling.heading):
                return sibling
    cue = _KIND_CUES.get(question.kind)
    if cue is not None and question.kind in ("materials", "amount"):
        for unit in units[:3]:
            if any(cue.search(line.shown) for line in unit.lines if not line.heading):
                return unit
    return best


def _route_lead(question: Question, primary: Unit) -> str | None:
    """``共有两种方式:线上激活方式、线下激活方式。`` when the article offers several routes."""
    if question.kind not in ("how", "where"):
        return None
    routes = [u.heading for u in sibling_units(primary) if _ROUTE.search(u.heading)]
    if len(routes) < 2 or len(routes) >= len(_NUMERALS) or primary.heading not in routes:
        return None
    names = "、".join(_route_name(r) for r in routes)
    word = m.group() if (m := _ROUTE.search(routes[0])) else "方式"
    return f"共有{_NUMERALS[len(routes)]}种{word}:{names}。"


def _sentence_lead(question: Question, unit: Unit, scorer: Scorer) -> Line | None:
    """The unit's best prose line for the question's kind (not a list item or heading)."""
    prose = [ln for ln in unit.lines if not ln.heading and ln.depth == 0]
    prose = [ln for ln in prose if not LIST_MARK.match(ln.shown)]
    prose = [ln for ln in prose if not REFERS_BACK.match(ln.shown) and not _ASKS.search(ln.shown)]
    if not prose:
        return None
    best = max(prose, key=lambda ln: (*_line_score(question, scorer, ln.shown), -ln.start))
    return best if scorer.coverage(best.shown) > 0 or unit.doc.kind == "snippet" else None


def _block(lines: Sequence[Line], at: int, related: Callable[[Line], bool]) -> list[Line]:
    """The item ``lines[at]`` belongs to.

    A list item or nested line: its parent item or heading and all the parent's children. A
    heading: itself and what follows up to the next heading of its level. A line of prose: the
    heading it stands under (if any) and, in a run of prose, itself and up to two following
    lines that are ``related`` to the question.
    """
    line = lines[at]
    if line.heading:
        end = at + 1
        while end < len(lines) and not (lines[end].heading and lines[end].depth <= line.depth):
            end += 1
        return list(lines[at:end])
    if line.depth > 0 or LIST_MARK.match(line.shown):
        parent = next(
            (i for i in range(at - 1, -1, -1) if lines[i].depth < line.depth or lines[i].heading),
            at,
        )
        end = parent + 1
        while end < len(lines) and lines[end].depth > lines[parent].depth:
            end += 1
        return list(lines[parent : max(end, at + 1)])
    out = [line]
    for nxt in lines[at + 1 : at + 3]:
        if nxt.heading or not related(nxt):
            break
        out.append(nxt)
    if at > 0 and lines[at - 1].heading and lines[at - 1].shown.endswith((":", "：")):
        out.insert(0, lines[at - 1])
    return out


def _line_score(question: Question, scorer: Scorer, text: str) -> tuple[float, ...]:
    """How well a line answers the question's kind: cue matches, then question words."""
    cue = _KIND_CUES.get(question.kind)
    hits = len(cue.findall(text)) if cue else 0
    coverage = round(scorer.coverage(text), 2)
    if question.kind in ("materials", "amount", "time"):
        return float(hits > 0), coverage, float(hits)
    return coverage, float(hits > 0)


def _focus(question: Question, unit: Unit, scorer: Scorer, whole: bool) -> list[Line]:
    """What to quote of ``unit``: all of it for a procedure, else the block answering the kind."""
    lines = [ln for ln in unit.lines if not REFERS_BACK.match(ln.shown)]
    if whole or not lines:
        return lines
    best = max(
        range(len(lines)), key=lambda i: (*_line_score(question, scorer, lines[i].shown), -i)
    )
    return _block(lines, best, lambda ln: _fits(question, scorer, ln))


def _fits(question: Question, scorer: Scorer, line: Line) -> bool:
    """A line worth adding: it holds a question word, and for a fact question the kind's cue."""
    if line.heading or _ASKS.search(line.shown):
        return False
    if not scorer.informative(line.shown, places=False):
        return False
    cue = _KIND_CUES.get(question.kind)
    return cue is None or question.kind in ("how", "yesno", "where") or bool(cue.search(line.shown))


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
        if not passages:
            return Composition("")
        units: dict[tuple[str, int], tuple[Unit, Chunk]] = {}
        for chunk in passages:
            unit = unit_of(chunk, documents[chunk.doc_id])
            units.setdefault(unit.key, (unit, chunk))
        ordered = [u for u, _ in units.values()]
        primary = _primary(question, ordered)
        anchor = units.get(primary.key, (primary, passages[0]))[1]
        budget = _PROCEDURE_BUDGET if question.kind in ("how", "materials") else _FACT_BUDGET
        citations = CitationList(documents)
        blocks: list[str] = []
        shown: set[str] = set()
        lead = _route_lead(question, primary)
        lead_line = None if lead else _sentence_lead(question, primary, scorer)
        whole = lead is not None or question.kind == "how" or bool(_WHOLE.search(question.text))
        if whole:
            focus = [ln for ln in primary.lines if not REFERS_BACK.match(ln.shown)]
        else:  # a fact: the lines of the unit that the retrieved chunk holds, in order
            focus = [
                ln
                for ln in primary.lines
                if ln.end > anchor.start and ln.start < anchor.end and not _ASKS.search(ln.shown)
            ] or _focus(question, primary, scorer, False)
        body = [ln for ln in focus if ln is not lead_line]
        quoted = take_lines(body, budget, {lead_line.key} if lead_line else set())
        if not quoted and lead_line is None:
            return Composition("")
        span = [ln for ln in (lead_line, *quoted) if ln is not None]
        n = citations.number(anchor, min(ln.start for ln in span), max(ln.end for ln in span))
        if lead_line is not None:
            blocks.append(f"{lead_line.shown}[{n}]")
        elif lead:
            blocks.append(lead)
        if quoted:
            blocks.append("\n".join(render_lines(quoted, n)))
        shown |= {ln.key for ln in span}
        used = sum(len(ln.shown) for ln in span)
        floor = 0.5 * max((scorer.coverage(ln.shown) for ln in span), default=0.0)
        extras: list[str] = []
        for unit, chunk in units.values():
            if len(extras) == _EXTRA_UNITS:
                break
            if unit.key == primary.key or used >= budget:
                continue
            if question.regions and not set(question.regions) & set(unit.doc.regions):
                if unit.doc.regions:  # another place's figures answer nothing here
                    continue
            extra = [
                ln
                for ln in unit.lines
                if _fits(question, scorer, ln) and scorer.coverage(ln.shown) >= floor
            ]
            extra = take_lines(extra, budget - used, shown)[:3]
            if not extra:
                continue
            m = citations.number(chunk, extra[0].start, extra[-1].end)
            extras.extend(render_lines(extra, m))
            shown |= {ln.key for ln in extra}
            used += sum(len(ln.shown) for ln in extra)
        if extras:
            blocks.append("另外:\n" + "\n".join(extras))
        text = "\n\n".join(blocks)
        missing = unsupported_figures(text, [c.quote for c in citations.items])
        if missing:
            logger.error("unit answer states figures %s not in its quotes; using points", missing)
            return self.extractive.compose(question, hits, documents)
        notes = trust_notes(question, passages, citations, text)
        body_text = "\n\n".join(filter(None, [text, "\n".join(notes)]))
        return Composition(body_text, tuple(citations.items), notes)
