"""The normaliser family: fold, compact, bigrams and the question normalisers."""

import pytest

from qa.text.normalize import (
    char_bigrams,
    clean_question,
    compact,
    fold,
    normalize_question,
    shown_text,
    spell_numbers,
    spell_out,
)


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
def test_normalize_question(asked, normalized):
    assert normalize_question(asked) == normalized


def test_embedding_text_keeps_punctuation_but_drops_fillers():
    assert clean_question("請問，醫保碼怎麼激活啊?") == "医保码怎么激活啊?"


def test_normalize_question_is_idempotent_on_cleaned_text():
    cleaned = clean_question("请问，醫保碼怎麼激活啊?")
    assert normalize_question(cleaned) == normalize_question("请问，醫保碼怎麼激活啊?")


def test_fold_compact_and_bigrams():
    assert fold("  ＡＰＰ医保 ") == "app医保"
    assert compact("医保 码，Ａ!") == "医保码a"
    assert char_bigrams("医保,码") == frozenset({"医保", "保码"})
    assert char_bigrams("医") == frozenset()


@pytest.mark.parametrize(
    ("asked", "spelled"),
    [
        ("去年医保忘交了还能补吗", "去年医保忘交了还能补缴吗"),
        ("居民医保断了可以补不", "居民医保断了可以补不"),  # no 交/缴: could be anything
        ("医保没交上,能补交吗", "医保没交上,能补交吗"),  # already spelled out
        ("交了医保的卡丢了还能补办吗", "交了医保的卡丢了还能补办吗"),  # 补办 is another word
        ("漏交的医保还能再补吗", "漏交的医保还能再补缴吗"),
    ],
)
def test_a_bare_make_up_in_a_question_about_paying_is_spelled_out(asked, spelled):
    assert spell_out(asked) == spelled
    assert clean_question(asked) == spelled


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("德州基数一万五千七养老扣多少", "德州基数15700养老扣多少"),
        ("工资九千五按基数交", "工资9500按基数交"),
        ("一万五千五", "15500"),
        ("两千", "2000"),
        ("九千五百", "9500"),
        ("基数一万五", "基数15000"),
        # ranges, idioms and small numbers stay as said
        ("基数一万五六左右", "基数一万五六左右"),
        ("千万别断交", "千万别断交"),
        ("万一断交了", "万一断交了"),
        ("我爸七十多了", "我爸七十多了"),
    ],
)
def test_sums_said_in_words_are_written_in_digits(said, written):
    assert spell_numbers(said) == written
    assert written in clean_question(said)


def test_a_formula_rendered_three_times_is_shown_once():
    """The page's math renderer wrote each formula spaced, as TeX and plain: shown once."""
    triple = "即15700 × 8 % = 1256 15700 \\times 8\\% = 1256 15700 × 8% = 1256 元,另外"
    assert shown_text(triple) == "即15700 × 8% = 1256 元,另外"
    cut = "即15800 × 0.08 = 1264 15800 \\times 0.08 = 1264 15800 ×"  # a preview cut off
    assert shown_text(cut) == "即15800 × 0.08 = 1264"
    assert shown_text("  每月 1705元\n 含 8% ") == "每月 1705元 含 8%"  # spaces folded only
    assert shown_text("A = 12 B = 12 C") == "A = 12 B = 12 C"  # no TeX: kept
    assert shown_text("公式 $$ \\text{基础养老金} =……") == "公式 基础养老金 =……"  # display math
