"""Trust notes on real corpus passages and hand-made ones: conflicting figures, figures for
different groups or years, region, dates."""

from qa.answering.extractive import date_note, region_note
from qa.answering.trust.conflicts import conflict_note, find_conflicts, place_of
from qa.answering.trust.readings import find_readings
from qa.text.cohorts import (
    asked_age,
    asked_item,
    asked_payers,
    cohort_of,
    other_settings,
    same_cohort,
)
from qa.text.figures import extract_figures, unsupported_figures
from qa.types import Chunk


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


def test_hefei_children_and_residents_differ_without_conflict(corpus_chunks):
    child = chunk_of(corpus_chunks, "合肥儿童医保网上缴费")  # 2025年合肥儿童…个人年缴标准为380元
    city = chunk_of(corpus_chunks, "合肥市医保缴费")  # 普通居民 :个人缴费400元/人; 大学生 350元
    question = "合肥居民医保一年交多少钱"
    conflicts = find_conflicts([city, child], question)
    assert not any(c.conflicting for c in conflicts)
    groups = {c.label: {(r.group, r.value) for r in c.readings} for c in conflicts}
    assert groups == {
        "个人缴费金额": {("普通居民", "400元"), ("大学生", "350元"), ("儿童", "380元")},
        "财政补助金额": {("普通居民", "670元"), ("大学生", "50元"), ("儿童", "1800元")},
    }
    note = conflict_note(conflicts, [[2, 2, 1], [2, 2, 1]])
    assert note == (
        "注意:不同人群标准不同:儿童个人缴费380元、财政补助1800元[1];"
        "普通居民个人缴费400元、财政补助670元[2];大学生个人缴费350元、财政补助50元[2]。"
    )


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
    readings = {(r.key, r.group): r.value for r in find_readings(city)}
    assert readings == {
        ("|个人|元", "普通居民"): "400元",
        ("|财政|元", "普通居民"): "670元",
        ("|个人|元", "大学生"): "350元",  # 在肥高校大学生 :个人实际缴费350元/人(市财政补助50元)
        ("|财政|元", "大学生"): "50元",
    }
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


def passage(title: str, text: str, doc: str = "d") -> Chunk:
    """A hand-made passage about 合肥."""
    return Chunk(
        f"{doc}-{title}", doc, f"{doc}.txt", "article", title, text, 0, len(text), None, ("合肥",)
    )


def test_cohort_of_reads_group_and_year_near_the_value_or_in_the_title():
    sentence = "2025年合肥少儿个人缴费380元,成年居民个人缴费400元(2024年为380元)"
    assert cohort_of(sentence, sentence.index("380"), "") == ("儿童", "2025")
    assert cohort_of(sentence, sentence.index("400"), "") == ("普通居民", "2025")
    assert cohort_of("个人缴费300元(60岁以上老人)", 4, "") == ("老年人", "")  # after, same clause
    assert cohort_of("个人缴费300元", 4, "2024年低保对象参保") == ("低保对象", "2024")
    assert cohort_of("个人缴费300元", 4, "儿童和成年人的标准") == ("", "")  # two in the title
    assert same_cohort(("儿童", ""), ("儿童", "2025")) and same_cohort(("", ""), ("儿童", "2025"))
    assert not same_cohort(("儿童", ""), ("普通居民", "")) and not same_cohort(
        ("", "2024"), ("", "2025")
    )


def test_children_and_general_rates_are_a_group_note_not_a_conflict():
    general = passage("居民医保缴费标准", "普通居民个人缴费400元/人,各级财政补助670元/人。", "a")
    child = passage("少儿参保", "中小学生和儿童:个人年缴标准为380元。", "b")
    (difference,) = find_conflicts([general, child], "合肥居民医保一年交多少钱")
    assert not difference.conflicting and values(difference) == {"400元", "380元"}
    note = conflict_note([difference], [[1, 2]])
    assert note == "注意:不同人群标准不同:普通居民个人缴费400元[1];儿童个人缴费380元[2]。"
    quotes = [general.text, child.text]
    assert "不一致" not in note and unsupported_figures(note, quotes) == []


