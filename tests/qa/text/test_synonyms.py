"""The synonym table, query expansion and the terms a passage is indexed under."""

import json

import pytest

from qa.text.synonyms import SYNONYMS, SynonymTable, get_synonyms
from qa.text.tokenizer import passage_terms, synonym_terms
from tests.conftest import CORPUS, ROOT


def test_synonym_table_loads_and_has_the_core_groups():
    table = SynonymTable.load(SYNONYMS)
    groups = [set(g) for g in table.groups]

    def together(*words: str) -> bool:
        return any(set(words) <= g for g in groups)

    assert together("医保码", "医保电子凭证", "电子医保卡")
    assert together("医保卡", "社保卡")
    assert together("家庭共济", "共济账户", "门诊共济")
    assert not together("共济账户", "亲情账户")  # the corpus tells them apart
    assert together("建行", "建设银行")
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
    # someone who cannot use a phone is asking for the in-person route, however it is said
    for said in ("我妈不会用智能手机", "姥爷没有智能手机", "不会弄手机", "不会上网"):
        assert "线下" in table.related(said), said


def test_synonym_terms_keep_whole_words_and_drop_single_characters():
    assert synonym_terms(["医保电子凭证"]) == ["医保电子凭证"]
    assert "个" not in synonym_terms(["个账"])


def test_passage_terms_add_synonyms_once():
    terms = passage_terms("补缴城乡居民医保")
    assert "补缴" in terms and "补交" in terms
    assert terms.count("补交") == 1


def test_variants_are_the_word_then_its_synonyms():
    variants = get_synonyms().variants("补交")
    assert variants[0] == "补交" and "补缴" in variants
    assert get_synonyms().variants("没有这个词") == ("没有这个词",)
