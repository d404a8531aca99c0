"""Follow-up questions inherit the topic or swap the place of the previous user turn."""

import pytest

from qa.retrieval.followups import contextualize, needs_context
from qa.types import Turn

NANNING = [Turn("user", "南宁居民医保怎么交"), Turn("assistant", "可以通过爱南宁APP缴费。")]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("合肥呢", "合肥居民医保怎么交"),
        ("那广州的呢", "广州居民医保怎么交"),
        ("换成天津", "天津居民医保怎么交"),
        ("那线下怎么办", "南宁居民医保怎么交 线下怎么办"),
        ("需要什么材料", "南宁居民医保怎么交 需要什么材料"),
        ("绑我儿子有啥要求", "南宁居民医保怎么交 绑我儿子有啥要求"),  # names no 医保 itself
        ("用支付宝能交吗", "南宁居民医保怎么交 用支付宝能交吗"),  # a channel, nothing of its own
    ],
)
def test_follow_ups_are_resolved(question, expected):
    assert contextualize(question, NANNING) == expected


@pytest.mark.parametrize(
    "question",
    [
        "医保码怎么激活",
        "家庭共济怎么绑定",
        "异地就医备案怎么办理",
        # a new question in the same chat, its topic a one-character verb (丢 / 转 / 绑)
        "医保卡丢了怎么办",
        "转医保要多久能办好",
        "老婆的医保能和我的绑一起用吗",
        # only channel / family / generic words, but something done with a 医保 thing
        "微信上怎么给爸妈交医保",
        "医保码在支付宝里怎么弄出来",
    ],
)
def test_standalone_questions_are_untouched(question):
    assert not needs_context(question)
    assert contextualize(question, NANNING) == question


def test_three_turn_dialogue_keeps_topic_through_a_chain():
    history = [
        Turn("user", "医保码怎么激活"),
        Turn("assistant", "可以在国家医保服务平台APP激活[1]。"),
        Turn("user", "那线下怎么办"),
        Turn("assistant", "携带身份证到医保经办机构[1]。"),
    ]
    assert contextualize("需要带什么", history) == "医保码怎么激活 线下怎么办 需要带什么"


def test_region_swap_in_a_three_turn_dialogue():
    history = [
        Turn("user", "南宁城乡居民医保一年交多少钱"),
        Turn("assistant", "…"),
        Turn("user", "合肥呢"),
        Turn("assistant", "…"),
    ]
    assert contextualize("那天津呢", history) == "天津城乡居民医保一年交多少钱"


def test_assistant_text_is_never_copied_and_history_is_bounded():
    history = [Turn("assistant", "合肥居民医保400元")]
    assert contextualize("那线下怎么办", history) == "那线下怎么办"
    long_history = [Turn("user", "医保码怎么激活")] + [Turn("user", "你好")] * 10
    assert contextualize("那线下怎么办", long_history, max_turns=2) == "你好 线下怎么办"


def test_no_history_returns_question():
    assert contextualize("合肥呢", []) == "合肥呢"


def test_turns_from_records_validates_roles():
    from qa.types import turns_from_records

    turns = turns_from_records([{"role": "user", "content": "合肥呢"}, {"role": "assistant"}])
    assert turns == [Turn("user", "合肥呢"), Turn("assistant", "")]
    assert turns_from_records(None) == []
    with pytest.raises(ValueError, match="第 2 条"):
        turns_from_records([{"role": "user", "content": "x"}, {"role": "system", "content": "y"}])
