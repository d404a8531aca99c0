"""What of a unit an answer quotes: the primary unit, the lines that answer, the place, the
route (``YIBAO_COMPOSER=units``; :mod:`qa.answering.unit_answer` composes the answer).

- :func:`primary_unit`: the best-ranked unit, moved to the section the question points at;
- :func:`answering_item`, :func:`asked_place_block`, :func:`offline_group`: the item of a list
  of notes, the block under the asked place's heading, the 线下 group of a unit;
- :func:`block_of`, :func:`window`: a line's item; a long unit quoted from the retrieved chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from qa.answering.leads import ASKS, OFFLINE, ONLINE, ROUTE, kind_cue, line_score
from qa.answering.points import Scorer
from qa.answering.units import LIST_MARK, REFERS_BACK, Line, Unit, item_lines, sibling_units
from qa.text.cohorts import PAYERS, other_settings
from qa.text.synonyms import get_synonyms
from qa.text.verdicts import states_verdict
from qa.types import Chunk, Document, Question

#: Questions answered by a whole unit (a comparison reads the whole list).
WHOLE = re.compile(r"区别|不一样|不同|差别|差异|有啥不|有什么不")
_BOTH_ROUTES = re.compile(r"(?=.*线上)(?=.*线下)")  # 线上线下都能弄: no choice
IN_PERSON = re.compile(r"线下|窗口|柜台|大厅|网点|银行|服务中心|经办机构|服务点|社区")
#: Section headings that answer a kind of question (a sibling section is quoted instead).
_HEADING_CUES = {
    "time": re.compile(r"时间|期限|时限|日期|截止"),
    "materials": re.compile(r"材料|证件"),
}
#: Headings of lists of miscellaneous notes (each item is its own topic).
_NOTES = re.compile(r"注意|事项|提示|说明|特殊情况|常见问题|其他")
#: Questions asking for a list (answered by all its items, not the best one).
_ASKS_LIST = re.compile(r"哪些|哪几|注意什么|注意啥|注意事项|要注意|什么要求|几种|几个")
_LOOKS_UP_TOPIC = re.compile(r"查")  # a question or unit about looking something up
_STEPS = re.compile(r"步骤|流程|操作|办理")  # headings of how-to sections
#: A how-question not asking for the steps: a route (方式), or what follows one (绑好了…咋用).
_NOT_STEPS = re.compile(r"方式|渠道|途径|[好完]了|之后|以后")


def primary_unit(question: Question, units: Sequence[Unit]) -> Unit:
    """The unit to quote: the best-ranked one, moved to the section the question points at
    (线下 / 线上 route; a section headed 时间 / 材料 for a time / materials question), for a
    yes/no question to the first of the top three giving the verdict (``states_verdict``) when
    the best gives none, for a how-question off a notes section to its article's steps, or, for
    a materials, amount, time or where question, to the first of the top three that states one
    (a channel for where)."""
    off = [bool(other_settings(question.text, u.doc.title)) for u in units[:3]]
    if off[0] and False in off:  # 家庭共济可以用于产检吗 answers no 能绑老婆吗: the next one
        first = units[off.index(False)]
        units = [first, *(u for u in units if u is not first)]
    best, variants = units[0], get_synonyms().variants
    best_topic = f"{best.doc.title} {best.heading}"
    wants = next((cue for cue in (OFFLINE, ONLINE) if cue.search(question.text)), None)
    if wants is not None and question.kind in ("how", "where", "other", "yesno"):
        routes = [t for t in question.key_terms if ONLINE.search(t) or OFFLINE.search(t)]
        asked = [v for t in question.key_terms if t not in routes for v in variants(t)]
        on_route = wants.search(best_topic) and any(t in best_topic for t in asked)
        for unit in units[:3]:  # the best unit's article first, then the next ones' about
            topic = f"{unit.doc.title} {unit.heading}"  # what is asked (激活), not just 手机, …
            if unit is not best and (on_route or not any(t in topic for t in asked)):
                continue  # … unless the best is on that route and topic (支付宝 + 共济)
            for sibling in sibling_units(unit):
                if wants.search(sibling.heading) and ROUTE.search(sibling.heading):
                    return sibling
    online_best = ONLINE.search(best_topic)
    if wants is OFFLINE and question.kind in ("how", "where") and online_best:
        offline = [  # 不会用手机: not the phone snippet, a unit naming 线下 (else a counter)
            unit for unit in units[1:5] if not ONLINE.search(f"{unit.doc.title} {unit.heading}")
        ]
        for says in (re.compile("线下"), IN_PERSON):
            for unit in offline:
                if says.search(" ".join(ln.shown for ln in unit.lines)):
                    return unit
    if question.looks_up and _LOOKS_UP_TOPIC.search(question.text):
        for unit in units[1:3]:  # 怎么查医保交没交: a unit about looking it up, not paying
            topic = f"{unit.doc.title} {unit.heading}"
            if _LOOKS_UP_TOPIC.search(topic) and not _LOOKS_UP_TOPIC.search(best_topic):
                return unit
    steps = question.kind == "how" and not _NOT_STEPS.search(question.text)
    if steps and _NOTES.search(best.heading):
        for unit in units[1:3]:  # 怎么把老婆绑: the steps, not the 注意事项 ranked above them
            if unit.doc.doc_id == best.doc.doc_id and _STEPS.search(unit.heading):
                return unit
    if question.kind == "yesno":  # the unit that gives the verdict, when the best gives none
        keys, top = question.key_terms, units[:3]
        said = [[not ln.heading and states_verdict(ln.shown, keys) for ln in u.lines] for u in top]
        gives = list(map(any, said))
        if not gives[0] and True in gives:
            return units[gives.index(True)]
    heading, cue = _HEADING_CUES.get(question.kind), kind_cue(question)
    states = cue is not None and any(cue.search(ln.shown) for ln in best.lines if not ln.heading)
    if heading is not None and not heading.search(best.heading) and not states:
        for sibling in sibling_units(best):  # 缴费时间和待遇享受期 for 什么时候交
            if heading.search(sibling.heading) and not ASKS.search(sibling.heading):
                return sibling
    if question.payers and cue is not None and question.kind == "amount":  # 公司交多少
        words = [w for payer in question.payers for w in PAYERS[payer][1]]
        for unit in units[:5]:
            if any(cue.search(ln.shown) and any(w in ln.shown for w in words) for ln in unit.lines):
                return unit
    if cue is not None and question.kind in ("materials", "amount", "time", "where"):
        for unit in units[:3]:
            if any(cue.search(line.shown) for line in unit.lines if not line.heading):
                return unit
    return best


def focus_of(question: Question, unit: Unit, scorer: Scorer, whole: bool) -> list[Line]:
    """What to quote of ``unit``: all of it for a procedure, else the block answering the kind."""
    lines = [ln for ln in unit.lines if not REFERS_BACK.match(ln.shown)]
    if whole or not lines:
        return lines
    heading = _HEADING_CUES.get(question.kind)
    under: dict[int, bool] = {}  # line → under a heading naming what the kind asks (办理时限:)
    named = False
    for i, ln in enumerate(lines):
        if ln.heading:
            named = heading is not None and bool(heading.search(ln.shown))
        under[i] = named and not ln.heading
    best = max(  # never a line that asks (a snippet's own title) when another tells
        range(len(lines)),
        key=lambda i: (
            not ASKS.search(lines[i].shown),
            under[i],
            *line_score(question, scorer, lines[i].shown),
            -i,
        ),
    )
    if under[best]:  # the block under that heading, heading included
        start = max(i for i in range(best + 1) if lines[i].heading)
        return block_of(lines, start, lambda ln: True)
    return block_of(lines, best, lambda ln: fits(question, scorer, ln))


def answering_item(question: Question, scorer: Scorer, lines: list[Line]) -> list[Line]:
    """For a yes/no, where, how or other question whose quoted lines are a list of three or more
    items: the one item that answers it (with its heading, nested lines and the prose before
    the list) when it covers the question at least four times as well as any other item
    (异地就医能报吗 quotes ``3. 异地就医 :…``, not items 1 and 2 of the same 注意事项).
    Otherwise ``lines`` unchanged."""
    items = [
        i
        for i, ln in enumerate(lines)
        if not ln.heading and (ln.depth > 0 or LIST_MARK.match(ln.shown))
    ]
    if len(items) < 3 or question.kind not in ("yesno", "where", "other", "how"):
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
    item = item_lines(lines, best)
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


def asked_place_block(question: Question, lines: list[Line]) -> list[Line]:
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
    return lines if at is None else block_of(lines, at, lambda ln: True)


def offline_group(question: Question, lines: list[Line]) -> list[Line]:
    """For someone who cannot use a phone: the ``线下…`` group of a unit that also lists
    online channels (``2. 线下缴费`` under ``一、缴费方式``; ``线下登记`` after ``线上登记``
    under ``参保登记``), with the unit's heading."""
    if not OFFLINE.search(question.text) or _BOTH_ROUTES.search(question.text):
        return lines
    at = next((i for i, ln in enumerate(lines) if i and ln.heading and "线下" in ln.shown), 0)
    block = block_of(lines, at, lambda ln: True) if at else []
    if not any(not ln.heading for ln in block):  # 线下变更: over headings of its own
        return lines
    head = [ln for ln in lines[:1] if ln.heading and ln.depth == 0]
    return head + block


