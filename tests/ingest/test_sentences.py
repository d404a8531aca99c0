"""Sentence pieces of chunks: packing, budgets, offsets, and the corpus's pieces pinned."""

from __future__ import annotations

import hashlib
import json

import pytest

from ingest.sentences import PIECE_CHARS, sentence_pieces
from qa.index.rows import piece_text
from qa.types import Chunk


def pieces(text: str, max_chars: int = PIECE_CHARS) -> list[str]:
    return [text[s:e] for s, e in sentence_pieces(text, max_chars)]


def test_short_sentences_are_packed_up_to_the_budget() -> None:
    text = "先登记。再缴费。最后激活医保码。"
    assert pieces(text) == [text]
    assert pieces(text, 8) == ["先登记。再缴费。", "最后激活医保码。"]


def test_line_breaks_end_sentences_and_whitespace_is_trimmed() -> None:
    text = "  办理材料\n\n    • 身份证\n    • 户口簿\n"
    assert pieces(text, 5) == ["办理材料", "• 身份证", "• 户口簿"]
    assert piece_text(pieces(text)[0]) == "办理材料 • 身份证 • 户口簿"


def test_long_sentence_is_its_own_piece() -> None:
    long = "医保" * 40 + "。"
    assert pieces(f"短句。{long}短句。") == ["短句。", long, "短句。"]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert pieces("点击“激活。”然后刷脸。", 7) == ["点击“激活。”", "然后刷脸。"]


@pytest.mark.parametrize("text", ["", "  \n\u3000"])
def test_blank_text_has_no_pieces(text: str) -> None:
    assert sentence_pieces(text) == []


def test_corpus_pieces_cover_each_chunk_within_budget(corpus_chunks: list[Chunk]) -> None:
    for chunk in corpus_chunks:
        spans = sentence_pieces(chunk.text)
        assert spans, chunk.chunk_id
        rest = chunk.text
        for s, e in reversed(spans):
            assert chunk.text[s:e] == chunk.text[s:e].strip()
            rest = rest[:s] + rest[e:]
        assert not rest.strip(), "text outside every piece"
        multi = [(s, e) for s, e in spans if len(sentence_pieces(chunk.text[s:e], 0)) > 1]
        assert all(len(piece_text(chunk.text[s:e])) <= PIECE_CHARS for s, e in multi)


def test_corpus_pieces_are_pinned(corpus_chunks: list[Chunk]) -> None:
    """Piece offsets are indexed (``sentence_spans.npy``): a change must be deliberate.

    If this fails on purpose, bump ``ingest.freshness.PIPELINE_VERSION`` and the digest.
    """
    spans = [sentence_pieces(c.text) for c in corpus_chunks]
    digest = hashlib.sha256(json.dumps(spans).encode()).hexdigest()[:16]
    assert (sum(map(len, spans)), digest) == (449, "b25fbd2e864aa0a5")