def test_same_group_different_values_conflict():
    a = passage("合肥儿童医保", "儿童个人缴费380元。", "a")
    b = passage("合肥少儿医保怎么交", "少儿个人年缴标准为400元。", "b")
    c = passage("合肥居民医保", "普通居民个人缴费400元。", "c")  # another group: no part of it
    (conflict,) = find_conflicts([a, b, c], "合肥儿童医保交多少钱")
    assert conflict.conflicting and [r.chunk for r in conflict.readings] == [a, b]
    assert conflict_note([conflict], [[1, 2]]) == (
        "注意:不同资料给出的数字不一致:个人缴费金额有的为380元[1],有的为400元[2],"
        "以当地医保部门核定为准。"
    )


def test_different_years_are_a_year_note():
    old = passage("合肥居民医保", "2024年合肥居民医保个人缴费380元。", "a")
    new = passage("合肥居民医保标准", "2025年个人缴费标准为400元。", "b")
    (difference,) = find_conflicts([old, new], "合肥居民医保一年交多少钱")
    assert not difference.conflicting
    note = conflict_note([difference], [[1, 2]])
    assert note == "注意:不同年份标准不同:2024年个人缴费380元[1];2025年个人缴费400元[2]。"
    assert unsupported_figures(note, [old.text, new.text]) == []
    # A year only the title states is compared but not shown: the note quotes no figure from it.
    titled = passage("2025年合肥居民医保标准", "个人缴费标准为400元。", "c")
    (difference,) = find_conflicts([old, titled], "合肥居民医保一年交多少钱")
    note = conflict_note([difference], [[1, 2]])
    assert note == "注意:不同年份标准不同:2024年个人缴费380元[1];个人缴费400元[2]。"


def test_unknown_group_compares_as_before():
    child = passage("合肥儿童医保", "儿童个人缴费380元。", "a")
    plain = passage(
        "合肥医保", "个人缴费标准为400元。", "b"
    )  # no group, no year: compares with any
    (conflict,) = find_conflicts([child, plain], "合肥医保一年交多少钱")
    assert conflict.conflicting and values(conflict) == {"380元", "400元"}
    # Both groups and a conflict in one answer: the conflict first, then the difference.
    general = passage("合肥居民医保", "普通居民个人缴费400元,财政补助670元。", "c")
    other = passage("合肥居民医保标准", "成年居民个人缴费400元,财政补助600元。", "d")
    kid = passage("合肥少儿", "少儿个人缴费380元,财政补助1800元。", "e")
    conflicts = find_conflicts([general, other, kid], "合肥居民医保一年交多少钱")
    assert [(c.label, c.conflicting) for c in conflicts] == [
        ("财政补助金额", True),
        ("个人缴费金额", False),
    ]
    note = conflict_note(conflicts, [[1, 2, 3][: len(c.readings)] for c in conflicts])
    assert note == (
        "注意:不同资料给出的数字不一致:财政补助金额有的为670元[1],有的为600元[2],"
        "以当地医保部门核定为准。注意:不同人群标准不同:普通居民个人缴费400元[1];"
        "儿童个人缴费380元[2]。"
    )


def test_account_credit_conflicts_across_near_bases_but_not_when_the_base_explains_it(
    corpus_chunks,
):
    zero = chunk_of(corpus_chunks, "山东德州社保基数15700医保卡每月多少")  # 划入金额为0元
    some = chunk_of(corpus_chunks, "山东德州社保基数15500医保卡每月多少")  # 返还金额约为310元
    more = chunk_of(corpus_chunks, "山东德州社保基数15800", "316元")  # 返款约316元
    question = "德州在职职工的医保卡每个月到底能进多少钱"
    (conflict,) = find_conflicts([zero, some], question, regions=("德州", "山东"))
    assert conflict.conflicting and conflict.label == "医保个人账户每月划入金额"
    assert values(conflict) == {"0元", "310元"}
    note = conflict_note([conflict], [[1, 2]])
    assert (
        note is not None and "0元(基数15700元时)[1]" in note and "310元(基数15500元时)[2]" in note
    )
    assert find_conflicts([some, more], question) == []  # 310 × 15800 / 15500 ≈ 316: one rule
    assert find_conflicts([zero, some], "江西的医保卡每个月几号进钱", regions=("江西",)) == []
    retired = find_conflicts(
        [zero, some], "我爸退休了,医保卡每月划多少", asked_groups=("退休人员",)
    )
    assert retired == []  # both figures are for 在职 workers
    passing = find_conflicts([zero, some], "医保卡补办要花多少钱", "划入金额为0元")
    assert passing == []  # quoted in passing, not asked


