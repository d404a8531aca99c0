"""Answer units: the part of a document a person would quote — a section of an article
(heading + body) or one snippet — split into lines that keep the source's list structure.

A unit's lines carry their document offsets, nesting depth and whether they are a heading, so
an answer can quote them in source order, show headings as headings and keep list structure.

Example:
    >>> unit = unit_of(chunk, document)
    >>> [line.shown for line in unit.lines][:2]
    ['二、线下激活方式', '1. 医保经办机构办理']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.text.normalize import char_bigrams, compact, shown_text
from qa.text.sentences import sentence_spans
from qa.types import Chunk, Document

#: A list item's marker (``1.``, ``2、``, ``•``).
_NUMBER_MARK, _BULLET_MARK = r"\d{1,2}[.、．)）]", "[•·●]"
LIST_MARK = re.compile(rf"^({_NUMBER_MARK}|{_BULLET_MARK})")
#: A numbered item's marker (``1.``, ``2、``); a bullet (``•``) with its space.
NUMBERED = re.compile(rf"^{_NUMBER_MARK}")
BULLET = re.compile(rf"^{_BULLET_MARK}\s*")
#: A sentence that only refers back to what was said (通过以上方式…, 综上…).
REFERS_BACK = re.compile(r"^(?:(?:若|如果?)?(?:按照?|通过))?(?:以上|上述|综上|总之|总的来说)")
_CN_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_STEP = re.compile(r"^\d{1,2}[.、．)）](?!\d)\s*")
_BULLET = re.compile(r"^[•·●○◦▪■◆►▶➢✓]\s*")
_ENDS = "。！？!?；;"
_CLEAN_END = _ENDS + '”）)】」』"%％元'
_FURNITURE = ("相关推荐", "大家都在搜", "本内容不能代替面诊", "首页 顶部")
#: A line that only announces what follows ("以下是详细说明:") says nothing itself.
_ANNOUNCES = re.compile(r"以下[是为将]|如下[:：]?$|下面[将随]|^有以下(?:这些|几种)?[^。，,]{0,6}$")
#: A pitch before an announcement (你是否曾因…?本文教你…): no statement to keep.
_PITCH = re.compile(r"[?？]|本文|文章|小编")
#: A sentence that only says what the question is about.
_ABOUT_ONLY = re.compile(r"是一个(?:涉及|关于)[^。]{0,30}的问题。?$")
#: A sentence's opening that announces what follows, up to its colon.
_ANNOUNCE_PREFIX = re.compile(
    r"\s*[^。：:]{0,40}(?:(?:以下|下面)[是为将][^。：:]{0,40}|如下|供您参考)[:：]\s*"
)
#: The short answer a snippet opens with before announcing its details (官网、社保卡、电话查询
#: 以下是查看医保有效期的几种常用方法…:): kept as a sentence of its own, a full stop added.
_HEADLINE = re.compile(r"\s*([^。：:\s][^。：:]{3,29}?)\s+(?:以下|下面)[是为将]")
#: A list item written inside a line of prose: a step number after a space (`` 2.补缴方式``).
_INLINE_ITEM = re.compile(r"(?<=\s)(?=\d{1,2}[.、．](?!\d)\S)")
#: Where a cut-off preview may be ended when it has no sentence end late enough.
_SOFT_ENDS = "，,、:："
#: A line that is only a short question (汕头职工医保卡没激活怎么激活?) titles what follows: a
#: page of several Q&As names each by its question. Last in a unit, it titles the next one.
_TITLE_QUESTION = re.compile(r"^[^。！!；;，,\s]{4,30}[?？]$")
_TRAILING_ASIDE = re.compile(r"\s*[(（][^()（）]{1,12}[)）]$")


@dataclass(frozen=True)
class Line:
    """One line of a unit: ``doc.text[start:end]`` shown with whitespace folded.

    Attributes:
        start: Offset of the line's text in ``Document.text``.
        end: Offset just past it.
        shown: The text as shown (list markers kept, whitespace folded).
        depth: Nesting depth (0 = top level of the unit).
        heading: A heading (``二、线下激活方式``, a short line without a sentence end, or one
            ending with a colon): shown as a heading, never cited as a point.
    """

    start: int
    end: int
    shown: str
    depth: int = 0
    heading: bool = False

    @property
    def faq(self) -> bool:
        """A short question on a line of its own: the title of a page's next Q&A."""
        return bool(_TITLE_QUESTION.match(self.shown))

    @property
    def key(self) -> str:
        """Content identity (for spotting the same sentence twice)."""
        return compact(_STEP.sub("", _BULLET.sub("", self.shown)))


