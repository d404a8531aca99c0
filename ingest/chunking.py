"""Split documents into overlapping, structure-aware passages (chunks) for retrieval.

Each section (and the text outside sections) becomes a tree: lines nest under list-item
headers by indentation and marker rank (``一、`` > ``1.`` > ``(1)`` > ``•``), and a heading
is glued to what follows it. Nodes are packed greedily into chunks of at most ``size``
characters; a node that does not fit is split one level down (item → lines → sentences →
clauses → safe characters), so breaks fall between items and paragraphs first. No cut
falls inside a number, date, ASCII word, list marker or short quoted/bracketed name. The
next chunk repeats whole trailing sentences (else clauses) of the previous one: at least
``overlap`` and at most ``size // 2`` characters.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

SNIPPET_FACTOR = 1.5  # a snippet up to this many times ``size`` is always one chunk
_HEADING_MAX = 40  # a heading: a line this short (or ending in a colon), no sentence end
_QUOTED_MAX = 80  # longer bracket pairs are prose, not names, and may be split
_ENDS = "。！？；!?;"
_CLOSERS = "”’」』】》)）\"'"
_PAIRS = dict(zip('“「『【《(（"', ["”", "」", "』", "】", "》", ")）", ")）", '"'], strict=True))
_NO_CUT_BEFORE = frozenset(_ENDS + _CLOSERS + ",，、:：%…")
_NO_CUT_AFTER = frozenset(_PAIRS) - {'"'}
_CN = "一二三四五六七八九十"
_AN = "A-Za-z0-9０-９Ａ-Ｚａ-ｚ"
_ATOMIC = re.compile(  # dates, inline list markers, numbers / words / formulas
    r"\d{2,4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?|\d{1,2}月\d{1,2}[日号]"
    r"|(?<![\d.])\d{1,2}[.、．](?!\d)"
    rf"|[{_AN}]+(?:%?(?:[._\-@/:'+#~～]+|[ ]?[×*=÷][ ]?|,(?=\d{{3}}(?!\d)))[{_AN}]+)*%?"
)
_MARKER = re.compile(
    rf"(?P<cn>[{_CN}]+[、.．])|(?P<num>\d{{1,2}}[.、．)）](?!\d))"
    rf"|(?P<paren>[(（](?:\d{{1,2}}|[{_CN}]+)[)）]|[①-⑳])"
    r"|(?P<bullet>[•·●○◦▪■□◆◇►▶➢✓]|[-*+](?=\s))"
)
_RANK = {"cn": 0, "num": 1, "paren": 2, "bullet": 3}
_PLAIN = 4
LINE, SENTENCE, CLAUSE, ATOM = range(4)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    level: int


@dataclass(frozen=True)
class _Group:
    """Consecutive nodes; no break is allowed after any of the first ``sticky`` ones."""

    children: tuple[_Span | _Group, ...]
    sticky: int = 0

    @property
    def start(self) -> int:
        return self.children[0].start

    @property
    def end(self) -> int:
        return self.children[-1].end


_Node = _Span | _Group


@dataclass
class _Line:
    start: int
    end: int
    indent: int
    rank: int
    open_ended: bool = False  # does not end with sentence-end punctuation
    heading: int = 0  # 0: none, 1: weak (short, no sentence end), 2: strong (colon, 一、)
    children: list[_Line] = field(default_factory=list)

    def owns(self, line: _Line) -> bool:
        """Whether ``line`` nests under this item line."""
        if line.indent != self.indent:
            return line.indent > self.indent
        if line.rank < _PLAIN:
            return line.rank > self.rank
        return self.rank <= _RANK["num"] and self.open_ended


class _Splitter:
    """Chunk spans, as offsets into ``text``, of one unit (a section or unsectioned text)."""

    def __init__(self, text: str, size: int, overlap: int) -> None:
        self.text, self.size, self.overlap = text, size, min(overlap, size // 3)
        self._masks()
        self.lines = self._lines()
        self.sentence_starts, self.clause_starts = [], []
        for line in self.lines:
            for s, e in self._sentences(line.start, line.end):
                self.sentence_starts.append(s)
                self.clause_starts.extend(c for c, _ in self._clauses(s, e))

    def _masks(self) -> None:
        """Set masks over cut positions ``p`` (between ``text[p-1]`` and ``text[p]``).

        ``protected``: inside a number, date, ASCII word, list marker or quoted name.
        ``blocked``: also cuts that would orphan punctuation or split a combining mark.
        """
        text, spans = self.text, [m.span() for m in _ATOMIC.finditer(self.text)]
        for line in re.finditer(r"[^\n]+", text):
            stack: list[tuple[str, int]] = []
            for i in range(line.start(), line.end()):
                k = len(stack) - 1
                while k >= 0 and text[i] not in _PAIRS[stack[k][0]]:
                    k -= 1
                if k >= 0:
                    if i + 1 - stack[k][1] <= _QUOTED_MAX:
                        spans.append((stack[k][1], i + 1))
                    del stack[k:]
                elif text[i] in _PAIRS:
                    stack.append((text[i], i))
        self.protected = bytearray(len(text) + 1)
        for s, e in spans:
            if e - s > self.size:  # a "word" longer than a chunk is not worth keeping whole
                continue
            self.protected[s + 1 : e] = b"\x01" * max(0, e - s - 1)
        self.blocked = bytearray(self.protected)
        for p in range(1, len(text)):
            ch = text[p]
            if ch in _NO_CUT_BEFORE or text[p - 1] in _NO_CUT_AFTER or unicodedata.combining(ch):
                self.blocked[p] = 1

    def _lines(self) -> list[_Line]:
        lines = []
        for m in re.finditer(r"[^\n]+", self.text):
            raw, body = m.group(), m.group().strip()
            if body:
                lead = raw[: len(raw) - len(raw.lstrip())]
                marker = _MARKER.match(body)
                indent = sum(4 if c == "\t" else 2 if c == "\u3000" else 1 for c in lead)
                rank = _RANK[marker.lastgroup] if marker and marker.lastgroup else _PLAIN
                start = m.start() + len(lead)
                line = _Line(start, start + len(body), indent, rank, body[-1] not in _ENDS + ".…")
                if line.rank in (0, _PLAIN) and line.open_ended:
                    strong = body[-1] in ":：" or line.rank == 0
                    line.heading = 2 if strong else int(len(body) <= _HEADING_MAX)
                lines.append(line)
        return lines

    def _body_start(self, start: int, end: int) -> int:
        """Where a line's text starts after its list marker (if any)."""
        marker = _MARKER.match(self.text, start, end)
        return self._skip_space(marker.end(), end) if marker else start

    def _sentences(self, start: int, end: int) -> list[tuple[int, int]]:
        text, out, s, i = self.text, [], start, self._body_start(start, end)
        while i < end:
            if text[i] in _ENDS or text[i] == "." and self._ends_with_period(i, end):
                j = i + 1
                while j < end and (text[j] in _ENDS or text[j] in _CLOSERS or text[j] in ".…"):
                    j += 1
                if (k := self._skip_space(j, end)) < end and not self.protected[j]:
                    out.append((s, self._rstrip(s, j)))
                    s = k
                i = j
            else:
                i += 1
        return [*out, (s, end)]

    def _ends_with_period(self, i: int, end: int) -> bool:
        """A ``.`` ends a sentence unless it is in a number, word or list marker."""
        prev, nxt = self.text[i - 1] if i else "", self.text[i + 1] if i + 1 < end else ""
        if prev.isdigit() or "." in (prev, nxt) or nxt and self.protected[i + 1]:
            return False
        return not nxt or nxt.isspace() or nxt in _CLOSERS or _is_cjk(nxt)

    def _clauses(self, start: int, end: int) -> list[tuple[int, int]]:
        text, bounds = self.text, [start]
        for i in range(self._body_start(start, end), end):
            ch = text[i]
            if ch == "、" and (text[i - 1].isdigit() or text[i - 1] in _CN):
                continue
            if (ch in ",，、:：" or ch.isspace()) and not self.protected[i + 1]:
                j = self._skip_space(i + 1, end)
                if j < end and not self.blocked[j] and j > bounds[-1]:
                    bounds.append(j)
        return [(s, self._rstrip(s, e)) for s, e in zip(bounds, [*bounds[1:], end], strict=True)]

    def _atoms(self, start: int, end: int) -> list[tuple[int, int]]:
        cuts = [p for p in range(start + 1, end) if not self.blocked[p]]
        pieces = zip([start, *cuts], [*cuts, end], strict=True)
        return [(s, self._rstrip(s, e)) for s, e in pieces if not self.text[s:e].isspace()]

    def _skip_space(self, i: int, end: int) -> int:
        while i < end and self.text[i].isspace():
            i += 1
        return i

    def _rstrip(self, start: int, end: int) -> int:
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return end

    def _tree(self) -> list[_Node]:
        stack = [_Line(0, 0, -1, -1)]
        for line in self.lines:
            while len(stack) > 1 and not stack[-1].owns(line):
                stack.pop()
            stack[-1].children.append(line)
            if line.rank < _PLAIN:
                stack.append(line)
        return self._nodes(stack[0].children)

    def _nodes(self, lines: list[_Line]) -> list[_Node]:
        """Nodes of sibling lines: items own their children; headings glue to the next.

        A weak heading glues only onto a node that ``anchors`` (>= 1): text, an item or a
        strong heading (2), or one weak heading above those (1). So a run of short
        unpunctuated lines (a list, not headings) does not become one unbreakable block.
        """
        out: list[_Node] = []
        anchors: list[int] = []
        for line in reversed(lines):
            node: _Node = _Span(line.start, line.end, LINE)
            score = 2
            if line.children:
                node = _Group((node, *self._nodes(line.children)), sticky=1)
            elif line.heading and out and (line.heading == 2 or anchors[-1] >= 1):
                node = _Group((node, out.pop()), sticky=1)
                score = 2 if line.heading == 2 else anchors.pop() - 1
            elif line.heading:
                score = 0
            out.append(node)
            anchors.append(score)
        return out[::-1]

    def _split(self, node: _Node) -> list[_Node] | None:
        """The node's parts one level down, or None when it cannot be split."""
        if isinstance(node, _Span):
            steps = ((SENTENCE, self._sentences), (CLAUSE, self._clauses), (ATOM, self._atoms))
            for level, parts_of in steps:
                if level > node.level and len(pieces := parts_of(node.start, node.end)) > 1:
                    return [_Span(s, e, level) for s, e in pieces]
            return None
        if not node.sticky:
            return list(node.children)
        head, rest = node.children[: node.sticky], node.children[node.sticky + 1 :]
        if rest:  # first try to keep the glued content whole
            return [_Group(node.children[: node.sticky + 1], node.sticky), *rest]
        parts = self._split(node.children[node.sticky])
        if not parts or isinstance(parts[0], _Span) and parts[0].level == ATOM:
            return list(node.children)  # rather than cut a clause: give up the glue
        first = parts[0]
        if isinstance(first, _Group) and first.sticky:
            merged = _Group((*head, *first.children), node.sticky + first.sticky)
        else:
            merged = _Group((*head, first), node.sticky)
        return [merged, *parts[1:]]

    def _overlap_start(self, start: int, end: int) -> int | None:
        """Where the chunk after ``[start, end)`` starts, to repeat its tail."""
        lo, hi = max(start + 1, end - self.size // 2), end - self.overlap
        for starts in (self.sentence_starts, self.clause_starts):
            k = bisect_right(starts, hi) - 1
            if k >= 0 and starts[k] >= lo:
                return starts[k]
        for p in range(hi, lo - 1, -1):
            if not self.blocked[p] and not self.text[p].isspace():
                return p
        return None

    def spans(self) -> list[tuple[int, int]]:
        """Greedily pack the tree into ``(start, end)`` chunk spans."""
        out: list[tuple[int, int]] = []
        cur: tuple[int, int] | None = None
        stack = self._tree()[::-1]
        while stack:
            node = stack.pop()
            if cur is not None and node.end - cur[0] <= self.size:
                cur = (cur[0], node.end)
                continue
            fresh = node.start if cur is None or self.overlap <= 0 else self._overlap_start(*cur)
            if fresh is not None and node.end - fresh <= self.size:
                out.extend([cur] if cur else [])
                cur = (fresh, node.end)
            elif parts := self._split(node):
                stack.extend(reversed(parts))
            else:  # an unsplittable piece: start afresh, without overlap
                out.extend([cur] if cur else [])
                cur = (node.start, node.end)
        return [*out, cur] if cur else out


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


@cache
def _region_finder() -> Callable[[str], tuple[str, ...]] | None:
    try:
        from qa.regions import find_regions
    except ImportError:
        logger.warning("qa.regions is unavailable; chunks get no regions")
        return None
    return find_regions


def _units(doc: Document, size: int) -> list[tuple[int, int, str]]:
    """``(start, end, title)`` of each section and of the text around sections."""
    if doc.kind == "snippet" and len(doc.text.strip()) <= SNIPPET_FACTOR * size:
        return [(0, len(doc.text), doc.title)]
    units, pos = [], 0
    for sec in sorted(doc.sections, key=lambda s: (s.start, s.end)):
        start, end = max(sec.start, pos), min(sec.end, len(doc.text))
        if start < end:
            heading = sec.heading.strip()
            title = f"{doc.title} {heading}" if heading and heading != doc.title else doc.title
            units += [(pos, start, doc.title), (start, end, title.strip())]
            pos = end
    return [*units, (pos, len(doc.text), doc.title)]


def chunk_document(doc: Document, size: int = 350, overlap: int = 48) -> list[Chunk]:
    """Split ``doc`` into chunks of at most ``size`` characters (see the module docstring).

    Args:
        doc: The document; its sections are chunked separately, never mixed.
        size: Character budget per chunk (exceeded only by an unsplittable piece).
        overlap: Minimum characters repeated between consecutive chunks of one unit.

    Returns:
        Chunks in document order, each with ``doc.text[c.start:c.end] == c.text``.
    """
    if size < 2:
        raise ValueError(f"chunk size must be at least 2, got {size}")
    spans: list[tuple[int, int, str]] = []
    for start, end, title in _units(doc, size):
        text = doc.text[start:end]
        if not text.strip():
            continue
        if doc.kind == "snippet" and len(text.strip()) <= SNIPPET_FACTOR * size:
            pieces = [(len(text) - len(text.lstrip()), len(text.rstrip()))]
        else:
            pieces = _Splitter(text, size, overlap).spans()
        spans.extend((start + s, start + e, title) for s, e in pieces)
    finder = _region_finder()
    chunks = []
    for position, (start, end, title) in enumerate(spans):
        text = doc.text[start:end]
        digest = hashlib.sha256(f"{doc.doc_id}:{start}:{end}".encode()).hexdigest()[:16]
        regions = tuple(finder(f"{title}\n{text}")) if finder else ()
        meta = (doc.doc_id, doc.source, doc.kind)
        chunks.append(Chunk(digest, *meta, title, text, start, end, doc.date, regions, position))
    logger.debug("chunked doc=%s chunks=%d", doc.doc_id, len(chunks))
    return chunks


def chunk_documents(docs: Iterable[Document], size: int = 350, overlap: int = 48) -> list[Chunk]:
    """Chunk every document, in order; see ``chunk_document``."""
    chunks = [chunk for doc in docs for chunk in chunk_document(doc, size, overlap)]
    logger.info("chunked chunks=%d size=%d overlap=%d", len(chunks), size, overlap)
    return chunks
