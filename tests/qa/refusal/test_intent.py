"""Intent routing: 医保 questions, medical advice, greetings and everything else."""

from __future__ import annotations

import pytest

from eval.gold import load_gold, split_items
from qa.refusal.intent import classify_intent, load_vocabulary

GOLD = split_items(load_gold(), "all")

#: Expected intent of every unanswerable gold question.
UNANSWERABLE = {
    "q097": "insurance",  # 北京门诊报销起付线 (not in the corpus)
    "q098": "insurance",  # 生育津贴
    "q099": "insurance",  # 个人账户取现金
    "q100": "medical",  # 鹤壁嘴角开裂去哪家医院
    "q101": "medical",  # 腋下疼 去哪个医院
    "q102": "medical",  # 排尿困难 前列腺
    "q103": "medical",  # 头疼 吃什么药
    "q104": "medical",  # 小孩发烧 要不要去医院
    "q105": "insurance",  # 郑州断交补交
    "q106": "insurance",  # 西安退休缴费年限
    "q107": "insurance",  # 东莞农村医保
    "q108": "insurance",  # 黄石医保卡
    "q109": "insurance",  # 晋城新农合
    "q110": "insurance",  # 电子医保卡报销比例
    "q111": "insurance",  # 失业金
    "q112": "insurance",  # 门诊慢特病
    "q113": "insurance",  # 布洛芬 药品目录
    "q114": "insurance",  # 长期护理保险
    "q115": "offtopic",  # 个税起征点
    "q116": "insurance",  # 医保卡密码
    "q117": "greeting",  # 你好
    "q118": "offtopic",  # 天气
    "q119": "offtopic",  # 股票
    "q120": "offtopic",  # 写诗
    "q121": "insurance",  # 工伤认定
}


def test_every_unanswerable_gold_question_has_an_expected_intent():
    ids = {it.id for it in GOLD if it.kind == "unanswerable"}
    assert ids == set(UNANSWERABLE)


@pytest.mark.parametrize("item", [it for it in GOLD if it.kind == "unanswerable"], ids=str)
def test_unanswerable_gold_questions(item):
    assert classify_intent(item.question) == UNANSWERABLE[item.id]


def test_all_answerable_and_conflict_gold_questions_are_insurance():
    wrong = [
        (it.id, it.question, classify_intent(it.question))
        for it in GOLD
        if it.kind != "unanswerable" and classify_intent(it.question) != "insurance"
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        "医保码咋激活",
        "医保能报销哪些药",
        "住院报销比例是多少",
        "发烧住院医保能报销吗",
        "异地就医去哪家医院能报销",
        "家庭共记能在支付宝上弄吗",  # typo of 共济
        "德州15800这个基数算高档还是低档",
        "张家口城乡居民养老保险能补缴吗",
        "失业金怎么申请",
        "工伤认定一般要多久",
        "布洛芬在不在医保药品目录里",
        "你好,请问医保码怎么激活",
        "国家医保服务平台ＡＰＰ怎么激活医保码？",  # full-width letters and punctuation
        "支付宝里的市民中心在哪打开",  # the channel the corpus names for 医保 services
        "廊坊9600到底是第几档",  # the contribution grade of a 基数
        "交完费一查啥记录都没有 是没交上吗",  # paying, without the word 交费
        "绑完以后家里人去看病 钱咋扣",  # binding, without the word 绑定
    ],
)
def test_insurance(text):
    assert classify_intent(text) == "insurance"


@pytest.mark.parametrize(
    "text",
    [
        "鹤壁嘴角开裂去哪家医院",
        "2025年河南鹤壁出现腋下疼痛去哪家医院好",
        "我在郑州,发烧三天了怎么办",
        "咳嗽老不好是怎么回事",
        "头疼吃什么药医保能报",  # asks for a drug: medical despite 医保
        "胃疼挂什么科",
        "高血压用药量怎么调整",
        "化验单上白细胞高严重吗",
        "北京哪个医院好",
    ],
)
def test_medical(text):
    assert classify_intent(text) == "medical"


@pytest.mark.parametrize(
    "text",
    ["你好", "您好!", "在吗?", "谢谢你呀", "hello", "Hi", "早上好", "你是谁", "   ", "?"],
)
def test_greeting(text):
    assert classify_intent(text) == "greeting"


@pytest.mark.parametrize(
    "text",
    [
        "今天合肥天气怎么样",
        "茅台股票现在能买吗",
        "帮我写一首关于春天的诗",
        "2025年个税起征点是多少",
        "你好,今天天气怎么样",  # a greeting with a real off-topic question
        "车险怎么买最便宜",
    ],
)
def test_offtopic(text):
    assert classify_intent(text) == "offtopic"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你们能帮我交医保吗", "service"),  # the assistant transacts nothing
        ("帮我查下医保交没交", "service"),
        ("能帮我激活医保码吗", "service"),
        ("麻烦替我办一下异地就医备案", "service"),
        ("帮我查一下怎么交医保", "insurance"),  # asks how: answered
        ("你能帮我看看医保码怎么激活吗", "insurance"),
        ("我妈让我帮她交医保,在哪交", "insurance"),  # not a request to the assistant
    ],
)
def test_a_request_to_act_is_service_and_a_how_to_is_not(text, intent):
    assert classify_intent(text) == intent


def test_vocabulary_is_data_with_synonyms():
    vocab = load_vocabulary()
    assert "医保" in vocab.insurance and "起付线" in vocab.concepts
    assert "起付线" in vocab.insurance  # concepts count for intent too
    assert "补缴" in vocab.variants("补交") and vocab.variants("未知词") == ("未知词",)
    assert "多少" in vocab.local_cues and "医保" in vocab.generic
