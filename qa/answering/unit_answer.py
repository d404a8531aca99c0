"""Answers built from answer units (``YIBAO_COMPOSER=units``): one coherent quote per question.

1. The relevant retrieved chunks (``qa.answering.points.relevant_chunks``) name their units
   (a section of an article, or one snippet); the **primary** unit is the best-ranked one,
   moved to the sibling section the question points at (线下 / 窗口 / 老人 → 线下…方式;
   手机 / APP / 微信 → 线上…方式) and, for a materials, amount or time question, to the first
   of the top three units that states materials, an amount or a time (三十日内, 3个月).
2. A **lead** answers the question's kind: for a how-to whose article offers several routes,
   the routes by their headings; otherwise the unit's best prose sentence for the kind, or the
   one bulleted item that alone names what the question singles out (建行 → 银行渠道 …).
3. The primary unit is **quoted in source order** with its list structure (numbers, bullets,
   nesting); its heading is a heading line, never a cited point. A singled-out item stands
   alone (the rest of its unit is about other channels or another matter), unless only the
   rest names the place asked about; a materials lead brings the rest of its list.
4. A second unit is added, under ``另外:``, only when it holds a point the primary lacks (ranked
   close to the best, or bringing a question word or, for an amount, a figure not shown), and
   never a sentence already shown.
5. The body stays within about 300 characters for a fact question and 600 for a procedure,
   cut only at line boundaries; citations and trust notes come after.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from qa.answering.extractive import (
    CitationList,
    Composition,
    ExtractiveComposer,
    trust_notes,
    usable_chunks,
)
from qa.answering.item_leads import (
    alternatives,
    detail_lead,
    item_parent,
    lead_group,
    list_lead,
    place_beside,
    rest_of_list,
)
from qa.answering.leads import (
    ASKS,
    ROUTE,
    STEP,
    elsewhere,
    figure_cue,
    group_lead,
    lead_text,
    line_score,
    materials_lead,
    route_lead,
    sentence_lead,
    unstated_figure,
)
from qa.answering.points import Scorer, relevant_chunks
from qa.answering.unit_focus import (
    IN_PERSON,
    OFFLINE,
    ONLINE,
    WHOLE,
    about_asked_place,
    about_other_insurance,
    answering_item,
    asked_place_block,
    block_of,
    fits,
    focus_of,
    kept,
    offline_group,
    other_places_only,
    primary_unit,
    section_chunk,
    window,
)
from qa.answering.units import (
    LIST_MARK,
    REFERS_BACK,
    Unit,
    item_lines,
    render_lines,
    take_lines,
    unit_of,
)
from qa.settings import Settings
from qa.text.cohorts import other_settings
from qa.text.figures import extract_figures, stated_days, unsupported_figures
from qa.types import Chunk, Document, Hit, Question

logger = logging.getLogger(__name__)

_PROCEDURE_BUDGET, _FACT_BUDGET = 600, 300
_EXTRA_UNITS = 2  # other units that may add a point the primary lacks
#: The line heading what other units add (the caller tells the primary quote from them by it).
ADDED_LABEL = "另外:"
#: A closing line that refers back (若按上述方法仍无法激活) but gives advice says something new.
_ADVISES = re.compile(r"建议|联系|咨询|拨打")
_EXTRA_SCORE = 0.75  # a unit ranked below this share of the best fused score must add words


def _adds(question: Question, scorer: Scorer, shown: str) -> Callable[[str], bool]:
    """A test of whether a line adds a point to ``shown``: a question word of some weight it
    lacks (医保卡丢了去哪补 answered, a line about 医保卡里没有钱 adds none), or for an amount or
    time question a figure it does not state (养老金涨了多少: 3%左右 beside a 3.97% 计发基数)."""
    new_word = scorer.unshown(shown)
    stated = set(extract_figures(shown))
    figures = question.kind in ("amount", "time")
    return lambda text: (
        new_word(text) or (figures and any(f not in stated for f in extract_figures(text)))
    )


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
        if top and top not in passages and kept(question, scorer, top, documents):
            passages.insert(0, top)  # the fused ranking's best, kept by the refusal check
        if OFFLINE.search(question.text):  # 没有智能手机: a 线下 passage shares no asked word
            passages += [c for c in chunks[:5] if c not in passages and "线下" in c.text]
        if not passages or other_places_only(question, passages, documents):
            return Composition("")
        units: dict[tuple[str, int], tuple[Unit, Chunk]] = {}
        for chunk in passages:
            unit = unit_of(chunk, documents[chunk.doc_id])
            units.setdefault(unit.key, (unit, chunk))
        ordered = [u for u, _ in units.values()]
        primary = primary_unit(question, ordered)
        moved = primary.key not in units  # a sibling section the question points at
        anchor = units[primary.key][1] if not moved else section_chunk(primary, passages)
        budget = _PROCEDURE_BUDGET if question.kind in ("how", "materials") else _FACT_BUDGET
        citations = CitationList(documents)
        blocks: list[str] = []
        shown: set[str] = set()
        whole = moved or question.kind == "how" or bool(WHOLE.search(question.text))
        lead = route_lead(question, primary)
        if whole or lead:
            focus = [ln for ln in primary.lines if not REFERS_BACK.match(ln.shown)]
            focus = window(offline_group(question, focus), anchor, budget)
            if question.kind == "how" and not lead:  # 异地就医 in a list of notes: that item
                focus = answering_item(question, scorer, focus)
        else:  # a fact: the lines of the unit that the retrieved chunk holds, in order
            place = asked_place_block(question, list(primary.lines))  # 3. 上海市… of a list
            held = [
                ln
                for ln in place
                if ln.end > anchor.start and ln.start < anchor.end and not ASKS.search(ln.shown)
            ]
            scope = primary
            in_person = offline_group(question, place)  # 没有智能手机: the 线下登记 group …
            if not any(IN_PERSON.search(ln.shown) for ln in held if ln not in in_person):
                place, held = in_person, [ln for ln in held if ln in in_person]  # … unless held
            if len(place) < len(primary.lines):  # the asked place's block answers, or nothing
                held, scope = held or place, replace(primary, lines=tuple(place))
            cue = figure_cue(question)
            lookup = question.looks_up  # 在哪查: the channels answer, not a figure
            if cue is not None and not lookup and not any(cue.search(ln.shown) for ln in held):
                if any(cue.search(ln.shown) for ln in scope.lines):
                    held = []  # 多久能办好: the unit's 办理时限 block, not the chunk retrieved
            focus = answering_item(question, scorer, held) or focus_of(
                question, scope, scorer, False
            )
        quoted = take_lines(focus, budget, set())  # what is quoted unless a line leads
        lead = lead or group_lead(question, quoted)
        snippet = primary.doc.kind == "snippet"
        lead_line = None if lead else sentence_lead(question, focus, scorer, snippet)
        detailed = False
        if lead_line is None and not lead:
            topic = f"{primary.heading} {primary.doc.title}"
            lead_line = detail_lead(question, focus, scorer, topic)
            if lead_line is not None:  # one item answers: the rest of the unit is context
                budget = _FACT_BUDGET
                detailed = True
        group = [] if lead_line is None or detailed else alternatives(question, focus, lead_line)
        if lead_line is not None:
            body = [ln for ln in focus if ln is not lead_line and ln not in group]
            k = focus.index(lead_line)  # a heading whose only line leads is not left empty
            if k and focus[k - 1].heading and (k + 1 == len(focus) or focus[k + 1].heading):
                body.remove(focus[k - 1])
            if (
                detailed
                and question.kind != "yesno"
                and not place_beside(question, lead_line, body)
            ):
                body = []  # 建行 → 银行渠道 answers; the other channels (补缴 …) add nothing asked
            if question.kind == "materials" and (rest := rest_of_list(primary, lead_line)):
                body = rest  # the other materials, though the chunk found ends at the lead
            elif question.kind == "where" and (part := lead_group(question, focus, lead_line)):
                body = [ln for ln in part if ln is not lead_line]  # 电话查询: not the group above
            if question.kind == "where" and question.regions:  # not 扬州's hotline for 陕西
                body = [ln for ln in body if not elsewhere(question, ln.shown)]
                body = body if any(not ln.heading for ln in body) else []
            quoted = take_lines(body, budget, {lead_line.key})
        if not quoted and lead_line is None:
            return Composition("")
        span = [ln for ln in (lead_line, *group, *quoted) if ln is not None]
        n = citations.number(anchor, min(ln.start for ln in span), max(ln.end for ln in span))
        if lead_line is None and not lead and (listed := materials_lead(question, quoted)):
            lead = listed.replace("。", f"。[{n}]")  # it names what the quote says
        if lead_line is not None:
            parent = None if group else item_parent(focus, lead_line)  # 个人缴费标准:高档…
            together = group or ([parent, lead_line] if parent else [])
            opening = list_lead(together) if together else lead_text(lead_line, question)
            blocks.append(f"{opening}[{n}]")
        elif lead:
            blocks.append(lead)
        if quoted:
            blocks.append("\n".join(render_lines(quoted, n)))
        shown |= {ln.key for ln in span}
        used = sum(len(ln.shown) for ln in span)
        floor = 0.5 * max((scorer.coverage(ln.shown) for ln in span), default=0.0)
        offline = bool(OFFLINE.search(question.text))
        fused = {h.chunk.chunk_id: h.score for h in hits}
        fused_top = max(fused.values(), default=0.0)
        extras: list[str] = []
        added = 0
        asked = f"{question.text}\n{primary.doc.title}"  # the places of care they name
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
            if not about_asked_place(question, unit.doc):
                continue  # another place's figures answer nothing here
            if about_other_insurance(question, unit.doc):
                continue  # 养老保险 can be paid late: says nothing of 医保
            off_setting = other_settings(asked, unit.doc.title)  # 家庭共济可以用于产检吗
            inside = [ln for ln in unit.lines if ln.end > chunk.start and ln.start < chunk.end]
            close = fused.get(chunk.chunk_id, 0.0) >= _EXTRA_SCORE * fused_top
            adds = _adds(question, scorer, "\n".join((*blocks, *extras)))
            fitting = [  # from the retrieved chunk, not from anywhere in a long unit
                i
                for i, ln in enumerate(inside)
                if fits(question, scorer, ln)
                and (close or adds(ln.shown))  # ranked near the top, or it adds a point
                and (question.kind != "how" or STEP.search(ln.shown))  # a step, not a rule
                and scorer.coverage(ln.shown) >= floor
                and not (offline and ONLINE.search(ln.shown))  # 不会弄手机: no app steps
                and not (REFERS_BACK.match(ln.shown) and not _ADVISES.search(ln.shown))
                and not (off_setting and other_settings(asked, ln.shown))  # 不能用于产检
            ]
            if not fitting:
                continue
            score = {
                i: (*line_score(question, scorer, inside[i].shown, False), -i) for i in fitting
            }
            best = max(fitting, key=score.__getitem__)  # places aside: the unit is about them
            around = (  # a list item alone (its siblings may be about other things: 产检)
                item_lines(inside, best)
                if LIST_MARK.match(inside[best].shown)
                else block_of(inside, best, lambda ln: fits(question, scorer, ln))
            )  # else one coherent block around the best line, not scattered lines
            extra = [ln for ln in around if not ln.heading]
            extra = take_lines(extra, budget - used, shown)[:3]
            if not extra or used + len(extra[0].shown) > budget:
                continue
            days = stated_days("".join(ln.shown for ln in extra))
            if len(days) > 1 and days <= stated_days("\n".join(blocks)):
                continue  # the same period in other words (集中缴费期为9月1日至12月31日)
            added += 1
            m = citations.number(chunk, extra[0].start, extra[-1].end)
            head = unit.lines[0] if unit.doc.sections and unit.lines[0].heading else None
            extras.extend(render_lines([head, *extra] if head else extra, m))
            shown |= {ln.key for ln in extra}
            used += sum(len(ln.shown) for ln in extra)
        if extras:
            blocks.append("\n".join([ADDED_LABEL, *extras]))
        told = [ln for b in blocks for ln in b.splitlines() if not elsewhere(question, ln)]
        unstated = unstated_figure(question, "\n".join(told)) or ""  # the caller refuses
        text = "\n\n".join(blocks)
        missing = unsupported_figures(text, [c.quote for c in citations.items])
        if missing:
            logger.error("unit answer states figures %s not in its quotes; using points", missing)
            return self.extractive.compose(question, hits, documents)
        notes = trust_notes(question, passages, citations, text, chunks)  # about what is shown
        body_text = "\n\n".join(filter(None, [text, "\n".join(notes)]))
        return Composition(body_text, tuple(citations.items), notes, unstated=unstated)
