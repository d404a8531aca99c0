"""Figures in answer text and whether cited quotes support them."""

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
