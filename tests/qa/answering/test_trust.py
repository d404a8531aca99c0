"""Trust notes on real corpus passages: conflicting figures, region, dates."""

from qa.answering.trust import (
    conflict_note,
    date_note,
    find_conflicts,
    find_readings,
    place_of,
    region_note,
)
from qa.text.figures import extract_figures


def chunk_of(chunks, title: str, text: str = ""):
    """The first chunk whose title contains ``title`` and text contains ``text``."""
    return next(c for c in chunks if title in c.title and text in c.text)


def values(conflict) -> set[str]:
    return {r.value for r in conflict.readings}


def test_dezhou_base_limits_conflict(corpus_chunks):
    a = chunk_of(corpus_chunks, "山东德州社保基数15500是什么标准")  # 2850元(60%下限)至14250元
    b = chunk_of(corpus_chunks, "山东德州社保基数15500是几档")  # 上限 :22078元 下限 :4416元
    (conflict,) = find_conflicts([a, b], "德州社保缴费基数上下限是多少")
    assert conflict.label == "缴费基数上下限"
    assert values(conflict) == {"2850元至14250元", "4416元至22078元"}
    for reading in conflict.readings:  # each value is stated in its passage's sentence span
        sentence = reading.chunk.text[reading.start - reading.chunk.start :]
        assert set(extract_figures(reading.value)) <= set(extract_figures(sentence))


def test_hefei_personal_contribution_conflict(corpus_chunks):
    child = chunk_of(corpus_chunks, "合肥儿童医保网上缴费")  # 个人年缴标准为380元
    city = chunk_of(corpus_chunks, "合肥市医保缴费")  # 个人缴费400元/人
    conflicts = find_conflicts([city, child], "合肥居民医保一年交多少钱")
    by_label = {c.label: values(c) for c in conflicts}
    assert by_label["个人缴费金额"] == {"400元", "380元"}
    assert by_label["财政补助金额"] == {"670元", "1800元"}


def test_unemployment_rate_conflict(corpus_chunks):
    low = chunk_of(corpus_chunks, "山东德州社保基数15500每个月扣多少")  # 失业保险0.3%
    high = chunk_of(corpus_chunks, "山东德州社保基数15800个人扣多少")  # 失业保险1%
    (conflict,) = find_conflicts([low, high], "德州失业保险个人交几个点")
    assert conflict.label == "失业保险个人缴费比例"
    assert values(conflict) == {"0.3%", "1%"}


def test_hotline_conflict(corpus_chunks):
    article = chunk_of(corpus_chunks, "医保从来没用过怎么激活", "12333")
    records = chunk_of(corpus_chunks, "汕头医疗保险从哪里查询缴费记录明细", "12393")
    (conflict,) = find_conflicts([article, records], "医保咨询热线是多少")
    assert values(conflict) == {"12333", "12393"}


def test_different_quantities_are_no_conflict(corpus_chunks):
    city = chunk_of(corpus_chunks, "合肥市医保缴费")  # 个人缴费400元, 财政补助670元
    how = chunk_of(corpus_chunks, "合肥居民医保怎么缴费")  # the same two figures
    readings = {r.key: r.value for r in find_readings(city)}
    assert readings == {"|个人|元": "400元", "|财政|元": "670元"}
    assert find_conflicts([city], "合肥居民医保一年交多少钱") == []
    assert find_conflicts([city, how], "合肥居民医保一年交多少钱") == []


def test_off_topic_and_other_cases_are_no_conflict(corpus_chunks):
    low = chunk_of(corpus_chunks, "山东德州社保基数15500每个月扣多少")
    high = chunk_of(corpus_chunks, "山东德州社保基数15800个人扣多少")
    assert find_conflicts([low, high], "德州养老保险个人交几个点") == []  # 8% in both
    # 1705元 and 1584元 are for different bases (titles 15500 vs 15800): not comparable.
    assert find_conflicts([low, high], "德州社保个人每月扣多少钱") == []
    # The same rate in another place is a different quantity …
    dezhou = chunk_of(corpus_chunks, "山东德州社保基数15700医保卡每月多少")  # 单位缴费比例为7%
    langfang = chunk_of(corpus_chunks, "河北廊坊社保基数9600社保缴费多少")  # 单位缴费比例:8%
    assert find_conflicts([dezhou, langfang], "医疗保险单位交多少比例") == []
    # … while in the same place it conflicts (单位和个人缴费比例分别为8%和2%).
    levels = chunk_of(corpus_chunks, "山东德州社保基数15500是几档")
    (conflict,) = find_conflicts([dezhou, levels], "医疗保险单位交多少比例")
    assert conflict.label == "医疗保险单位缴费比例" and values(conflict) == {"7%", "8%"}


def test_a_stated_value_puts_its_quantity_on_topic(corpus_chunks):
    low = chunk_of(corpus_chunks, "山东德州社保基数15500每个月扣多少")
    high = chunk_of(corpus_chunks, "山东德州社保基数15800个人扣多少")
    question = "德州社保怎么交"
    assert find_conflicts([low, high], question) == []
    (conflict,) = find_conflicts([low, high], question, answer="失业保险0.3%[1]")
    assert values(conflict) == {"0.3%", "1%"}


def test_conflict_note_shows_values_with_markers(corpus_chunks):
    a = chunk_of(corpus_chunks, "山东德州社保基数15500是什么标准")
    b = chunk_of(corpus_chunks, "山东德州社保基数15500是几档")
    conflicts = find_conflicts([a, b], "德州社保缴费基数上下限是多少")
    note = conflict_note(conflicts, [[3, 2]])
    assert note == (
        "注意:不同资料给出的数字不一致:缴费基数上下限有的为4416元至22078元[2],"
        "有的为2850元至14250元[3],以当地医保部门核定为准。"
    )
    assert conflict_note([], []) is None


def test_place_of_uses_the_most_specific_place_and_its_province():
    assert place_of(("德州", "山东")) == "山东德州"
    assert place_of(("合肥",)) == "合肥"
    assert place_of(("山东",)) == "山东"
    assert place_of(("扬州", "陕西")) is None  # two unrelated places
    assert place_of(()) is None


def test_region_note_names_the_place_of_the_figures():
    dezhou = ("德州", "山东")
    assert region_note([dezhou], [dezhou, ()]) == "以上数字为山东德州的资料,其他地区可能不同。"
    assert region_note([dezhou, ()], [dezhou, ()]) is None  # figures not all from one place
    assert region_note([], [()]) is None


def test_region_note_warns_about_another_place():
    dezhou = ("德州", "山东")
    warning = region_note([dezhou], [dezhou], ("合肥", "安徽"))
    assert warning == "您问的是合肥,但资料中只有山东德州的数据,仅供参考。"
    assert region_note([dezhou], [dezhou], ("山东",)).startswith("以上数字为山东德州")
    general = region_note([], [()], ("合肥",))
    assert "合肥" in general and "没有专门针对" in general


def test_date_note():
    assert date_note(["2025-04-29", None, "2025-04-18", "2025-04-29"], False) == (
        "资料日期:2025-04-18、2025-04-29。医保政策每年可能调整,请以当地最新规定为准。"
    )
    assert date_note([None], True) == "医保政策每年可能调整,请以当地最新规定为准。"
    assert date_note([None], False) is None
