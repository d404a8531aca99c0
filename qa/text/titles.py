"""Bounded titles: a title line is short, and a longer line is text with a derived title.

A document's first line is its title only when it has at most :data:`MAX_TITLE_CHARS`
characters; a longer line (a paragraph, or a whole file on one line) stays in the text and
the document is titled by :func:`derived_title`, its opening words. Every title that reaches
a chunk goes through :func:`clip_title`, so no title grows with the size of its file.

Example:
    >>> derived_title("参保人员在定点医疗机构就医发生的住院费用,由统筹基金按规定的比例支付")
    '参保人员在定点医疗机构就医发生的住院费用…'
"""

from __future__ import annotations

import unicodedata

#: Longest line that counts as a title; longer first lines are body text.
MAX_TITLE_CHARS = 80
#: Length budget of a title derived from the opening of a long line.
DERIVED_TITLE_CHARS = 30

_ELLIPSIS = "…"
_BREAKS = frozenset("。！？；!?;，,、：:")  # a cut just before one of these (or a space) reads well
_TRAILING = "".join(_BREAKS) + " \t-—–·"


def is_title_line(text: str) -> bool:
    """Whether a (stripped) line is short enough to be a title."""
    return len(text) <= MAX_TITLE_CHARS


def derived_title(text: str) -> str:
    """A short title for text without a title line: its opening, see :func:`clip_title`."""
    return clip_title(text, DERIVED_TITLE_CHARS)


def clip_title(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and ``…`` (``limit`` in all).

    The cut falls at the last punctuation mark or space of the second half of the budget;
    failing that, not inside an ASCII word or number, nor before a combining mark.
    """
    if len(text) <= limit:
        return text
    budget = limit - len(_ELLIPSIS)
    half = budget // 2
    cut = next((i for i in range(budget, half, -1) if _breaks_at(text, i)), None)
    if cut is None:
        cut = budget
        while cut > half and (_joined(text[cut - 1], text[cut])):
            cut -= 1
        if cut == half:  # one long word: cut it anyway
            cut = budget
    head = text[:cut].rstrip(_TRAILING) or text[:cut]
    return head + _ELLIPSIS


def _breaks_at(text: str, i: int) -> bool:
    """Whether ``text[i]`` is a punctuation mark or space a title may stop before."""
    return text[i] in _BREAKS or text[i].isspace()


def _joined(before: str, after: str) -> bool:
    """Whether a cut between ``before`` and ``after`` would split a word or a character."""
    word = before.isascii() and before.isalnum() and after.isascii() and after.isalnum()
    return word or unicodedata.combining(after) > 0