@dataclass(frozen=True)
class Unit:
    """A quotable part of a document: a section, or the whole of a snippet or file."""

    doc: Document
    start: int
    end: int
    heading: str
    lines: tuple[Line, ...]

    @property
    def key(self) -> tuple[str, int]:
        return self.doc.doc_id, self.start


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: A line stating an amount (400元, 8%, 1.5万): also what an amount question's lead looks for.
STATES_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|元|万)")


def _is_heading(body: str) -> bool:
    if _CN_HEADING.match(body):
        return True
    if body.endswith((":", "：")):
        return True
    bare = _STEP.sub("", _BULLET.sub("", body))
    if STATES_AMOUNT.search(bare):  # 高档:1030元/年 is a fact, however short
        return False
    label = _TRAILING_ASIDE.sub("", bare)  # 电话激活(部分地区支持) heads its steps
    if label != bare and 2 <= len(label) <= 10 and label[-1:] not in _ENDS + _SOFT_ENDS:
        return True
    return len(bare) <= 14 and bare[-1:] not in _ENDS + "”）)"


def _announces(shown: str) -> bool:
    """The sentence only announces what follows (``以下是关于…的详细解释:``)."""
    if _ANNOUNCES.search(shown[-12:]) or shown[-1:] in ":：" and _ANNOUNCES.search(shown):
        return True
    if _ABOUT_ONLY.search(shown):  # …是否可以给家人使用是一个涉及医保政策和家庭共济功能的问题。
        return True
    return len(shown) <= 40 and bool(re.match(r"(?:以下|下面)[是为将]", shown))  # 以下是详细的…。


def _sentence_lines(doc: Document, start: int, end: int, depth: int) -> list[Line]:
    """A long line of prose (a snippet is often one) as one line per sentence, and one per
    list item written inline (``补缴政策 1.补缴条件:… 2.补缴方式:…``)."""
    out = []
    for s, e in sentence_spans(doc.text, _ENDS, start=start, end=end):
        cuts = [s] + [s + m.start() for m in _INLINE_ITEM.finditer(doc.text[s:e])] + [e]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if m := _ANNOUNCE_PREFIX.match(doc.text, a, b):  # 以下是…的详细信息: 补缴政策
                if head := _HEADLINE.match(doc.text, a, m.end()):  # 官网、社保卡、电话查询 以下是…
                    said = head.group(1) + ("" if head.group(1)[-1] in _ENDS else "。")
                    out.append(Line(head.start(1), head.end(1), said, depth, False))
                a = m.end()
            shown = shown_text(doc.text[a:b])
            if len(shown) >= 4 and not _announces(shown):
                end = a + len(doc.text[a:b].rstrip())
                titled = bool(m) and len(shown) <= 14 and _is_heading(shown)  # 补缴政策
                out.append(Line(a, end, shown, depth, titled))
    return out


def split_lines(doc: Document, start: int, end: int) -> list[Line]:
    """The lines of ``doc.text[start:end]``, with depth from indentation and list markers."""
    lines: list[Line] = []
    indents: list[int] = []
    pos = start
    for raw in doc.text[start:end].split("\n"):
        body = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        s = pos + lead
        pos += len(raw) + 1
        if not body or any(f in body for f in _FURNITURE):
            continue
        while indents and indents[-1] > lead:
            indents.pop()
        if not indents or indents[-1] < lead:
            indents.append(lead)
        depth = len(indents) - 1
        e = s + len(body)
        if len(body) > 80 and not (_STEP.match(body) or _BULLET.match(body)):
            lines.extend(_sentence_lines(doc, s, e, depth))
        elif not (m := _ANNOUNCES.search(body)):
            lines.append(Line(s, e, shown_text(body), depth, _is_heading(body)))
        else:  # 医保参保地的变更可通过线上或线下方式办理,具体操作如下: keeps its first clause
            cut = max(body.rfind(",", 0, m.start()), body.rfind("，", 0, m.start()))
            if cut >= 10 and not _PITCH.search(body[:cut]):
                lines.append(Line(s, s + cut, shown_text(body[:cut]), depth, False))
    if lines and lines[-1].faq:
        lines.pop()
    return _mark_item_titles(lines)


