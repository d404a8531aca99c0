"""Split documents into overlapping, structure-aware passages (chunks) for retrieval.

Each section (and the text outside sections) becomes a tree (lines, items and headings
come from :mod:`ingest.segmenting`): lines nest under list-item headers by indentation
and marker rank (``一、`` > ``1.`` > ``(1)`` > ``•``), and a heading is glued to what
follows it. Nodes are packed greedily into chunks of at most ``size`` characters; a node
that does not fit is split one level down (item → lines → sentences → clauses → safe
characters), so breaks fall between items and paragraphs first. No cut falls inside a
number, date, ASCII word, list marker or short quoted/bracketed name; only a run longer
than ``size`` without any safe cut (``《《《…``) is sliced anyway. The next chunk
repeats whole trailing sentences (else clauses) of the previous one: at least
``overlap`` and at most ``size // 2`` characters.
"""

from __future__ import annotations

import hashlib
import logging
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.segmenting import OutlineLine, Segmenter
from qa.text.regions import find_regions
from qa.text.titles import clip_title
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

SNIPPET_FACTOR = 1.5  # a snippet up to this many times ``size`` is always one chunk
LINE, SENTENCE, CLAUSE, ATOM, SLICE = range(5)
#: Deeper list nesting and longer chains of glued headings are flattened (they only occur
#: in generated text, and would make the tree deeper than Python's recursion limit).
MAX_DEPTH = 16


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


class _Splitter:
    """Chunk spans, as offsets into ``text``, of one unit (a section or unsectioned text)."""

    def __init__(self, text: str, size: int, overlap: int) -> None:
        self.text, self.size, self.overlap = text, size, min(overlap, size // 3)
        self.seg = Segmenter(text, size)

    def _tree(self) -> list[_Node]:
        stack = [OutlineLine(0, 0, -1, -1)]
        for line in self.seg.lines:
            while len(stack) > 1 and not stack[-1].owns(line):
                stack.pop()
            stack[-1].children.append(line)
            if line.is_item and len(stack) <= MAX_DEPTH:
                stack.append(line)
        return self._nodes(stack[0].children)

    def _nodes(self, lines: list[OutlineLine]) -> list[_Node]:
        """Nodes of sibling lines: items own their children; headings glue to the next.

        A weak heading glues only onto a node that ``anchors`` (>= 1): text, an item or a
        strong heading (2), or one weak heading above those (1). So a run of short
        unpunctuated lines (a list, not headings) does not become one unbreakable block.
        """
        out: list[_Node] = []
        anchors: list[int] = []
        glued: list[int] = []  # headings glued in a chain, per node of ``out``
        for line in reversed(lines):
            node: _Node = _Span(line.start, line.end, LINE)
            score, chain = 2, 0
            if line.children:
                node = _Group((node, *self._nodes(line.children)), sticky=1)
            elif (
                line.heading
                and out
                and (line.heading == 2 or anchors[-1] >= 1)
                and glued[-1] < MAX_DEPTH
            ):
                node = _Group((node, out.pop()), sticky=1)
                score = 2 if line.heading == 2 else anchors.pop() - 1
                chain = glued.pop() + 1
            elif line.heading:
                score = 0
            out.append(node)
            anchors.append(score)
            glued.append(chain)
        return out[::-1]

    def _split(self, node: _Node) -> list[_Node] | None:
        """The node's parts one level down, or None when it cannot be split."""
        if isinstance(node, _Span):
            seg = self.seg
            steps = (
                (SENTENCE, seg.sentences),
                (CLAUSE, seg.clauses),
                (ATOM, seg.atoms),
                (SLICE, seg.slices),
            )
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
        if not parts or isinstance(parts[0], _Span) and parts[0].level >= ATOM:
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
        for starts in (self.seg.sentence_starts, self.seg.clause_starts):
            k = bisect_right(starts, hi) - 1
            if k >= 0 and starts[k] >= lo:
                return starts[k]
        for p in range(hi, lo - 1, -1):
            if not self.seg.blocked[p] and not self.text[p].isspace():
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


def _units(doc: Document, size: int) -> list[tuple[int, int, str]]:
    """``(start, end, title)`` of each section and of the text around sections.

    Titles are clipped (:func:`qa.text.titles.clip_title`): the document's, plus a section's
    heading, each at most ``MAX_TITLE_CHARS`` characters.
    """
    doc_title = clip_title(doc.title)
    if doc.kind == "snippet" and len(doc.text.strip()) <= SNIPPET_FACTOR * size:
        return [(0, len(doc.text), doc_title)]
    units, pos = [], 0
    for sec in sorted(doc.sections, key=lambda s: (s.start, s.end)):
        start, end = max(sec.start, pos), min(sec.end, len(doc.text))
        if start < end:
            heading = sec.heading.strip()
            title = (
                f"{doc_title} {clip_title(heading)}"
                if heading and heading != doc.title
                else doc_title
            )
            units += [(pos, start, doc_title), (start, end, title.strip())]
            pos = end
    return [*units, (pos, len(doc.text), doc_title)]


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
    chunks = []
    for position, (start, end, title) in enumerate(spans):
        text = doc.text[start:end]
        digest = hashlib.sha256(f"{doc.doc_id}:{start}:{end}".encode()).hexdigest()[:16]
        regions = tuple(find_regions(f"{title}\n{text}"))
        meta = (doc.doc_id, doc.source, doc.kind)
        chunks.append(Chunk(digest, *meta, title, text, start, end, doc.date, regions, position))
    logger.debug("chunked doc=%s chunks=%d", doc.doc_id, len(chunks))
    return chunks


def chunk_documents(docs: Iterable[Document], size: int = 350, overlap: int = 48) -> list[Chunk]:
    """Chunk every document, in order; see ``chunk_document``."""
    chunks = [chunk for doc in docs for chunk in chunk_document(doc, size, overlap)]
    logger.info("chunked chunks=%d size=%d overlap=%d", len(chunks), size, overlap)
    return chunks
