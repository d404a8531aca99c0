"""Headings and sections of a Markdown file, from markdown-it-py's token stream.

Only real headings count: ATX (``## 报销比例``) and setext (a line underlined with ``===``
or ``---``), not ``#`` lines inside code blocks. Offsets come from each heading token's
``map`` (its first and past-the-last source line), so they index the decoded file itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from qa.types import Section


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: its text and the span of its source lines in the raw file.

    Attributes:
        text: The heading's inline text (``#`` marks and setext underline removed).
        start: Offset of its first non-blank character.
        end: Offset just past its last source line (underline included), newline excluded.
    """

    text: str
    start: int
    end: int


def md_headings(raw: str) -> list[Heading]:
    """Every heading of ``raw`` (text with ``\\n`` newlines), in order."""
    line_starts = [0, *(m.end() for m in re.finditer("\n", raw))]

    def line_end(line: int) -> int:  # offset of the newline ending ``line - 1``
        return line_starts[line] - 1 if line < len(line_starts) else len(raw)

    tokens = MarkdownIt("commonmark").parse(raw)
    headings = []
    for opened, inline in zip(tokens, tokens[1:], strict=False):
        if opened.type == "heading_open" and opened.map:
            first, past = opened.map
            start = line_starts[first]
            while raw[start] in " \t":  # up to three spaces may indent a heading
                start += 1
            headings.append(Heading(inline.content.strip(), start, line_end(past)))
    return headings


def md_sections(raw: str, start: int, end: int) -> tuple[Section, ...]:
    """Sections of ``raw[start:end]`` (a document's text), one per heading inside it.

    A section runs from its heading to the last non-blank character before the next
    heading (or ``end``); text before the first heading belongs to no section.

    Returns:
        Sections with offsets relative to ``start``, so ``text[s.start:s.end]`` is the section.
    """
    heads = [h for h in md_headings(raw) if start <= h.start < end]
    stops = [*(h.start for h in heads), end][1:]
    return tuple(
        Section(h.text, h.start - start, h.start + len(raw[h.start : stop].rstrip()) - start)
        for h, stop in zip(heads, stops, strict=True)
    )
