"""bm25s indexes built and stored the one way both the body and the title index need."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import bm25s

#: Stands in for an empty token list: bm25s cannot index an empty document (or corpus), and
#: the placeholder keeps rows aligned without matching any real query token.
PLACEHOLDER = "\x00"


def build_bm25(token_lists: Sequence[Sequence[str]]) -> bm25s.BM25:
    """A ``bm25s.BM25`` with one row per token list (empty lists allowed)."""
    import bm25s

    bm25 = bm25s.BM25()
    rows = [list(tokens) or [PLACEHOLDER] for tokens in token_lists] or [[PLACEHOLDER]]
    bm25.index(rows, show_progress=False)
    return bm25


def save_bm25(bm25: bm25s.BM25, folder: Path) -> None:
    """Write the arrays (``.npy`` without pickle) and vocab/params JSON into ``folder``."""
    bm25.save(str(folder), show_progress=False)


def load_bm25(folder: Path) -> bm25s.BM25:
    """Read an index written by :func:`save_bm25`; never unpickles."""
    import bm25s

    return bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
