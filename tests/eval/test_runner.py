"""Scoring (``evaluate``, ``slice_by``) and running systems over gold items and conversations."""

from __future__ import annotations

import numpy as np

from eval.conversations import SLICE, load_conversations
from eval.metrics import index_predictions
from eval.runner import (
    ANSWER_METRICS,
    LOWER_IS_BETTER,
    NOT_A_RATE,
    RETRIEVAL_METRICS,
    evaluate,
    run_eval,
    slice_by,
)
from tests.eval.conftest import DISC, TINY_GOLD, assert_reasons, cite, hit, item, miss, pred


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
        "semantic_similarity", "lead_key_fact", "key_fact_gain", "duplicate_sentence_rate",
        "heading_line_rate", "source_order", "body_chars", "body_chars_p90",
    }  # fmt: skip
    assert set(full) == {*RETRIEVAL_METRICS, *ANSWER_METRICS}
    assert LOWER_IS_BETTER <= set(ANSWER_METRICS) and NOT_A_RATE <= set(ANSWER_METRICS)
    assert full["lead_key_fact"].score == 0.5  # "400元,670元" leads; "不一致" does not
    assert full["key_fact_gain"].score == 0.0  # the answer says what the top chunk says
    assert full["duplicate_sentence_rate"].score == 0.0
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
    assert (
        sliced["conflict"]["key_fact_gain"].items[0].reason == "answer 0/2 key facts, top chunk 0/2"
    )
    assert sliced["unanswerable"]["heading_line_rate"].score is None  # refused: not scored


def test_runs_score_each_system(fake_runs):
    assert [run.name for run in fake_runs] == ["yibao", "bm25", "dense"]
    for run in fake_runs:
        assert len(run.predictions) == 3
        assert 0.0 <= run.score("hit@5") <= 1.0
        assert run.metrics["hit@5"].items and all(s.reason for s in run.metrics["hit@5"].items)
        assert "total" in run.latency and run.latency["total"]["p95"] >= run.latency["total"]["p50"]
    assert fake_runs[0].score("hit@5") == 1.0  # both easy questions find their anchor


def test_only_the_system_with_a_history_gets_the_conversation_slice(fake_runs):
    yibao, bm25, dense = fake_runs
    assert set(yibao.by_kind) == {"answerable", "unanswerable", SLICE}
    assert [c.id for c, _ in yibao.dialogues] == ["k1", "k2", "k3"]
    assert set(yibao.conversations) == {
        "answered_when_should", "refused_when_should", "refusal_kind",
        "answered_key_fact_recall", "disclaimer_rate",
    }  # fmt: skip
    # the fake embedder still routes off-topic and uncovered-place questions by rule
    assert yibao.conversations["refused_when_should"].score == 1.0
    assert yibao.conversations["refusal_kind"].score == 1.0
    assert yibao.conversations["disclaimer_rate"].score == 1.0
    for run in (bm25, dense):
        assert set(run.by_kind) == {"answerable", "unanswerable"}
        assert run.dialogues == [] and run.conversations == {}


def test_run_eval_asks_the_shipped_conversations_by_default(fake_systems):
    yibao, bm25, _ = fake_systems
    run = run_eval([yibao], TINY_GOLD[:1])[0]
    assert len(run.dialogues) == len(load_conversations())
    assert run.conversations["answered_when_should"].items
    assert run_eval([bm25], TINY_GOLD[:1], conversations=None)[0].dialogues == []
    assert run_eval([yibao], TINY_GOLD[:1], conversations=())[0].dialogues == []
