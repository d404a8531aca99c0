"""Retrieval metrics, matching helpers and the latency summary, on tiny Chinese fixtures."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    hit_at_k,
    index_predictions,
    is_hit,
    latency_summary,
    mrr_at_k,
    ndcg_at_k,
)
from qa.text.normalize import without_spaces
from tests.eval.conftest import ANCHOR, assert_reasons, hit, item, miss, pred

# --------------------------------------------------------------------------- matching / is_hit


def test_matching_text_is_nfkc_without_whitespace():
    assert without_spaces("４００ 元，\n每年") == "400元,每年"


def test_is_hit_contained_with_width_and_whitespace():
    assert is_hit("通知:城乡居民医保个人缴费标准\n为每人每年４００元。", ANCHOR)
    assert not is_hit("无关内容", ANCHOR)
    assert not is_hit("任何内容", "")


def test_is_hit_straddling_anchor():
    anchor = "abcdefghij"  # 10 chars: half = 5
    assert is_hit("xxxxabcde", anchor)  # prefix of 5 at the chunk's end
    assert is_hit("fghijyyyy", anchor)  # suffix of 5 at the chunk's start
    assert not is_hit("xxxxabcd", anchor)  # only 4 chars
    assert not is_hit("xxxxa", anchor)  # 1-char overlap
    assert not is_hit("jyyyy", anchor)
    # Chinese: 20-char anchor, last 10 chars open the next chunk.
    assert is_hit(ANCHOR[10:] + ",财政补助670元。", ANCHOR)
    assert not is_hit(ANCHOR[-1] + "其他内容", ANCHOR)


# --------------------------------------------------------------------------- retrieval


def test_hit_at_k_ranks():
    items = [item("q1"), item("q2"), item("q3")]
    preds = index_predictions(
        [
            pred("q1", [hit(), miss(), miss()]),
            pred("q2", [miss(), miss(), hit()]),
            pred("q3", [miss(), miss(), miss()]),
        ]
    )
    h1, h5 = hit_at_k(items, preds, 1), hit_at_k(items, preds, 5)
    assert h1.name == "hit@1" and h5.name == "hit@5"
    assert [s.value for s in h1.items] == [1.0, 0.0, 0.0]
    assert [s.value for s in h5.items] == [1.0, 1.0, 0.0]
    assert h1.score == pytest.approx(1 / 3)
    assert h5.score == pytest.approx(2 / 3)
    assert h5.items[1].reason == "anchor in rank 3"
    assert_reasons(h1)


def test_retrieval_skips_unanswerable_and_anchorless():
    items = [item("u", "unanswerable"), item("n", anchor=""), item("missing")]
    preds = index_predictions([pred("u", [hit()]), pred("n", [hit()])])
    result = hit_at_k(items, preds, 5)
    assert result.score is None and result.items == []


def test_mrr():
    items = [item("q1"), item("q2"), item("q3")]
    preds = index_predictions(
        [
            pred("q1", [hit(), miss()]),
            pred("q2", [miss(), hit()]),
            pred("q3", [miss()] * 10 + [hit()]),  # rank 11: outside top 10
        ]
    )
    result = mrr_at_k(items, preds, 10)
    assert [s.value for s in result.items] == [1.0, 0.5, 0.0]
    assert result.score == pytest.approx(0.5)
    assert_reasons(result)


def test_ndcg():
    items = [item("q1"), item("q2"), item("q3"), item("q4")]
    preds = index_predictions(
        [
            pred("q1", [miss(), hit(), miss()]),  # single hit at rank 2
            pred("q2", [hit(), miss(), hit()]),  # hits at 1 and 3, IDCG over 2
            pred("q3", [miss(), hit(), miss(), miss(), miss(), miss(), hit()]),  # 2nd hit at 7
            pred("q4", [miss()] * 5 + [hit()]),
        ]
    )
    result = ndcg_at_k(items, preds, 5)
    values = [s.value for s in result.items]
    idcg2 = 1 + 1 / math.log2(3)
    assert values[0] == pytest.approx(1 / math.log2(3))
    assert values[0] == pytest.approx(0.6309, abs=1e-4)
    assert values[1] == pytest.approx((1 + 1 / math.log2(4)) / idcg2)
    assert values[2] == pytest.approx((1 / math.log2(3)) / idcg2)
    assert values[3] == 0.0
    assert_reasons(result)


# --------------------------------------------------------------------------- latency


def test_latency_summary():
    preds = [
        pred("q1", timings_ms={"search": 10.0, "total": 100.0}),
        pred("q2", timings_ms={"search": 20.0, "total": 200.0}),
        pred("q3", timings_ms={"search": 30.0}),
        pred("q4", timings_ms={"search": 40.0}),
    ]
    summary = latency_summary(preds)
    assert list(summary) == ["search", "total"]
    assert summary["search"]["p50"] == pytest.approx(25.0)
    assert summary["search"]["p95"] == pytest.approx(38.5)  # 30 + 0.85·10
    assert summary["search"]["mean"] == pytest.approx(25.0)
    assert summary["total"]["p95"] == pytest.approx(195.0)
    assert summary["total"]["n"] == 2
    assert latency_summary([]) == {}