def _clean_end(doc: Document, lines: list[Line]) -> list[Line]:
    """A snippet is a preview cut off mid-sentence: end its last line at its last sentence end;
    when that would drop much of the line, at its last comma, else where the preview stops,
    marked ``……`` (cut off in the source)."""
    if doc.kind != "snippet" or not lines or lines[-1].shown[-1:] in _CLEAN_END:
        return lines
    last = lines[-1]
    raw = doc.text[last.start : last.end]
    cut = max(raw.rfind(ch) for ch in _ENDS) + 1
    shown = shown_text(raw[:cut])
    if cut < 0.6 * len(raw):
        soft = max(raw.rfind(ch) for ch in _SOFT_ENDS)
        cut = soft if soft >= 0.6 * len(raw) else len(raw)
        shown = shown_text(raw[:cut]).rstrip(_SOFT_ENDS) + "……"
    if cut < 12:
        return lines[:-1]
    return [*lines[:-1], Line(last.start, last.start + cut, shown, last.depth)]


def _mark_item_titles(lines: list[Line]) -> list[Line]:
    """A line with deeper lines under it and no sentence end is a title (``1. 经办机构办理``)."""
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        titled = nxt is not None and nxt.depth > line.depth and line.shown[-1:] not in _CLEAN_END
        out.append(Line(line.start, line.end, line.shown, line.depth, True) if titled else line)
    return out


@lru_cache(maxsize=1024)
def _section_units(doc: Document) -> tuple[Unit, ...]:
    """The section units of ``doc``, split once (every question that quotes it reuses them)."""
    return tuple(
        Unit(doc, s.start, s.end, s.heading, tuple(split_lines(doc, s.start, s.end)))
        for s in doc.sections
    )


def unit_of(chunk: Chunk, doc: Document) -> Unit:
    """The unit holding ``chunk``: its section of ``doc``, or all of ``doc``."""
    for unit in _section_units(doc):
        if unit.start <= chunk.start < unit.end:
            return unit
    lines = _clean_end(doc, split_lines(doc, 0, len(doc.text)))
    return Unit(doc, 0, len(doc.text), doc.title, tuple(lines))


def sibling_units(unit: Unit) -> list[Unit]:
    """Every section unit of ``unit``'s document, in source order (itself included)."""
    return list(_section_units(unit.doc)) or [unit]


def repeats(key: str, shown: set[str]) -> bool:
    """``key`` says what a shown line says: the same, contained in it, ≥ 60% of its own
    character bigrams already shown in one line, or ≥ 70% shown across the lines (a step
    restated from two steps of another list) — with no figure that was not shown."""
    if key in shown:
        return True
    grams, figures = char_bigrams(key), set(_NUMBER.findall(key))
    union: set[str] = set()
    union_figures: set[str] = set()
    for k in shown:
        if len(key) >= 12 and key in k:
            return True
        theirs = char_bigrams(k)
        same_figures = figures <= set(_NUMBER.findall(k))  # 高档1100元 is not 高档1030元
        if grams and same_figures and len(grams & theirs) / len(grams) >= 0.6:
            return True
        union |= theirs
        union_figures |= set(_NUMBER.findall(k))
    if len(key) < 12 or not grams or not figures <= union_figures:
        return False
    return len(grams & union) / len(grams) >= 0.7


def take_lines(lines: Sequence[Line], budget: int, skip: set[str]) -> list[Line]:
    """Lines in source order within ``budget`` chars: none shown before, no trailing heading."""
    out: list[Line] = []
    used = 0
    seen = set(skip)
    headings: set[str] = set()
    for line in lines:
        if line.heading and line.key in headings or not line.heading and repeats(line.key, seen):
            continue
        (headings if line.heading else seen).add(line.key)
        if out and used + len(line.shown) > budget:
            break
        out.append(line)
        used += len(line.shown)
    while out and (out[-1].heading or _fragment(out[-1])):
        out.pop()
    return out


def _fragment(line: Line) -> bool:
    """A short piece without a sentence end (where a snippet's preview was cut off)."""
    bare = LIST_MARK.sub("", line.shown).strip()
    return len(bare) <= 14 and bare[-1:] not in '。！？!?；;)）”"%元'


def render_lines(lines: Sequence[Line], number: int) -> list[str]:
    base = min((ln.depth for ln in lines), default=0)
    shown = ["  " * (ln.depth - base) + ln.shown for ln in lines]
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].heading:
            shown[i] += f"[{number}]"
            break
    return shown


def item_lines(lines: Sequence[Line], at: int) -> list[Line]:
    """``lines[at]`` and the lines nested under it."""
    end = at + 1
    while end < len(lines) and lines[end].depth > lines[at].depth and not lines[end].heading:
        end += 1
    return list(lines[at:end])