def fits(question: Question, scorer: Scorer, line: Line) -> bool:
    """A line worth adding: it holds a question word, and for a fact question the kind's cue."""
    if line.heading or ASKS.search(line.shown):
        return False
    if not scorer.informative(line.shown, places=False):
        return False
    cue = kind_cue(question)
    return cue is None or question.kind in ("how", "yesno", "where") or bool(cue.search(line.shown))


def kept(
    question: Question, scorer: Scorer, chunk: Chunk, documents: Mapping[str, Document]
) -> bool:
    """The best-ranked chunk is quoted although the word overlap finds it weak (other words for
    the same thing: 家里人 / 家庭成员) when it shares some wording with the question and is
    about a place the question names (or about none)."""
    text = f"{chunk.title}\n{chunk.text}"
    if scorer.bigram(text) == 0 and not scorer.informative(text):  # 转到: 转移接续
        return False
    return about_asked_place(question, documents[chunk.doc_id])


def about_asked_place(question: Question, doc: Document) -> bool:
    """``doc`` is about a place the question names, or the question or ``doc`` names none."""
    return not question.regions or not doc.regions or bool(set(question.regions) & set(doc.regions))


def about_other_insurance(question: Question, doc: Document) -> bool:
    """A passage titled about pension insurance (张家口城乡居民养老保险能补缴吗) for a question
    about 医保 alone: its 补缴 / 缴费 rules are another scheme's."""
    return "养老" in doc.title and not re.search("养老|退休|社保", question.text)


