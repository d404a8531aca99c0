"""Passage parsing: a chunk split into quotable excerpts with their document offsets.

An excerpt is a numbered step (with its sub-bullets), a bullet line or a sentence. Shown text is
the quoted span with whitespace folded; questions, announcements (以下是…:), orphan bullets,
page furniture and LaTeX are left out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from qa.answering.units import REFERS_BACK
from qa.text.sentences import sentence_spans
from qa.types import Chunk

logger = logging.getLogger(__name__)

_STEP = re.compile(r"\d{1,2}[.、．)）](?!\d)\s*")
_BULLET = re.compile(r"^[•·●○◦▪■◆►▶➢✓]\s*")
_ORPHAN = re.compile(r"[•·●○◦▪■◆►▶➢✓*\-\s]+|\d{1,2}[.、．)）]|[一二三四五六七八九十]+、")
_CN_HEADING = re.compile(r"[一二三四五六七八九十]+[、．.]")
_ENDS, _CLOSERS = "。！？!?", "”’」』】》)）\"'"
_TERMINATED = re.compile(f"[{_ENDS}][{re.escape(_ENDS + _CLOSERS)}]*$")
_CLEAN_END = tuple('。！？!?；;)）】」』”"%％元')
_LATEX = re.compile(r"\\[a-zA-Z]+|\$\$")
_ANNOUNCES = re.compile(r"以下[是为将]|如下|下面[将随]|详细(?:的)?(?:解答|介绍|说明)")
_FURNITURE = ("相关推荐", "大家都在搜", "本内容不能代替面诊", "首页 顶部")


@dataclass(frozen=True)
class Excerpt:
    """A quotable span of a chunk (offsets into ``chunk.text``) and its text as shown."""

    chunk: Chunk
    start: int
    end: int
    shown: str
    block: bool = False  # a numbered step with its sub-points
    sub: bool = False  # a block with sub-points (it may repeat the lead sentence)
    first: bool = False  # the chunk's first sentence
    lead_ok: bool = True  # a full sentence that can open an answer

    @property
    def doc_start(self) -> int:
        return self.chunk.start + self.start

    @property
    def doc_end(self) -> int:
        return self.chunk.start + self.end


def overlaps(a: Excerpt, b: Excerpt) -> bool:
    """Whether two excerpts quote overlapping spans of the same document."""
    same_doc = a.chunk.doc_id == b.chunk.doc_id
    return same_doc and a.doc_start < b.doc_end and b.doc_start < a.doc_end


def same_text(a: Excerpt, b: Excerpt) -> bool:
    """Whether two excerpts show the same words, ignoring punctuation and spacing."""
    return re.sub(r"\W", "", a.shown) == re.sub(r"\W", "", b.shown)


def _fold(text: str) -> str:
    return re.sub(r"[ \t\u3000]+", " ", text).strip()


def _lines(text: str) -> list[tuple[int, int, int]]:
    """(start, end, indent) of each non-blank line, without surrounding whitespace."""
    out, pos = [], 0
    for raw in text.split("\n"):
        body = raw.strip()
        if body and not _ORPHAN.fullmatch(body) and not any(f in body for f in _FURNITURE):
            lead = len(raw) - len(raw.lstrip())
            out.append((pos + lead, pos + lead + len(body), lead))
        pos += len(raw) + 1
    return out


def _is_heading(line: str, title: str) -> bool:
    bare = line.rstrip(":：")
    short = len(line) <= 12 and line[-1] not in _ENDS + "；;"
    return line[-1] in ":：" or short or title.endswith(bare)


def _sentences(chunk: Chunk, start: int, end: int, tail_ok: bool) -> list[Excerpt]:
    """Sentences of ``chunk.text[start:end]``; an unterminated tail only if ``tail_ok`` or clean."""
    text = chunk.text
    spans = sentence_spans(text, _ENDS, closers=_CLOSERS, start=start, end=end)
    if spans and not _TERMINATED.search(text, spans[-1][0], spans[-1][1]):
        s, e = spans.pop()
        tail = text[s:e]
        if not tail_ok:  # a snippet's preview is cut off: end it at its last clean stop
            tail = tail[: max(map(tail.rfind, _CLEAN_END)) + 1]
            tail = tail if len(tail.strip()) >= 12 else ""
        if tail.strip():
            spans.append((s, s + len(tail)))
    excerpts = []
    for s, e in spans:
        s += len(text[s:e]) - len(text[s:e].lstrip())
        latex = _LATEX.search(text, s, e)
        if latex:  # keep the prose before a formula, without its dangling operand
            e = s + len(re.sub(r"\s+\d+(?:\.\d+)?$", "", text[s : latex.start()].rstrip()))
        shown = _fold(text[s:e])
        if len(shown) >= 6:
            ok = shown.endswith(tuple(_ENDS + "”）)")) or bool(latex)
            if shown[-1] in ":：?？" or _ANNOUNCES.search(shown[-12:]):
                continue  # a question, or announces what follows: says nothing itself
            ok = ok and not _ANNOUNCES.search(shown) and not REFERS_BACK.match(shown)
            excerpts.append(Excerpt(chunk, s, e, shown, lead_ok=ok))
    return excerpts


def split_passage(chunk: Chunk) -> tuple[list[Excerpt], list[Excerpt]]:
    """Split a chunk into quotable excerpts.

    Args:
        chunk: The passage to split.

    Returns:
        (points, sentences): step blocks, bullet lines and plain sentences that may be
        points, and every sentence (lead candidates), each in text order.
    """
    text, lines = chunk.text, _lines(chunk.text)
    points: list[Excerpt] = []
    sentences: list[Excerpt] = []
    i = 0
    while i < len(lines):
        s, e, indent = lines[i]
        line = text[s:e]
        j = i + 1
        step, bullet = _STEP.match(line), _BULLET.match(line)
        if step:
            while j < len(lines) and lines[j][2] > indent:
                j += 1
            first = i
            if i and _CN_HEADING.match(text[lines[i - 1][0] : lines[i - 1][1]]):
                first = i - 1 if not points or points[-1].end <= lines[i - 1][0] else i
            block = lines[first:j]
            shown = "\n".join(
                ("  " if k > i else "") + _fold(_BULLET.sub("• ", text[a:b], count=1))
                for k, (a, b, _) in zip(range(first, j), block, strict=True)
            )
            sub = j > i + 1
            points.append(Excerpt(chunk, block[0][0], block[-1][1], shown, block=True, sub=sub))
        for a, b, _ in lines[i:j]:
            row = text[a:b]
            marker = _STEP.match(row) or _BULLET.match(row)
            a += marker.end() if marker else 0
            if a >= b or (not marker and _is_heading(row, chunk.title)) and chunk.kind != "snippet":
                continue
            found = _sentences(chunk, a, b, tail_ok=chunk.kind != "snippet")
            sentences.extend(found)
            if bullet and not step and found:
                shown = "• " + _fold(text[a:b])
                points.append(Excerpt(chunk, a, b, shown))
            elif not marker and not step:
                points.extend(found)
        i = j
    if sentences:
        sentences[0] = Excerpt(**{**sentences[0].__dict__, "first": True})
    return points, sentences
