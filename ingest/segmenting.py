"""Find the structure of a text and where it may be cut, for chunking.

Lines are classified as list items by their marker rank (``一、`` > ``1.`` > ``(1)`` >
``•``) and as headings (short or colon-ended, without a sentence end). Lines split into
sentences (:func:`qa.text.sentences.sentence_spans`), sentences into clauses, clauses
into safe characters. No cut falls inside a number, date, ASCII word, list marker or short
quoted/bracketed name ("protected"), nor where it would orphan punctuation or split a
combining mark ("blocked").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from qa.text.sentences import CLOSERS, SENTENCE_ENDS, sentence_spans

logger = logging.getLogger(__name__)

_HEADING_MAX = 40  # a heading: a line this short (or ending in a colon), no sentence end
_QUOTED_MAX = 80  # longer bracket pairs are prose, not names, and may be split
_ENDS, _CLOSERS = SENTENCE_ENDS, CLOSERS
_PAIRS = dict(zip('“「『【《(（"', ["”", "」", "』", "】", "》", ")）", ")）", '"'], strict=True))
_NO_CUT_BEFORE = frozenset(_ENDS + _CLOSERS + ",，、:：%…")
_NO_CUT_AFTER = frozenset(_PAIRS) - {'"'}
_OPENERS_OF = {c: tuple(o for o in _PAIRS if c in _PAIRS[o]) for c in "".join(_PAIRS.values())}
_BRACKETS = re.compile("[" + re.escape("".join(_PAIRS) + "".join(_OPENERS_OF)) + "\n]")
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


@dataclass
class OutlineLine:
    """One non-blank line (offsets exclude its surrounding whitespace)."""

    start: int
    end: int
    indent: int
    rank: int  # list-marker rank: 0 (一、) .. 3 (•), or 4 for a plain line
    open_ended: bool = False  # does not end with sentence-end punctuation
    heading: int = 0  # 0: none, 1: weak (short, no sentence end), 2: strong (colon, 一、)
    children: list[OutlineLine] = field(default_factory=list)

    @property
    def is_item(self) -> bool:
        """Whether the line starts with a list marker."""
        return self.rank < _PLAIN

    def owns(self, line: OutlineLine) -> bool:
        """Whether ``line`` nests under this item line."""
        if line.indent != self.indent:
            return line.indent > self.indent
        if line.is_item:
            return line.rank > self.rank
        return self.rank <= _RANK["num"] and self.open_ended


class Segmenter:
    """Lines, sentences, clauses and safe cut positions of one text.

    Attributes:
        text: The text; all offsets index into it.
        lines: Its non-blank lines, in order.
        protected: Per cut position ``p`` (between ``text[p-1]`` and ``text[p]``), nonzero
            inside a number, date, ASCII word, list marker or quoted name.
        blocked: Like ``protected``, plus cuts that would orphan punctuation or split a
            combining mark.
        sentence_starts: Sorted start offsets of all sentences.
        clause_starts: Sorted start offsets of all clauses.
    """

    def __init__(self, text: str, size: int) -> None:
        """Analyse ``text``; protected spans longer than ``size`` are not kept whole."""
        self.text, self.size = text, size
        self._masks()
        self.lines = self._lines()
        self.sentence_starts: list[int] = []
        self.clause_starts: list[int] = []
        for line in self.lines:
            for s, e in self.sentences(line.start, line.end):
                self.sentence_starts.append(s)
                self.clause_starts.extend(c for c, _ in self.clauses(s, e))

    def _masks(self) -> None:
        """Set the ``protected`` and ``blocked`` masks."""
        text = self.text
        spans = [m.span() for m in _ATOMIC.finditer(text)] + _quoted(text)
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

    def _lines(self) -> list[OutlineLine]:
        lines = []
        for m in re.finditer(r"[^\n]+", self.text):
            raw, body = m.group(), m.group().strip()
            if body:
                lead = raw[: len(raw) - len(raw.lstrip())]
                marker = _MARKER.match(body)
                indent = sum(4 if c == "\t" else 2 if c == "\u3000" else 1 for c in lead)
                rank = _RANK[marker.lastgroup] if marker and marker.lastgroup else _PLAIN
                start = m.start() + len(lead)
                line = OutlineLine(
                    start, start + len(body), indent, rank, body[-1] not in _ENDS + ".…"
                )
                if line.rank in (0, _PLAIN) and line.open_ended:
                    strong = body[-1] in ":：" or line.rank == 0
                    line.heading = 2 if strong else int(len(body) <= _HEADING_MAX)
                lines.append(line)
        return lines

    def _body_start(self, start: int, end: int) -> int:
        """Where a line's text starts after its list marker (if any)."""
        marker = _MARKER.match(self.text, start, end)
        return self._skip_space(marker.end(), end) if marker else start

    def sentences(self, start: int, end: int) -> list[tuple[int, int]]:
        """``(start, end)`` of each sentence of the line ``[start, end)``.

        Sentences are :func:`~qa.text.sentences.sentence_spans` with ``.`` as an end mark
        and ``.…`` as closers, except that no sentence ends inside the line's list marker
        or a protected span, nor at a ``.`` inside a number or word.
        """
        body = self._body_start(start, end)

        def may_end(i: int, j: int) -> bool:
            if i < body or self.protected[j]:
                return False
            return self.text[i] != "." or self._ends_with_period(i, end)

        closers = _CLOSERS + ".…"
        return sentence_spans(
            self.text, _ENDS + ".", closers=closers, start=start, end=end, may_end=may_end
        )

    def _ends_with_period(self, i: int, end: int) -> bool:
        """A ``.`` ends a sentence unless it is in a number, word or list marker."""
        prev, nxt = self.text[i - 1] if i else "", self.text[i + 1] if i + 1 < end else ""
        if prev.isdigit() or "." in (prev, nxt) or nxt and self.protected[i + 1]:
            return False
        return not nxt or nxt.isspace() or nxt in _CLOSERS or _is_cjk(nxt)

    def clauses(self, start: int, end: int) -> list[tuple[int, int]]:
        """``(start, end)`` of each clause (split at commas, colons, spaces) of a piece."""
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

    def atoms(self, start: int, end: int) -> list[tuple[int, int]]:
        """``(start, end)`` of the smallest pieces between unblocked cut positions."""
        cuts = [p for p in range(start + 1, end) if not self.blocked[p]]
        pieces = zip([start, *cuts], [*cuts, end], strict=True)
        return [(s, self._rstrip(s, e)) for s, e in pieces if not self.text[s:e].isspace()]

    def slices(self, start: int, end: int) -> list[tuple[int, int]]:
        """``size``-character pieces of a piece longer than ``size`` (a last resort, for a
        run without safe cuts), else the piece itself."""
        if end - start <= self.size:
            return [(start, end)]
        pieces = []
        for at in range(start, end, self.size):
            stop = min(at + self.size, end)
            if (first := self._skip_space(at, stop)) < stop:
                pieces.append((first, self._rstrip(first, stop)))
        return pieces

    def _skip_space(self, i: int, end: int) -> int:
        while i < end and self.text[i].isspace():
            i += 1
        return i

    def _rstrip(self, start: int, end: int) -> int:
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return end


def _quoted(text: str) -> list[tuple[int, int]]:
    """Spans of bracket and quote pairs at most ``_QUOTED_MAX`` long, within lines.

    A closing mark pairs with the innermost open mark it closes, and the marks opened after
    that one stay unclosed. Linear: each open mark's stack index is kept per kind of mark.
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (open mark, offset)
    open_at: dict[str, list[int]] = {mark: [] for mark in _PAIRS}  # stack indices per mark
    for m in _BRACKETS.finditer(text):
        ch, i = m.group(), m.start()
        if ch == "\n":
            stack.clear()
            for rows in open_at.values():
                rows.clear()
            continue
        k = max((open_at[o][-1] for o in _OPENERS_OF.get(ch, ()) if open_at[o]), default=-1)
        if k >= 0:
            if i + 1 - stack[k][1] <= _QUOTED_MAX:
                spans.append((stack[k][1], i + 1))
            for mark, _ in stack[k:]:
                open_at[mark].pop()
            del stack[k:]
        elif ch in _PAIRS:
            open_at[ch].append(len(stack))
            stack.append((ch, i))
    return spans


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