def other_places_only(
    question: Question, passages: Sequence[Chunk], documents: Mapping[str, Document]
) -> bool:
    """A local figure asked for a place (北京医保报销比例多少) that no passage is about: other
    places' figures would answer nothing (an 异地就医 question across two places is not one)."""
    if question.kind != "amount" or not question.asks_local or question.cross_region:
        return False
    asked = set(question.regions)
    return bool(asked) and not any(asked & set(documents[c.doc_id].regions) for c in passages)


def section_chunk(unit: Unit, passages: Sequence[Chunk]) -> Chunk:
    """A chunk standing for the whole of ``unit`` (cited under its own section title)."""
    doc = unit.doc
    near = next(c for c in passages if c.doc_id == doc.doc_id)
    title = f"{doc.title} {unit.heading}".strip() if unit.heading != doc.title else doc.title
    text = doc.text[unit.start : unit.end]
    return replace(near, title=title, text=text, start=unit.start, end=unit.end)


def block_of(lines: Sequence[Line], at: int, related: Callable[[Line], bool]) -> list[Line]:
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
            if lines[end].faq:  # the next Q&A of a page, titled by its question
                break
            end += 1
        return list(lines[at:end])
    if line.depth > 0 or LIST_MARK.match(line.shown):
        up = range(at - 1, -1, -1)
        parent = next((i for i in up if lines[i].depth < line.depth or lines[i].heading), at)
        end = parent + 1
        while end < len(lines) and lines[end].depth > lines[parent].depth:
            end += 1
        return list(lines[parent : max(end, at + 1)])
    out = [line]
    for nxt in lines[at + 1 : at + 3]:
        if nxt.heading or LIST_MARK.match(nxt.shown) or nxt.faq or not related(nxt):
            break  # a run of prose ends where a list starts
        out.append(nxt)
    if at > 0 and lines[at - 1].heading and lines[at - 1].shown.endswith((":", "：")):
        out.insert(0, lines[at - 1])
    return out


def window(lines: list[Line], anchor: Chunk, budget: int) -> list[Line]:
    """A unit longer than ``budget`` quoted from the top-level item holding the anchor chunk's
    start (a long snippet is answered where the retrieved chunk is, not from its beginning)."""
    if sum(len(ln.shown) for ln in lines) <= budget:
        return lines
    at = next((i for i, ln in enumerate(lines) if ln.end > anchor.start), 0)
    top = min((ln.depth for ln in lines), default=0)
    while at > 0 and lines[at].depth > top:
        at -= 1
    return lines[at:]
