"""Tests for qa.text.tokenizer: user dictionary, stopwords, normalisation, search mode."""

from __future__ import annotations

import pytest

from qa.text.tokenizer import (
    STOPWORDS,
    ChineseTokenizer,
    get_tokenizer,
    tokenizer_signature,
)


@pytest.fixture(scope="module")
def tok() -> ChineseTokenizer:
    return get_tokenizer()


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("医保码怎么激活", "医保码"),
        ("怎样设置医保家庭共济账户", "家庭共济"),
        ("怎样设置医保家庭共济账户", "共济账户"),
        ("异地就医备案需要什么材料", "异地就医备案"),
        ("普通人怎么交城乡居民医保", "城乡居民医保"),
        ("下载国家医保服务平台APP", "国家医保服务平台"),
        ("激活医保电子凭证后扫码就医", "医保电子凭证"),
        ("更换参保地需要停保吗", "参保地"),
        ("灵活就业人员的缴费基数", "缴费基数"),
        ("补缴后待遇等待期是3个月", "待遇等待期"),
        ("中断缴费超过3个月", "中断缴费"),
        ("拨打12333咨询", "12333"),
    ],
)
def test_user_dictionary_terms_stay_whole(tok: ChineseTokenizer, text: str, term: str) -> None:
    assert term in tok.tokenize(text)


def test_search_mode_shares_sub_words_across_term_variants(tok: ChineseTokenizer) -> None:
    long_form = set(tok.tokenize("城乡居民医保"))
    assert {"城乡居民医保", "居民医保", "居民", "医保"} <= long_form
    assert {"居民医保", "居民", "医保"} <= set(tok.tokenize("居民医保")) & long_form


def test_stopwords_and_punctuation_are_dropped(tok: ChineseTokenizer) -> None:
    tokens = tok.tokenize("请问,我的医保卡怎么激活呢?「急」!!")
    assert "医保卡" in tokens and "激活" in tokens
    for word in ("请问", "我", "的", "怎么", "呢", ",", "?", "!", "「", "」"):
        assert word not in tokens
    assert tok.tokenize("，。！？、;:()【】《》“”——…") == []


def test_stopword_list_is_modest_and_keeps_domain_and_question_words() -> None:
    words = {w.strip() for w in STOPWORDS.read_text(encoding="utf-8").splitlines()}
    for kept in ("医保", "报销", "缴费", "多少", "哪里", "不", "没", "你好"):
        assert kept not in words


def test_full_width_forms_are_normalised(tok: ChineseTokenizer) -> None:
    assert tok.tokenize("１２３３３") == ["12333"]
    assert tok.tokenize("ＡＰＰ") == ["app"]
    assert tok.tokenize("拨打１２３９３") == tok.tokenize("拨打12393")


def test_numbers_and_ascii_words_are_kept(tok: ChineseTokenizer) -> None:
    tokens = tok.tokenize("个人缴费比例0.0173%,每月1627.5元,下载APP")
    assert {"0.0173%", "1627.5", "app"} <= set(tokens)


def test_greeting_is_kept_but_is_not_a_domain_word(tok: ChineseTokenizer) -> None:
    assert tok.tokenize("你好") == ["你好"]
    assert tok.tokenize("你好!") == ["你好"]
    assert "你好" not in tok.user_terms


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "的了吗"])
def test_empty_or_stopword_only_gives_no_tokens(tok: ChineseTokenizer, text: str) -> None:
    assert tok.tokenize(text) == []


def test_deterministic_and_tokenize_many(tok: ChineseTokenizer) -> None:
    texts = ["职工医保个人账户的钱能给家人用吗", "", "异地就医备案后怎么就医"]
    first = tok.tokenize_many(texts)
    assert first == [tok.tokenize(t) for t in texts]
    assert first == ChineseTokenizer().tokenize_many(texts)
    assert first[1] == []


def test_own_jieba_instance_and_cached_singleton(tok: ChineseTokenizer) -> None:
    import jieba

    assert get_tokenizer() is tok
    tok.tokenize("医保码")
    assert tok._jieba is not None and tok._jieba is not jieba.dt


def test_signature_is_stable() -> None:
    assert tokenizer_signature() == tokenizer_signature()
    assert len(tokenizer_signature()) == 16


class CountingTerms(frozenset):
    """The user terms, counting the membership tests made on them."""

    def __contains__(self, item: object) -> bool:
        self.lookups = getattr(self, "lookups", 0) + 1
        return super().__contains__(item)


def test_terms_inside_a_long_token_are_looked_up_in_linear_work() -> None:
    tok = ChineseTokenizer()
    tok.user_terms = terms = CountingTerms(tok.user_terms)
    tokens = tok.tokenize("城乡居民医保 " + "x" * 3_000)  # one 3000-character ASCII token
    assert "居民医保" in tokens and "x" * 3_000 in tokens
    assert terms.lookups < 100 * 3_000  # every sub-string of the token: 4.5 million


@pytest.mark.parametrize(
    ("asked", "respelled"),
    [
        # a slip jieba cannot segment, read like one domain term
        ("医保卡领回来一直放着没机活,会不会过期作废", "医保卡领回来一直放着没激活,会不会过期作废"),
        ("异地就医被案怎么弄", "异地就医备案怎么弄"),
        ("社保基树多少", "社保基数多少"),
        # known words, particles and question words stay (共计 ≠ 共济, 交哪 ≠ 缴纳, 医保吗)
        ("共计多少钱", "共计多少钱"),
        ("交哪几种险", "交哪几种险"),
        ("能用医保吗", "能用医保吗"),
        ("第一次交居民医保先得在哪登记", "第一次交居民医保先得在哪登记"),
        # two known words reading like a longer term, neither a term itself
        ("家庭共计弄好了到底有啥好处", "家庭共济弄好了到底有啥好处"),
        ("中间断了四个月医保", "中间断了四个月医保"),  # 月 + 医保 is not 粤医保
        ("查医保交费记录下一步点啥", "查医保交费记录下一步点啥"),  # 交费 is a term already
    ],
)
def test_pinyin_slips_are_respelled_as_the_term_they_sound_like(asked, respelled):
    assert get_tokenizer().respell(asked) == respelled
