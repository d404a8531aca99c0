"""Figures in answer text and whether cited quotes support them."""

import pytest

from qa.text import figures
from qa.text.figures import extract_figures, figure_supported, unsupported_figures


def test_extracts_numbers_decimals_percentages_and_ranges():
    text = "个人缴费400元,失业保险0.3%,比例16%~20%,工资的60%-300%,约1627.5元"
    assert extract_figures(text) == ["400", "0.3%", "16%~20%", "60%-300%", "1627.5"]


def test_ignores_markers_and_normalises_width_and_separators():
    assert extract_figures("热线１２３３３[1],个人缴费４００元[12]") == ["12333", "400"]
    assert extract_figures("基数15,500元") == ["15500"]
    assert extract_figures("15500 × ( 8 % + 2 % )") == ["15500", "8%", "2%"]
    assert extract_figures("= 1627.5 15500") == ["1627.5", "15500"]  # spaced numbers stay apart
    assert extract_figures("三个月内参保") == []


def test_dates_are_figures():
    assert extract_figures("资料日期:2025-04-18。") == ["2025-04", "18"]


def test_unsupported_figures_are_those_in_no_quote():
    quotes = ["普通居民 :个人缴费400元/人,各级财政补助670元/人。", "失业保险0.3%"]
    assert unsupported_figures("个人缴费400元[1],补助670元[1],失业0.3%[2]", quotes) == []
    assert unsupported_figures("个人缴费380元,比例0.5%,再说380元", quotes) == ["380", "0.5%"]


def test_a_figure_must_not_be_part_of_a_longer_number():
    assert not figure_supported("400", ["每年4000元"])
    assert not figure_supported("0.3%", ["比例10.3%"])
    assert figure_supported("400", ["每人400元/年"])


def test_a_range_is_supported_by_its_endpoints_or_verbatim():
    assert figure_supported("60%-300%", ["平均工资的60%和300%"])
    assert figure_supported("16%~20%", ["单位缴费比例为16%~20%"])
    assert not figure_supported("60%-400%", ["平均工资的60%和300%"])


def test_full_width_quotes_support_ascii_figures():
    assert unsupported_figures("个人缴费400元", ["个人缴费４００元"]) == []


def test_a_figure_inside_a_web_address_is_supported_by_it():
    quote = "登录国家社会保险公共服务平台(http://si.12333.gov.cn/index.jhtml)"
    assert unsupported_figures("打开si.12333.gov.cn查询", [quote]) == []
    assert unsupported_figures("比例为5%", ["比例为0.5%"]) == ["5%"]  # still not a decimal's tail


def test_stated_days_are_the_days_of_the_year_a_text_names():
    from qa.text.figures import stated_days

    first = stated_days("集中参保缴费时间:2024年9月1日至2024年12月31日")
    again = stated_days("2025年度城乡居民医保的集中缴费期为2024年9月1日至12月31日。")
    assert first == again == {"9月1日", "12月31日"}
    assert stated_days("缴费后通常1-3个月可正常使用,2个月等待期") == frozenset()
    assert stated_days("10月8日起") == {"10月8日"}


@pytest.mark.parametrize(
    ("question", "answers", "not_answers"),
    [
        # by when: a date, not a waiting period
        (
            "扬州居民医保最晚啥时候之前能补交",
            "扬州市的补缴截止时间为2025年8月31日",
            "补缴后需等待3个月",
        ),
        # how long processing takes: days, not a waiting period
        ("备案提交以后几天能批下来", "15个工作日内完成", "待遇等待期3个月"),
        # how long until cover starts: the waiting period, not a 断缴 rule
        (
            "没赶上集中期交的居民医保要等多久才能报销",
            "设置缴费后待遇等待期3个月",
            "断缴3个月以上重新计算年限",
        ),
        (
            "交的是2025年度的,从啥时候能用",
            "待遇享受期为2025年1月1日至12月31日",
            "集中缴费期为9月1日至12月31日",
        ),
    ],
)
def test_a_time_question_asks_for_a_precise_kind_of_time(question, answers, not_answers):
    cue = figures.time_cue(question)
    assert cue is not None and cue.search(answers) and not cue.search(not_answers)


@pytest.mark.parametrize("question", ["居民医保每年什么时候交", "公司最晚多少天内要给我上社保"])
def test_a_plain_time_question_has_no_precise_cue(question):
    assert figures.time_cue(question) is None
