"""Split text into sentences, as ``(start, end)`` character offsets.

One splitter for every place that needs sentences (chunk boundaries, sentence pieces,
answer quotes). A sentence ends with a run of end marks (``。！？；`` and ASCII ``!?;``
by default) together with the closing quotes and brackets right after it, which stay
with the sentence they close: ``他说“好。”然后走了。`` splits after ``”``. Text after
the last end mark is a sentence too. Spans are trimmed of surrounding whitespace and
blank ones are dropped.

Callers choose:

- ``ends``: the marks that end a sentence. Add ``"\\n"`` to end one at every line break;
  leave out ``；;`` for whole sentences rather than clauses;
- ``closers``: marks kept with the sentence before them;
- ``may_end(i, j)``: a veto on ending a sentence with the run ``text[i:j]`` (for example:
  a ``.`` ends a sentence only when it is not inside a number). A vetoed run is not a
  boundary; the scan goes on at ``i + 1``.

Example:
    >>> text = "他说“好。”然后走了！ 还有"
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['他说“好。”', '然后走了！', '还有']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

#: Marks that end a sentence: full-width and ASCII ``。！？；!?;``.
SENTENCE_ENDS = "。！？；!?;"
#: Closing quotes and brackets that stay with the sentence before them.
CLOSERS = "”’」』】》)）\"'"


@cache
def _end_run(ends: str, closers: str) -> re.Pattern[str]:
    """An end mark followed by any end marks and closers."""
    return re.compile(f"[{re.escape(ends)}][{re.escape(ends + closers)}]*")


def sentence_spans(
    text: str,
    ends: str = SENTENCE_ENDS,
    *,
    closers: str = CLOSERS,
    start: int = 0,
    end: int | None = None,
    may_end: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """``(start, end)`` offsets into ``text`` of each sentence of ``text[start:end]``.

    Args:
        text: The text; offsets index into it.
        ends: Characters that end a sentence (a run of them ends one sentence).
        closers: Characters kept with the sentence when they follow its end marks.
        start: Where to begin (default: the start of ``text``).
        end: Where to stop (default: the end of ``text``); no run extends past it.
        may_end: Called with ``(i, j)`` for a run of end marks and closers ``text[i:j]``;
            returning False means the run does not end a sentence.

    Returns:
        Non-overlapping spans in order, each stripped of whitespace and non-empty; the
        text between consecutive spans is whitespace only.

    Raises:
        ValueError: ``ends`` is empty.
    """
    if not ends:
        raise ValueError("ends must name at least one character")
    stop = len(text) if end is None else end
    run = _end_run(ends, closers)
    bounds, pos = [start], start
    while match := run.search(text, pos, stop):
        i, j = match.span()
        # A vetoed run is retried from each later end mark in it, all ending at j: asking
        # may_end here, not by searching again from i + 1, keeps the scan linear.
        if may_end is None or any(text[k] in ends and may_end(k, j) for k in range(i, j)):
            bounds.append(j)
        pos = j
    bounds.append(stop)
    spans = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        piece = text[s:e]
        trimmed = piece.strip()
        if trimmed:
            lead = len(piece) - len(piece.lstrip())
            spans.append((s + lead, s + lead + len(trimmed)))
    return spans
