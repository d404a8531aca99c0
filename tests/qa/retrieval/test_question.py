"""Question understanding: one Question per question, follow-ups resolved first."""

import pytest

from qa.retrieval.question import understand
from qa.types import Question


def test_embedding_text_keeps_punctuation_but_drops_fillers():
    assert understand("請問，醫保碼怎麼激活啊?").embedding_text == "医保码怎么激活啊?"


def test_understood_question_fields():
    info = understand("請問合肥小孩醫保一年交多少錢？")
    assert isinstance(info, Question)
    assert info.asked == info.standalone == "請問合肥小孩醫保一年交多少錢？"
    assert info.text == "合肥小孩医保一年交多少钱" and info.intent == "insurance"
    assert info.asks_local and not info.follow_up
    assert {"合肥", "小孩", "医保", "多少"} <= set(info.terms)
    assert set(info.terms) <= set(info.expanded)
    assert {"儿童", "孩子", "缴费"} <= set(info.expanded) - set(info.terms)
    assert info.regions == ("合肥",)
    assert not info.is_small_talk


@pytest.mark.parametrize(
    "text", ["你好", "您好!", "谢谢", "谢谢你", "在吗", "在不在?", "hello", "哈喽"]
)
def test_small_talk_has_no_content(text):
    assert understand(text).is_small_talk


@pytest.mark.parametrize("text", ["你好,医保卡丢了怎么办", "谢谢,那异地就医怎么备案", "医保"])
def test_questions_with_greetings_keep_their_content(text):
    info = understand(text)
    assert not info.is_small_talk and info.content_terms


def test_empty_question():
    info = understand("  ？？ ")
    assert info.text == "" and info.terms == () and info.is_small_talk


@pytest.mark.parametrize(
    ("question", "regions"),
    [
        ("德州社保基数15500每月扣多少", ("德州",)),
        ("安徽合肥儿童医保多少钱", ("合肥", "安徽")),
        ("泰州医保去上海看病能报多少", ("泰州", "上海")),
        ("医保码怎么激活", ()),
    ],
)
def test_regions_of_the_question(question, regions):
    assert understand(question).regions == regions
