"""Readability metrics: hand-computed values on tiny Chinese answers."""

from __future__ import annotations

import pytest

from eval.answers import readability as rd
from eval.gold import CitedPassage
from eval.metrics import index_predictions
from tests.eval.conftest import DISC, assert_reasons, chunk, cite, hit, item, miss, pred

NOTES = (
    "注意:不同资料给出的数字不一致:缴费标准有的为400元[1],有的为380元[2],以当地医保部门核定为准。\n"
    "注意:不同人群、年份标准不同:2025年儿童400元[1];普通居民380元[2]。\n"
    "以上数字为安徽合肥的资料,其他地区可能不同。\n"
    "资料日期:2025-04-29。医保政策每年可能调整,请以当地最新规定为准。"
)


def test_answer_body_drops_disclaimer_notes_and_markers():
    answer = f"个人缴费400元[1]。\n一、步骤\n\n{NOTES}\n\n{DISC}"
    assert rd.answer_body(answer) == "个人缴费400元。\n一、步骤"
    assert rd.answer_body(answer, markers=True) == "个人缴费400元[1]。\n一、步骤"
    assert rd.sentences("先下载。再激活;后绑定\n三、注意事项") == [
        "先下载。",
        "再激活;后绑定",
        "三、注意事项",
    ]


def test_duplicate_sentence_rate():
    items = [item(f"q{i}") for i in range(5)]
    preds = index_predictions(
        [
            # equal compact forms (the bullet and the marker do not count)
            pred("q0", answer="每人每年缴费400元。[1]\n• 每人每年缴费400元。[2]\n\n" + DISC),
            # "参保人每年需缴费四百元整" (12 chars) inside a longer sentence
            pred("q1", answer="参保人每年需缴费四百元整。本地参保人每年需缴费四百元整。"),
            # 11 chars contained: too short to count
            pred("q2", answer="参保人每年缴费四百元整。本地参保人每年缴费四百元整。"),
            # only the trust note and the disclaimer repeat the figure
            pred("q3", answer=f"缴费标准为400元[1]。\n\n{NOTES}\n\n{DISC}\n{DISC}"),
            pred("q4", answer="无法回答。\n无法回答。", refused=True),  # refused: not scored
        ]
    )
    result = rd.duplicate_sentence_rate(items, preds)
    assert [(s.item_id, s.value) for s in result.items] == [
        ("q0", 1.0), ("q1", 1.0), ("q2", 0.0), ("q3", 0.0)
    ]  # fmt: skip
    assert result.score == 0.5
    assert "repeated as" in result.items[0].reason
    assert_reasons(result)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("二、线下激活方式[3]", True),
        ("1. 国家医保服务平台APP激活[2]", True),
        ("激活时效 :[1]", True),
        ("  • 线上办理[4]", True),
        ("[5]", True),
        ("激活时效 :医保卡首次使用即可激活。[1]", False),
        ("高档:1030元/年[1]", False),
        ("支付宝搜索医保码后点击刷脸激活即可完成[1]", False),
        ("1. 下载APP,完成实名认证[1]", False),
        ("每人每年400元。[1]", False),
    ],
)
def test_is_heading(line, heading):
    assert rd.is_heading(line) is heading


def test_heading_line_rate():
    items = [item(f"q{i}") for i in range(5)]
    preds = index_predictions(
        [
            pred("q0", answer="一、线上激活方式[1]\n下载APP后刷脸激活。[2]"),
            pred("q1", answer="下载APP后刷脸激活。[1]"),
            pred("q2", answer="下载APP后刷脸激活。"),  # no cited line
            pred("q3", answer="一、线上激活方式\n下载APP后刷脸激活。[1]"),  # heading not cited
            pred("q4", answer="二、线下[1]", refused=True),
        ]
    )
    result = rd.heading_line_rate(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0, 0.0, 0.0]
    assert result.score == 0.25
    assert result.items[0].reason == "1/2 cited lines are headings: '一、线上激活方式[1]'"
    assert result.items[2].reason == "0 cited lines, none a heading"


def test_lead_key_fact():
    items = [item(f"q{i}") for i in range(5)] + [item("u", "unanswerable")]
    preds = index_predictions(
        [
            pred("q0", answer="个人缴费400元[1]。\n\n财政补助670元[2]。"),
            pred("q1", answer="缴费标准如下\n个人缴费400元。"),  # the lead ends at the line break
            pred("q2", answer="无法回答,个人缴费400元。", refused=True),
            pred("q3", answer="财政补助670元,个人缴费400元。"),
            pred("q4", answer="一、缴费标准[1]\n\n" + DISC),
            pred("u", answer="个人缴费400元。"),
        ]
    )
    result = rd.lead_key_fact(items, preds)
    assert [s.value for s in result.items] == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert result.score == pytest.approx(0.4)
    assert result.items[2].reason == "refused"
    assert result.items[3].reason == "lead holds '400元'"
    assert "缴费标准如下" in result.items[1].reason


def test_key_fact_gain():
    items = [item(f"q{i}") for i in range(4)] + [item("u", "unanswerable")]
    preds = index_predictions(
        [
            pred("q0", [hit()], answer="400元,670元"),  # 2/2 − 2/2 = 0
            pred("q1", [miss(), hit()], answer="400元"),  # 1/2 − 0/2 (only rank 1 counts)
            pred("q2", [hit()], answer="无法回答。", refused=True),  # 0/2 − 2/2 = −1
            pred("q3", [], answer="400元,670元"),  # nothing retrieved: 2/2 − 0
            pred("u", [hit()], answer="x"),
        ]
    )
    result = rd.key_fact_gain(items, preds)
    assert [s.value for s in result.items] == [0.0, 0.5, -1.0, 1.0]
    assert result.score == pytest.approx(0.125)
    assert result.items[2].reason == "answer 0/2 key facts, top chunk 2/2"


SOURCE = "第一步下载APP。\n第二步刷脸认证。\n第三步绑定家人。"


def _same(*ns):
    return [cite(n, SOURCE) for n in ns]


def test_source_order():
    items = [item(f"q{i}") for i in range(8)]
    preds = index_predictions(
        [
            pred("q0", answer="第一步下载APP。[1]\n第二步刷脸认证。[2]\n第三步绑定家人。[3]",
                 citations=_same(1, 2, 3)),  # 2/2
            pred("q1", answer="第三步绑定家人。[1]\n第一步下载APP。[2]\n第二步刷脸认证。[3]",
                 citations=_same(1, 2, 3)),  # 1/2
            # a two-line unit starting at 第二步, then 第一步: 0/1
            pred("q2", answer="第二步刷脸认证。\n第三步绑定家人。[1]\n第一步下载APP。[2]",
                 citations=_same(1, 2)),
            # the lead is its own paragraph: no pair
            pred("q3", answer="第三步绑定家人。[1]\n\n第一步下载APP。[2]", citations=_same(1, 2)),
            # a unit not found in the source: no pair
            pred("q4", answer="第二步刷脸认证。[1]\n第四步完成。[2]", citations=_same(1, 2)),
            # different sources: no pair
            pred("q5", answer="第二步刷脸认证。[1]\n第一步。[2]",
                 citations=[cite(1, SOURCE), cite(2, "第一步。")]),
            pred("q6", answer="第三步绑定家人。[1]\n第一步下载APP。[2]", citations=_same(1, 2),
                 refused=True),
            # one document cited as chunk + quote: compared in the first text holding both;
            # [3] is another chunk of it, holding only 第四步: that pair is left out
            pred("q7", answer="第二步刷脸认证。[1]\n第三步绑定家人。[2]\n第四步完成。[3]",
                 citations=[CitedPassage(1, f"{SOURCE}\n第二步刷脸认证。", "a.md", "d1"),
                            CitedPassage(2, f"{SOURCE}\n第三步绑定家人。", "a.md", "d1"),
                            CitedPassage(3, "下一节\n第四步完成。", "a.md", "d1")]),
        ]
    )  # fmt: skip
    result = rd.source_order(items, preds)
    assert [(s.item_id, s.value) for s in result.items] == [
        ("q0", 1.0), ("q1", 0.5), ("q2", 0.0), ("q7", 1.0)
    ]  # fmt: skip
    assert result.items[3].reason == "1/1 adjacent same-source pairs in source order"
    assert result.score == pytest.approx(2.5 / 4)
    assert result.items[1].reason.startswith("1/2 adjacent same-source pairs in source order")
    assert "第一步下载APP。' [2] comes first" in result.items[1].reason
    assert rd.quoted_units("甲。[1]\n乙\n丙。[2]\n尾巴\n\n丁[3]") == [
        [(1, "甲。"), (2, "乙\n丙。")],
        [(3, "丁")],
    ]


def test_body_chars_mean_and_p90():
    items = [item(f"q{i}") for i in range(4)] + [item("u", "unanswerable")]
    preds = index_predictions(
        [
            pred("q0", answer=f"个人缴费400元[1]。\n\n{DISC}"),  # 9
            pred("q1", answer=f"一、步骤\n  • 下载 APP。[1]\n\n{NOTES}"),  # 一、步骤•下载APP。 = 11
            pred("q2", answer="无法回答。", refused=True),
            pred("q3", answer="字" * 100),
            pred("u", answer="", retrieved=[chunk("x")]),  # empty answer: 0 characters
        ]
    )
    mean, p90 = rd.body_chars(items, preds), rd.body_chars_p90(items, preds)
    assert [s.value for s in mean.items] == [9.0, 11.0, 100.0, 0.0]
    assert mean.score == 30.0
    # sorted 0, 9, 11, 100: rank 0.9·3 = 2.7 → 11 + 0.7·(100 − 11) = 73.3
    assert p90.score == pytest.approx(73.3)
    assert p90.items == mean.items and mean.items[0].reason == "9 characters"
    assert rd.body_chars_p90(items, {}).score is None
