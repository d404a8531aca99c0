"""Cut a chunk's text into short pieces of whole sentences, for ``qa.index.sentences``.

Sentences end at ``。！？；`` (and ASCII ``!?;``) or a line break; consecutive sentences are
packed greedily into pieces of at most ``max_chars`` characters (a longer sentence is a
piece of its own); the budget counts :func:`piece_text` characters. Offsets are relative to
the text, whitespace trimmed.
"""

from __future__ import annotations

import re

#: Character budget of a piece; tuned on the gold dev split (40/60/120 tried).
PIECE_CHARS = 60
_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((s + lead, s + len(piece.rstrip())))
    return out


def piece_text(raw: str) -> str:
    """A piece as embedded: runs of whitespace (line breaks, indentation) become one space."""
    return " ".join(raw.split())


def sentence_pieces(text: str, max_chars: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the pieces of ``text``, in order.

    Args:
        text: A chunk's text.
        max_chars: Most characters per piece, unless one sentence is longer.

    Returns:
        Non-overlapping spans covering every non-blank sentence of ``text``.
    """
    pieces: list[tuple[int, int]] = []
    for start, end in _sentences(text):
        if pieces and len(piece_text(text[pieces[-1][0] : end])) <= max_chars:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces
