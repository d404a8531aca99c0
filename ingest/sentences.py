"""Cut a chunk's text into short pieces of whole sentences, for ``qa.index.sentences``.

Sentences (:func:`qa.text.sentences.sentence_spans`) end at ``。！？；`` (and ASCII
``!?;``), with their closing quotes and brackets, or at a line break; consecutive
sentences are packed greedily into pieces of at most ``max_chars`` characters (a longer
sentence is a piece of its own); the budget counts :func:`qa.index.rows.piece_text` characters.
Offsets are relative to the text, whitespace trimmed.
"""

from __future__ import annotations

from qa.index.rows import piece_text
from qa.settings import default
from qa.text.sentences import SENTENCE_ENDS, sentence_spans

#: Character budget of a piece (``Settings.piece_chars``; 40/60/120 tried on the dev split).
PIECE_CHARS: int = default("piece_chars")


def sentence_pieces(text: str, max_chars: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the pieces of ``text``, in order.

    Args:
        text: A chunk's text.
        max_chars: Most characters per piece, unless one sentence is longer.

    Returns:
        Non-overlapping spans covering every non-blank sentence of ``text``.
    """
    pieces: list[tuple[int, int]] = []
    for start, end in sentence_spans(text, SENTENCE_ENDS + "\n"):
        if pieces and len(piece_text(text[pieces[-1][0] : end])) <= max_chars:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces
