"""Answer metrics: hand-computed values on tiny Chinese fixtures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval import answer_metrics as am
from eval.metrics import index_predictions
from tests.eval.conftest import DISC, assert_reasons, cite, hit, item, pred

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


def test_routine_region_and_date_notes_are_not_a_conflict_flag():
    """以当地 / 不同 inside the notes most answers carry do not count as reporting a conflict."""
    from qa.answering.extractive import date_note, region_note

    routine = [
        region_note([["深圳"]], [["深圳"]]),  # 以上数字为深圳的资料,其他地区可能不同。
        region_note([], [["深圳"]], ["汕头"]),  # 资料中没有专门针对汕头 … 请以汕头当地规定为准。
        date_note(["2024-06-01"], True),  # 资料日期 … 请以当地最新规定为准。
    ]
    assert all(routine)
    facts = "一处说400元[1],另一处说380元[2]。"
    items = [item(f"c{i}", "conflict", key_facts=("400元", "380元")) for i in range(4)]
    preds = index_predictions(
        [pred(f"c{i}", answer=facts + note) for i, note in enumerate(routine)]
        + [pred("c3", answer=facts + "注意:不同资料给出的数字不一致。" + str(routine[2]))]
    )
    result = am.conflict_flag_rate(items, preds)
    assert [s.value for s in result.items] == [0.0, 0.0, 0.0, 1.0]


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


def test_figure_faithfulness_skips_the_link_title_a_refusal_names_only():
    title = "资料里关于晋城只有一篇文章的标题《晋城新农合2025年缴费标准出炉》,没有正文。"
    items = [item("q1"), item("q2"), item("q3")]
    preds = index_predictions(
        [
            pred("q1", answer=title + DISC, refused=True),
            pred("q2", answer=title + "每年缴费400元。" + DISC, refused=True),  # its own figure
            pred("q3", answer="标题《2025年标准》[1]", citations=[cite(1, "标准")]),  # answered
        ]
    )
    result = am.figure_faithfulness(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0, 0.0]


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


def test_figure_faithfulness_uses_the_composers_figures():
    """qa.text.figures: digits split by a space or a marker are two figures, not one."""
    items = [item("q1"), item("q2")]
    preds = index_predictions(
        [
            # "1627.5 15500" is two figures; both occur in the cited chunk
            pred("q1", answer="每月约1627.5 15500[1]", citations=[cite(1, "=1627.5 15500 ×")]),
            # "400[1]5" is 400 and 5: 400 is cited, 5 is not
            pred("q2", answer="缴费400[1]5个月", citations=[cite(1, "缴费400元")]),
        ]
    )
    result = am.figure_faithfulness(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.5]
    assert result.items[0].reason == "2/2 figures in cited chunks"
    assert "'5'" in result.items[1].reason
