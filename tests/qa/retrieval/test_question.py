"""Query understanding: normalisation, small talk, the synonym table and expansion, regions."""

from __future__ import annotations

import json

import pytest

from qa.retrieval.question import (
    QueryInfo,
    analyze_query,
    clean_question,
    normalize_query,
    passage_terms,
    synonym_terms,
)
from qa.text.synonyms import SYNONYMS, SynonymTable, get_synonyms
from tests.conftest import CORPUS, ROOT


@pytest.mark.parametrize(
    ("asked", "normalized"),
    [
        ("醫保碼怎麼激活", "医保码怎么激活"),  # traditional → simplified
        ("異地就醫備案後怎麼報銷?", "异地就医备案后怎么报销"),
        ("ＡＰＰ上１５５００基数扣多少？", "APP上15500基数扣多少"),  # full width → half width
        ("请问医保码怎么激活", "医保码怎么激活"),
        ("我想问一下，医保卡丢了怎么办啊", "医保卡丢了怎么办"),
        ("你好,请问一下医保卡丢了去哪补办呀!", "医保卡丢了去哪补办"),
        ("想知道居民医保几月交呢？？", "居民医保几月交"),
        ("德州社保基数15500,养老保险每月扣多少", "德州社保基数15500 养老保险每月扣多少"),
        ("个人缴8%是多少", "个人缴8%是多少"),
        ("医保吗在微信里怎么开通", "医保码在微信里怎么开通"),  # typo followed by more text
        ("这个能用医保吗", "这个能用医保吗"),  # 医保吗 at the end is a question, not a typo
        ("家庭共记能在支付宝上弄吗", "家庭共济能在支付宝上弄吗"),
    ],
)
def test_normalize_query(asked, normalized):
    assert normalize_query(asked) == normalized


def test_embedding_text_keeps_punctuation_but_drops_fillers():
    assert clean_question("請問，醫保碼怎麼激活啊?") == "医保码怎么激活啊?"
    assert analyze_query("請問，醫保碼怎麼激活啊?").embedding_text == "医保码怎么激活啊?"


def test_analyze_query_fields():
    info = analyze_query("請問合肥小孩醫保一年交多少錢？")
    assert isinstance(info, QueryInfo)
    assert info.original == "請問合肥小孩醫保一年交多少錢？"
    assert info.normalized == "合肥小孩医保一年交多少钱"
    assert {"合肥", "小孩", "医保", "多少"} <= set(info.terms)
    assert set(info.terms) <= set(info.expanded)
    assert {"儿童", "孩子", "缴费"} <= set(info.expanded) - set(info.terms)
    assert info.regions == ("合肥",)
    assert not info.is_small_talk


@pytest.mark.parametrize(
    "text", ["你好", "您好!", "谢谢", "谢谢你", "在吗", "在不在?", "hello", "哈喽"]
)
def test_small_talk_has_no_content(text):
    assert analyze_query(text).is_small_talk


@pytest.mark.parametrize("text", ["你好,医保卡丢了怎么办", "谢谢,那异地就医怎么备案", "医保"])
def test_questions_with_greetings_keep_their_content(text):
    info = analyze_query(text)
    assert not info.is_small_talk and info.content_terms


def test_empty_question():
    info = analyze_query("  ？？ ")
    assert info.normalized == "" and info.terms == () and info.is_small_talk


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
    assert analyze_query(question).regions == regions


# --- the synonym table --------------------------------------------------------------------


def test_synonym_table_loads_and_has_the_core_groups():
    table = SynonymTable.load(SYNONYMS)
    groups = [set(g) for g in table.groups]

    def together(*words: str) -> bool:
        return any(set(words) <= g for g in groups)

    assert together("医保码", "医保电子凭证", "电子医保卡")
    assert together("医保卡", "社保卡")
    assert together("家庭共济", "共济账户", "亲情账户")
    assert together("换参保地", "参保地变更", "转移接续", "医保转移")
    assert together("补交", "补缴")
    assert together("小孩", "孩子", "儿童")
    assert table.one_way["交"] == ("缴费", "缴纳")


def test_every_synonym_occurs_in_the_corpus_or_a_gold_question():
    corpus = "".join(p.read_text("utf-8") for p in sorted(CORPUS.iterdir()) if p.is_file())
    gold = "".join(
        json.loads(line)["question"]
        for line in (ROOT / "eval" / "gold.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    )
    missing = sorted(w for w in get_synonyms().words() if w not in corpus and w not in gold)
    assert not missing, f"synonyms found nowhere: {missing}"


def test_bad_synonym_group_is_rejected(tmp_path):
    path = tmp_path / "syn.toml"
    path.write_text('[[group]]\nterms = ["医保卡"]\n', "utf-8")
    with pytest.raises(ValueError, match="2\\+ distinct"):
        SynonymTable.load(path)


def test_related_and_passage_related_directions():
    table = get_synonyms()
    assert {"医保电子凭证", "电子医保卡"} <= set(table.related("医保码怎么激活"))
    assert "医保码" not in table.related("医保码怎么激活")  # never repeats the question's words
    # one-way: a question saying 交 gains 缴费; a passage saying 缴费 gains 交, not the reverse
    assert "缴费" in table.related("医保在哪交")
    assert "交" in table.passage_related("按时缴费")
    assert "交" not in table.related("按时缴费")


def test_synonym_terms_keep_whole_words_and_drop_single_characters():
    assert synonym_terms(["医保电子凭证"]) == ["医保电子凭证"]
    assert "个" not in synonym_terms(["个账"])


def test_passage_terms_add_synonyms_once():
    terms = passage_terms("补缴城乡居民医保")
    assert "补缴" in terms and "补交" in terms
    assert terms.count("补交") == 1
