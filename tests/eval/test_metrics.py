"""Hand-computed metric values on tiny Chinese fixtures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval import answer_metrics as am
from eval.metrics import (
    evaluate,
    hit_at_k,
    index_predictions,
    is_hit,
    latency_summary,
    mrr_at_k,
    ndcg_at_k,
    normalise,
    slice_by,
)
from eval.schema import Citation, GoldItem, MetricResult, Prediction, RetrievedChunk

ANCHOR = "城乡居民医保个人缴费标准为每人每年400元"
DISC = "提示:本内容不能代替面诊,如有不适请尽快就医。"


def chunk(text: str, source: str = "a.md") -> RetrievedChunk:
    return RetrievedChunk(text=text, source=source)


def cite(n: int, text: str, source: str = "a.md") -> Citation:
    return Citation(n=n, text=text, source=source)


def miss() -> RetrievedChunk:
    return chunk("门诊慢特病待遇按规定执行。")


def hit() -> RetrievedChunk:
    return chunk(f"根据通知,{ANCHOR},财政补助670元。")


def item(iid: str, kind: str = "answerable", **kw) -> GoldItem:
    defaults = {"source": "a.md", "anchor": ANCHOR, "key_facts": ("400元", "670元")}
    if kind == "unanswerable":
        defaults = {}
    defaults.update(kw)
    return GoldItem(id=iid, question="居民医保交多少钱?", kind=kind, **defaults)


def pred(iid: str, retrieved=(), **kw) -> Prediction:
    return Prediction(item_id=iid, question="q", retrieved=list(retrieved), **kw)


def assert_reasons(result: MetricResult) -> None:
    assert all(isinstance(s.reason, str) and s.reason for s in result.items)


# --------------------------------------------------------------------------- normalise / is_hit


def test_normalise_nfkc_and_whitespace():
    assert normalise("４００ 元，\n每年") == "400元,每年"


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


# --------------------------------------------------------------------------- answers


def test_key_fact_recall_and_all_facts():
    items = [item("q1"), item("q2"), item("u", "unanswerable")]
    preds = index_predictions(
        [
            pred("q1", answer="个人缴费４００元[1]。"),
            pred("q2", answer="个人缴费400元,补贴670元。"),
            pred("u", answer="无法回答。"),
        ]
    )
    recall = am.key_fact_recall(items, preds)
    assert [s.value for s in recall.items] == [0.5, 1.0]
    assert "670元" in recall.items[0].reason
    assert recall.score == pytest.approx(0.75)
    allf = am.all_facts_rate(items, preds)
    assert allf.name == "all_facts"
    assert [s.value for s in allf.items] == [0.0, 1.0]
    assert_reasons(recall)
    assert_reasons(allf)


def test_answer_metrics_skip_predictions_without_answer():
    items = [item("q1")]
    preds = index_predictions([pred("q1", [hit()])])
    assert am.key_fact_recall(items, preds).score is None
    assert am.disclaimer_rate(items, preds).score is None
    assert am.false_refusal_rate(items, preds).score is None


def test_citation_precision():
    items = [item("q1"), item("q2")]
    preds = index_predictions(
        [
            pred(
                "q1",
                answer="个人缴费400元[1][2]。",
                citations=[cite(1, "每人每年400元"), cite(2, "门诊慢特病待遇")],
            ),
            pred("q2", answer="个人缴费400元。"),
        ]
    )
    result = am.citation_precision(items, preds)
    assert [s.value for s in result.items] == [0.5, 0.0]
    assert result.items[1].reason == "no citation"
    assert result.score == pytest.approx(0.25)


def test_source_hit():
    items = [item("q1"), item("q2"), item("u", "unanswerable")]
    preds = index_predictions(
        [
            pred("q1", answer="x", citations=[cite(1, "t", "b.md"), cite(2, "t", "a.md")]),
            pred("q2", answer="x", citations=[cite(1, "t", "b.md")]),
            pred("u", answer="x"),
        ]
    )
    result = am.source_hit(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0]
    assert_reasons(result)


def test_disclaimer_rate():
    items = [item("q1"), item("u", "unanswerable")]
    preds = index_predictions(
        [pred("q1", answer="缴费400元。" + DISC), pred("u", answer="无法回答。")]
    )
    result = am.disclaimer_rate(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0]
    assert result.score == 0.5


def test_refusal_and_false_refusal():
    items = [item("u1", "unanswerable"), item("u2", "unanswerable"), item("a1"), item("a2")]
    preds = index_predictions(
        [
            pred("u1", refused=True),  # refused without an answer still counts
            pred("u2", answer="大概是500元。"),
            pred("a1", answer="无法回答。", refused=True),
            pred("a2", answer="400元。"),
        ]
    )
    refusal = am.refusal_rate(items, preds)
    assert [(s.item_id, s.value) for s in refusal.items] == [("u1", 1.0), ("u2", 0.0)]
    false_ref = am.false_refusal_rate(items, preds)
    assert [(s.item_id, s.value) for s in false_ref.items] == [("a1", 1.0), ("a2", 0.0)]
    assert refusal.score == false_ref.score == 0.5


def test_conflict_flag():
    items = [item(f"c{i}", "conflict", key_facts=("400元", "380元")) for i in range(3)]
    items.append(item("a", "answerable"))
    preds = index_predictions(
        [
            pred("c0", answer="一处说400元,另一处说380元,两处说法不一致,以当地医保部门核定为准。"),
            pred("c1", answer="一处说400元,另一处说380元。"),  # no cue word
            pred("c2", answer="标准为400元,各地不同。"),  # only one fact
            pred("a", answer="400元,不同。"),
        ]
    )
    result = am.conflict_flag_rate(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0, 0.0]
    assert "cue" in result.items[1].reason
    assert result.score == pytest.approx(1 / 3)
    assert am.CONFLICT_CUES and "不一致" in am.CONFLICT_CUES


def test_extract_figures():
    assert am.extract_figures("缴费基数15500×2%=310元[1]") == ["15500", "2%", "310"]
    assert am.extract_figures("费率０.３％,2024年起") == ["0.3%", "2024"]
    assert am.extract_figures("报销60%-80%,1至3个月") == ["60%-80%", "1至3"]
    assert am.extract_figures("约15,500元[2]。" + DISC) == ["15500"]
    assert am.extract_figures("请咨询当地医保部门[1]。") == []


def test_figure_faithfulness():
    items = [item("q1"), item("q2"), item("q3"), item("q4")]
    preds = index_predictions(
        [
            pred(
                "q1",
                answer="个人缴费400元,补贴670元[1]",
                citations=[cite(1, "个人缴费每人每年400元。")],
            ),
            pred("q2", answer="请咨询当地医保部门[1]。" + DISC, citations=[]),
            pred("q3", answer="缴费4000元[1]", citations=[cite(1, "缴费40000元")]),
            pred("q4", answer="报销60%~80%", citations=[cite(1, "报销比例60%至80%")]),
        ]
    )
    result = am.figure_faithfulness(items, preds)
    assert [s.value for s in result.items] == [0.5, 1.0, 0.0, 1.0]
    assert result.items[1].reason == "no figures"
    assert "670" in result.items[0].reason
    assert result.score == pytest.approx(0.625)


def test_lcs_and_rouge_l():
    assert am.lcs_length("abcde", "abxde") == 4
    assert am.lcs_length("", "abc") == 0
    items = [
        item("q1", reference="abcde"),
        item("q2", reference="每人每年缴费四百元"),
        item("q3", reference=""),
    ]
    preds = index_predictions(
        [
            pred("q1", answer="abxde[1]" + DISC),
            # LCS "每年缴费元" = 5; P = 5/7, R = 5/9 → F1 = 2·5/(7+9) = 0.625
            pred("q2", answer="每年要缴费元元"),
            pred("q3", answer="x"),
        ]
    )
    result = am.rouge_l_f1(items, preds)
    assert [s.item_id for s in result.items] == ["q1", "q2"]
    assert result.items[0].value == pytest.approx(0.8)
    assert result.items[1].value == pytest.approx(0.625)


def test_semantic_similarity_with_fake_embed():
    vectors = {"甲": [1.0, 0.0], "乙": [0.0, 2.0], "丙": [3.0, 3.0]}
    calls = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.array([vectors[t] for t in texts])

    items = [item("q1", reference="甲"), item("q2", reference="乙")]
    preds = index_predictions([pred("q1", answer="丙[1]" + DISC), pred("q2", answer="乙")])
    result = am.semantic_similarity(items, preds, embed)
    assert len(calls) == 1
    assert [s.value for s in result.items] == pytest.approx([1 / math.sqrt(2), 1.0])
    assert_reasons(result)


# --------------------------------------------------------------------------- latency / aggregate


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


def test_evaluate_and_slice_by():
    items = [item("q1"), item("u", "unanswerable"), item("c", "conflict")]
    retrieval_only = index_predictions(
        [pred("q1", [hit()]), pred("u", [miss()]), pred("c", [miss()])]
    )
    results = evaluate(items, retrieval_only)
    assert list(results) == ["hit@1", "hit@5", "mrr@10", "ndcg@5"]
    assert results["hit@1"].score == 0.5

    answered = index_predictions(
        [
            pred("q1", [hit()], answer="400元,670元[1]" + DISC, citations=[cite(1, hit().text)]),
            pred("u", [miss()], answer="无法回答。", refused=True),
            pred("c", [miss()], answer="不一致"),
        ]
    )
    full = evaluate(items, answered, embed=lambda texts: np.ones((len(texts), 3)))
    assert set(full) == {
        "hit@1", "hit@5", "mrr@10", "ndcg@5", "key_fact_recall", "all_facts",
        "citation_precision", "source_hit", "disclaimer_rate", "refusal_rate",
        "false_refusal_rate", "conflict_flag_rate", "figure_faithfulness", "rouge_l_f1",
        "semantic_similarity",
    }  # fmt: skip
    assert all(name == r.name for name, r in full.items())
    assert full["refusal_rate"].score == 1.0
    assert full["rouge_l_f1"].score is None  # no references
    assert "semantic_similarity" not in evaluate(items, answered)
    assert "key_fact_recall" not in evaluate(items, answered, answers=False)
    for r in full.values():
        assert_reasons(r)

    sliced = slice_by(items, answered, key=lambda i: i.kind)
    assert list(sliced) == ["answerable", "conflict", "unanswerable"]
    assert sliced["unanswerable"]["hit@1"].score is None
    assert sliced["unanswerable"]["refusal_rate"].score == 1.0
    assert sliced["answerable"]["hit@1"].score == 1.0
    assert sliced["conflict"]["hit@1"].score == 0.0
