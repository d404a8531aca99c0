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


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("医保码咋激活", "how"),
        ("换参保地要带什么材料", "materials"),
        ("合肥居民医保一年交多少钱", "amount"),
        ("居民医保几月交", "time"),
        ("异地就医备案多久能办好", "time"),
        ("医保码能在微信激活吗", "yesno"),
        ("医保卡丢了去哪补办", "where"),
        ("医保咨询热线是多少", "where"),
        ("国家社会保险公共服务平台网址是多少", "where"),  # an address, not an amount
        ("失业保险个人交几个点", "amount"),
        ("家庭共济能绑几个人", "amount"),  # a number of people
        ("怎么查医保交了多少钱", "how"),  # looking something up, not an amount
        ("在哪看医保缴费记录", "how"),
        ("居民医保的缴费时间是几月到几月", "time"),
        ("公司欠了医保没交,这段时间看病谁出钱", "other"),  # 这段时间 is no "when"
        ("错过居民医保交费时间了还能补交吗", "yesno"),  # asks whether, not when
        ("医保断了一个月没交会怎样", "other"),  # what happens, not how to do it
        ("医保卡想去窗口激活,要带些什么", "materials"),
        ("点进家庭成员绑定以后要填什么", "other"),  # ends in 么 but asks what, not whether
        ("家庭共济的钱能给老婆付产检的费用吗", "yesno"),  # whether it pays, not how much
        ("住院费用能报多少", "amount"),
        ("居民医保每年啥时候交", "time"),  # 啥时候 = 什么时候
        ("异地就医备案办一次能管多久,过期了要重新备案吗", "yesno"),  # a later clause asks whether
        ("我去年交的居民医保,到底从啥时候开始能报销", "time"),
        ("到了医院能当场激活不?", "yesno"),  # 不 / 没 at the end asks whether
        ("居民医保有个人账户没", "yesno"),
        ("钱刚付完一查啥也没有,是不是没交成功", "yesno"),
        ("是不是得跟着改参保地,要咋弄", "how"),  # 是不是 not in the last clause
        ("看大病还有啥额外补助没", "other"),  # asks what there is, not whether
        ("查缴费记录有几种办法", "how"),  # 办法 / 途径 ask how, like 方法
        ("你好", "other"),
    ],
)
def test_question_kind_says_what_the_answer_should_lead_with(question, kind):
    assert understand(question).kind == kind


def test_another_place_without_a_treatment_is_no_question_across_places():
    assert not understand("人在外地回不去,医保卡还有啥办法激活").cross_region
    assert not understand("老家的医保怎么交").cross_region
    assert not understand("医保能转到外地吗").cross_region  # no place named: nothing to refuse
    assert not understand("郑州的医保能转吗").cross_region


def test_a_question_across_two_places_is_not_a_local_one():
    across = understand("我在深圳交的医保去广州看病能报多少")
    assert across.cross_region and not across.asks_local
    assert {"异地就医", "备案"} <= set(across.expanded)
    local = understand("山东德州社保基数是多少")
    assert not local.cross_region and local.asks_local


@pytest.mark.parametrize(
    ("asked", "about", "not_about"),
    [
        ("我从苏州调到南京工作,医保怎么转过去", "参保地变更", "异地就医"),
        ("我在深圳参保,现在去广州上班了,医保要怎么办", "参保地变更", "异地就医"),
        ("在深圳交的医保去广州看病能报吗", "异地就医", "参保地变更"),
        ("从苏州搬到南京了,在南京住院能报吗", "异地就医", "参保地变更"),  # treated there
        ("我爸在老家参保,来我这边看病能报吗", "异地就医", "参保地变更"),  # no place named
        ("郑州的医保能转到外地吗", "参保地变更", "异地就医"),  # one place, moving elsewhere
    ],
)
def test_a_question_across_two_places_moves_or_is_treated(asked, about, not_about):
    question = understand(asked)
    assert question.cross_region
    assert about in question.key_terms and about in question.embedding_text
    assert not_about not in question.key_terms


@pytest.mark.parametrize(
    ("asked", "topic"),
    [
        ("去哪能打印个人社保参保证明", "参保证明"),  # 参保|证明: no 证 glued on twice
        ("北京门诊起付线是多少", "北京门诊起付线"),
    ],
)
def test_topic_names_what_is_asked_without_doubling_a_character(asked, topic):
    assert topic in understand(asked).topic
    assert "证证" not in understand(asked).topic


@pytest.mark.parametrize(
    ("question", "looks_up"),
    [
        ("泰州医保去南京看病能报多少", False),  # 看病 is no lookup
        ("医保缴费记录在哪看", True),
        ("微信能查医保缴费明细吗", True),
    ],
)
def test_seeing_a_doctor_is_not_looking_something_up(question, looks_up):
    assert understand(question).looks_up is looks_up


@pytest.mark.parametrize(
    ("asked", "topic"),
    [
        ("北京医保一年交多少", "北京医保"),  # a period is no topic; the scheme names it
        ("上海医保每个月扣多少", "上海医保"),
        ("汕头城乡居民医保一年交多少钱", "汕头城乡居民医保"),
        ("北京门诊报销起付线是多少", "北京门诊起付线"),
    ],
)
def test_a_period_is_not_the_topic(asked, topic):
    assert understand(asked).topic == topic


def test_asking_for_a_percentage_is_no_key_term():
    """百分之多少 asks for a ratio: the corpus states 50%-70%, never the words 百分之."""
    assert understand("本溪的大病保险能报销百分之多少").key_terms == ("大病保险",)
    assert "产检" in understand("家庭共济的钱能给老婆付产检的费用吗").key_terms  # one word


@pytest.mark.parametrize(
    ("asked", "keys"),
    [
        ("新农合在哪交", ("新农合",)),
        ("医保码咋弄", ("医保码",)),
        ("医保卡丢了去哪里补办", ("补办",)),
    ],
)
def test_a_question_word_glued_to_a_verb_is_no_key_term(asked, keys):
    """jieba's HMM reads 在哪交 as 在 / 哪交: no passage says 哪交, so as a key term it made
    新农合在哪交 a refusal; a dictionary word (哪里) is no key term either (a stopword)."""
    assert understand(asked).key_terms == keys


def test_that_part_is_no_key_term():
    """那块 points back at an item (医保那块扣多少, a follow-up): as a key term the amount check
    refused the answer for naming no 那块."""
    assert understand("医保那块扣多少").key_terms == ()


@pytest.mark.parametrize("asked", ["居民医保交了之后什么时候能用", "居民医保交了以后多久能用"])
def test_after_is_no_key_term(asked):
    """之后 / 以后 only order events: as a key term it kept the 待遇等待期 passage out of the
    answer (no passage says 之后), and the question was refused as stating no time."""
    assert understand(asked).key_terms == ("居民医保",)


@pytest.mark.parametrize(
    ("asked", "kin"), [("能给我爸交医保吗", "我爸"), ("我的医保卡能给我妈看病用吗", "我妈")]
)
def test_a_parent_after_gei_is_one_word(asked, kin):
    """给我爸交 was cut 给我 / 爸交: a key term no passage holds, and no 我爸 for its synonyms."""
    terms = understand(asked).key_terms
    assert kin in terms and not any(len(t) == 2 and t[0] in "爸妈" for t in terms)