def test_waiting_periods_conflict_when_asked(corpus_chunks):
    gap = chunk_of(corpus_chunks, "医保中间漏交一个月", "等待2个月")
    article = chunk_of(corpus_chunks, "首次缴纳城乡居民医疗保险怎么交", "需等待3个月")
    readings = [r for r in find_readings(article) if r.key == "待遇等待期"]
    assert [r.value for r in readings] == ["3个月"]
    (conflict,) = find_conflicts([gap, article], "补缴以后要等多久才能报销")
    assert values(conflict) == {"2个月", "3个月"}
    assert find_conflicts([gap, article], "补缴时间是什么时候截止") == []
    # 2个月 is for 灵活就业人员: no conflict for a 居民医保 question, one for who pays alone
    assert find_conflicts([gap, article], "错过了居民医保的缴费期,补缴以后多久能报销") == []
    (alone,) = find_conflicts([gap, article], "我是自己交医保的,断了一阵子补上了,要等多久才能报销")
    assert values(alone) == {"2个月", "3个月"}


def test_short_item_names_and_a_payer_before_a_parenthesised_list():
    text = (
        "河北廊坊社保基数9700元时,职工每月个人需缴纳约1067元(养老776元+医疗194元+失业19.4元),"
        "单位合计缴纳约2426.5元(养老1552元+医疗679元+失业48.5元+工伤/生育146元)。"
    )
    chunk = passage("河北廊坊社保基数9700每月交多少", text)
    found = {(r.key, r.value) for r in find_readings(chunk)}
    assert ("失业保险|个人|元", "19.4元") in found
    assert ("失业保险|单位|元", "48.5元") in found
    assert ("养老保险|单位|元", "1552元") in found
    assert ("工伤/生育保险|单位|元", "146元") in found
    assert not any(key.startswith("生育保险") for key, _ in found)
    rate_first = passage("山东德州社保基数15700扣税多少", "失业保险1%(157元),工伤保险由单位承担。")
    assert {(r.key, r.value) for r in find_readings(rate_first)} >= {
        ("失业保险|个人|%", "1%"),
        ("失业保险|个人|元", "157元"),  # the rate between the cue and the sum in brackets
    }


def test_asked_age_reads_an_age_said_as_a_number_and_了():
    assert asked_age("我爸71了在上海,城乡居民医保一年要交多少") == 71
    assert asked_age("我妈60多了") == 60 and asked_age("35岁没上班") == 35
    assert asked_age("交了15年了") is None and asked_age("断了3个月了") is None


def test_asked_payers_reads_who_else_pays():
    assert asked_payers("公司那边每个月要替我交多少") == ("单位",)
    assert asked_payers("公司那边每个月总共要给我交多少社保") == ("单位",)  # 8 characters apart
    assert asked_payers("政府每年补贴多少") == ("财政",)
    assert asked_payers("我自己每个月交多少医保") == ()
    assert asked_payers("在公司上班,医保卡丢了怎么补办") == ()


def test_the_one_insurance_item_a_question_names():
    medical = asked_item("德州社保基数15500,医疗保险个人扣多少")
    assert medical is not None and medical.search("医疗保险 :缴费比例为2%,每月310元")
    assert not medical.search("个人每月需缴纳约1705元")
    pension = asked_item("德州15800的基数,养老那块个人每月交多少")
    assert pension is not None and pension.search("养老保险 :按基数8%计算")
    assert not pension.search("退休后养老金约4000元")  # 养老金 is a pension, not the item
    assert asked_item("养老和医疗一共扣多少") is None  # several items: the total answers
    assert asked_item("医保卡每月进多少钱") is None
    said = asked_item("德州社保基数15500,光医保一个月从工资里扣多少")  # 医保: the 医疗 item
    assert said is not None and said.search("医疗保险 :缴费比例为2%,每月310元")
    assert not said.search("医保卡每月返还金额约为310元")  # a line still names 医疗 itself
    assert asked_item("她医保个人账户是按啥标准往里打钱的") is None  # the account, no deduction


def test_places_of_care_a_text_names_and_the_question_does_not():
    assert other_settings("家庭共济怎么绑老婆", "医保家庭共济可以用于产检吗") == ("产检",)
    assert other_settings("家庭共济能用于孕检吗", "医保家庭共济可以用于产检吗") == ()
    assert other_settings("住院能报多少", "门诊和住院报销比例") == ("门诊",)
    assert other_settings("医保卡怎么激活", "医保从来没用过怎么激活") == ()
