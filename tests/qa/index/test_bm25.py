"""The streamed BM25 build: the same index as bm25s builds from token strings."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.bm25 import PLACEHOLDER, build_bm25, check_bm25, load_bm25, save_bm25
from qa.text.tokenizer import passage_terms
from tests.conftest import CORPUS

QUERIES = (["医保码", "激活"], ["合肥", "缴费", "多少"], ["家庭共济"], ["不在词表"], [PLACEHOLDER])


@pytest.fixture(scope="module")
def token_lists() -> list[list[str]]:
    lines = [ln for p in sorted(CORPUS.glob("*.txt")) for ln in p.read_text("utf-8").split("\n")]
    return [passage_terms(line) for line in lines[:400]]  # blank lines give empty lists


def test_the_streamed_build_scores_exactly_as_bm25s(token_lists):
    import bm25s

    assert any(not tokens for tokens in token_lists)  # empty rows are covered
    reference = bm25s.BM25()
    reference.index([t or [PLACEHOLDER] for t in token_lists], show_progress=False)
    streamed = build_bm25(iter(token_lists))  # a generator: read once, never held as strings
    assert streamed.scores["num_docs"] == len(token_lists)
    for query in QUERIES:
        assert np.array_equal(streamed.get_scores(query), reference.get_scores(query)), query
    assert set(streamed.vocab_dict) == set(reference.vocab_dict)


def test_the_streamed_build_round_trips_and_passes_the_load_checks(token_lists, tmp_path):
    built = build_bm25(token_lists)
    save_bm25(built, tmp_path / "bm25")
    loaded = load_bm25(tmp_path / "bm25")
    check_bm25(loaded, len(token_lists))
    assert loaded.get_scores(["医保码"]).max() > 0
    # counts and row gaps are stored, the float32 scores recomputed: bit for bit the same
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(loaded.scores[key], built.scores[key]), key
        assert loaded.scores[key].dtype == built.scores[key].dtype, key
    for query in QUERIES:
        assert np.array_equal(loaded.get_scores(query), built.get_scores(query)), query
    assert loaded.vocab_dict == built.vocab_dict


def test_stored_bm25_is_smaller_than_its_float_scores(token_lists, tmp_path):
    built = build_bm25(token_lists * 20)  # many rows: the row gaps within a term are small
    save_bm25(built, tmp_path / "bm25")
    stored = (tmp_path / "bm25" / "arrays.npz").stat().st_size
    scores = built.scores
    assert stored < (scores["data"].nbytes + scores["indices"].nbytes) / 3


def test_an_empty_corpus_is_one_placeholder_row():
    bm25 = build_bm25([])
    assert bm25.scores["num_docs"] == 1 and not bm25.get_scores(["医保"]).any()
