"""Decision routing: intent rules, places, concepts, then the calibrated model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.refusal.composed import (
    figures_measure_else,
    refuse_composed,
    unanswered_groups,
    unanswered_payers,
    unanswered_places,
    unanswered_settings,
)
from qa.refusal.decision import RefusalDecision, decide, unknown_terms
from qa.refusal.messages import refusal_text
from qa.refusal.purposes import (
    unanswered_comparison,
    unanswered_purposes,
    unanswered_scheme,
    unanswered_span,
    unanswered_stage,
    unanswered_subject,
)
from qa.retrieval.question import understand
from tests.qa.refusal.hits import (
    ACTIVATE,
    ALWAYS,
    FAMILY,
    HOSPITAL,
    HOSPITAL_TEXT,
    NEVER,
    SHANXI,
    hit,
)


def test_medical_refuses_even_when_a_hospital_snippet_matches():
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.95, 12.0, ("鹤壁", "河南"))
    decision = decide(understand("我在鹤壁,腋下老是疼,该去哪个医院看"), [lure], NEVER)
    assert decision.refuse and decision.kind == "medical" and decision.score == 1.0


@pytest.mark.parametrize(
    ("question", "kind"),
    [("今天合肥天气怎么样", "offtopic"), ("你好", "greeting"), ("谢谢!", "greeting")],
)
def test_offtopic_and_greeting_refuse_whatever_the_scores(question, kind):
    decision = decide(understand(question), [ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == kind


def test_the_questions_intent_decides():
    question = replace(understand("医保码怎么激活"), intent="greeting")
    decision = decide(question, [ACTIVATE], NEVER)
    assert decision.kind == "greeting"


def test_region_rule_for_local_questions_only():
    decision = decide(understand("晋城新农合今年交多少"), [SHANXI, ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == "region"
    assert decision.missing[0] == "晋城"
    procedure = decide(understand("我在晋城,医保码怎么激活"), [ACTIVATE, SHANXI], NEVER)
    assert not procedure.refuse and procedure.kind == "answer"


def test_missing_concept_is_not_found_whatever_the_model():
    decision = decide(understand("北京门诊报销起付线是多少"), [ACTIVATE, FAMILY], NEVER)
    assert decision.kind == "region"  # the place is checked first
    decision = decide(understand("门诊报销起付线是多少"), [ACTIVATE, FAMILY], NEVER)
    assert decision.refuse and decision.kind == "not_found" and "起付线" in decision.missing


@pytest.mark.parametrize(
    "question",
    [
        "家庭共济怎么解绑",
        "医保卡密码忘了怎么办",
        "医保个人账户的钱能取出来吗",
        "住房公积金租房怎么提取",
    ],
)
def test_an_action_the_passages_never_describe_is_not_found(question):
    """解绑 is not 绑定: the binding steps do not answer how to unbind."""
    decision = decide(understand(question), [FAMILY, ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == "not_found"
    assert not decide(understand("家庭共济怎么绑定"), [FAMILY, ACTIVATE], NEVER).refuse


def test_a_local_figure_for_a_year_no_passage_names_is_not_found():
    rates = hit("居民医保缴费标准", "2025年度城乡居民医保个人缴费400元/年。", 0.92, 6.0)
    decision = decide(understand("2026年度居民医保个人缴费标准是多少"), [rates], NEVER)
    assert decision.refuse and decision.kind == "not_found"
    assert decision.features["missing_years"] == ["2026"]
    assert not decide(understand("2025年度居民医保个人缴费标准是多少"), [rates], NEVER).refuse
    text = refusal_text(decision, understand("2026年度居民医保个人缴费标准是多少"), [])
    assert text.startswith("资料里没有您问的年份的规定,现有资料是其他年份的。")
    assert "2026" not in text  # a refusal states no figure
    late = hit("补缴时间", "扬州市的补缴截止时间为2025年8月31日。", 0.92, 6.0)
    deadline = decide(understand("扬州2026年的居民医保错过了,补缴最晚到哪天"), [late], NEVER)
    assert deadline.refuse  # a time asked for a year no passage names, though 最晚 is no local cue


def test_a_place_named_only_beside_no_figure_does_not_cover_a_local_amount():
    """汕头 named in a snippet about changing 参保地 gives no 汕头 rate."""
    shantou = hit("汕头手机上怎么更换参保地", "登录医保APP切换参保地。", 0.9, 5.0, ("汕头", "广东"))
    decision = decide(understand("汕头居民医保一年交多少钱"), [shantou, ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == "region"
    rate = hit("汕头居民医保缴费", "汕头居民医保个人缴费380元/年。", 0.9, 5.0, ("汕头", "广东"))
    assert not decide(understand("汕头居民医保一年交多少钱"), [rate], NEVER).refuse
    assert not decide(understand("汕头医保参保地怎么换"), [shantou], NEVER).refuse  # no amount


def test_model_decides_the_rest():
    assert decide(understand("医保码怎么激活"), [ACTIVATE, FAMILY], NEVER).kind == "answer"
    refused = decide(understand("医保码怎么激活"), [ACTIVATE, FAMILY], ALWAYS)
    assert refused.refuse and refused.kind == "not_found" and refused.score == 0.5
    assert decide(understand("医保码怎么激活"), [], NEVER).kind == "not_found"


def test_as_not_found():
    decision = decide(understand("医保码怎么激活"), [ACTIVATE], NEVER).as_not_found()
    assert decision.refuse and decision.kind == "not_found"


@pytest.mark.parametrize(
    ("question", "quoted", "unanswered"),
    [
        # a local amount quoted from a passage about no place, or about another city
        ("汕头城乡居民医保一年交多少钱", [()], ("汕头",)),
        ("汕头城乡居民医保一年交多少钱", [("合肥", "安徽")], ("汕头",)),
        # the asked place, its province, or a city of the asked province answers it
        ("合肥居民医保一年交多少钱", [("合肥", "安徽")], ()),
        ("德州社保基数上下限是多少", [("山东",)], ()),
        ("广东居民医保一年交多少钱", [("深圳",)], ()),
        ("合肥居民医保一年交多少钱", [(), ("合肥",)], ()),  # one quoted passage is enough
        # not amount questions, lookups, questions across places, no place asked
        ("汕头医保卡怎么激活", [()], ()),
        ("在广东,城乡居民养老金每个月发多少在哪能查到", [()], ()),
        ("我在深圳交的医保去广州看病能报多少", [()], ()),
        ("城乡居民医保一年交多少钱", [()], ()),
        # across places: passages about another route do not answer (泰州 → 上海 for 南京)
        ("泰州医保去南京看病能报多少", [("泰州", "上海")], ("南京",)),
        ("泰州医保去上海看病能报多少", [("泰州", "上海")], ()),
        ("泰州医保去南京看病能报多少", [("泰州", "上海"), ()], ()),  # a rule for any route
    ],
)
def test_an_amount_answered_from_no_passage_about_the_place_is_unanswered(
    question, quoted, unanswered
):
    assert unanswered_places(understand(question), quoted) == unanswered


def test_as_region_names_the_places_for_the_refusal_text():
    from qa.refusal.messages import refusal_text

    question = understand("汕头城乡居民医保一年交多少钱")
    decision = RefusalDecision(False, "answer", 0.2, ("一年",), {"missing_regions": []})
    region = decision.as_region(("汕头",))
    assert (region.refuse, region.kind, region.missing) == (True, "region", ("汕头", "一年"))
    assert "现有资料没有涉及汕头的医保规定" in refusal_text(region, question, [])


@pytest.mark.parametrize(
    ("question", "lines", "refused"),
    [
        # a reimbursement question answered with contribution figures only
        ("德州职工医保住院能报销多少比例", ["单位缴费比例为7%[1]", "划入金额为0元。"], True),
        ("德州职工医保住院能报销多少比例", ["住院报销比例为80%[1]"], False),
        # a contribution question answered with reimbursement figures only
        ("本溪居民医保个人一年交多少", ["大病医疗保险报销比例通常为50%-70%[1]"], True),
        ("本溪居民医保个人一年交多少", ["个人缴费380元/年[1]", "报销比例50%"], False),
        # list items naming neither measure stand under their heading: kept
        ("上海60多岁老人交居民医保一年多少钱", ["60-69周岁人员:825元/年[1]"], False),
        # the pension one gets: a 计发基数 or a contribution is no answer, a monthly sum is
        ("德州按15700交到退休每个月能领多少养老金", ["基本养老金计发基数为7468元[1]"], True),
        ("德州按15700交到退休每个月能领多少养老金", ["每月扣除1240元,退休后领取养老金"], True),
        (
            "廊坊基数9700交满20年退休每月能拿多少",
            ["按基数9700元 缴纳,退休后每月养老金约为2400-3000元"],
            False,
        ),
        ("德州2024年养老金计发基数是多少钱", ["基本养老金计发基数为7468元[1]"], False),
        # a number of years asked (交多少年) measures no sum paid in
        (
            "职工医保交多少年退休之后就不用再交了",
            ["通常男性30年,女性25年", "报销比例一般在70%以上"],
            False,
        ),
        # no figure quoted, or no measure asked: not this rule's business
        ("德州职工医保住院能报销多少比例", ["到医保经办机构咨询。[1]"], False),
        ("家庭共济怎么绑定", ["单位缴费比例为7%[1]"], False),
    ],
)
def test_figures_of_another_measure_are_no_answer(question, lines, refused):
    assert figures_measure_else(understand(question), lines) is refused


@pytest.mark.parametrize(
    ("question", "lines", "missing"),
    [
        # figures for other people than the group asked about
        ("合肥低保户交居民医保,自己要出多少钱", ["普通居民:个人缴费400元[1]"], ("低保户",)),
        ("合肥职工医保住院能报百分之多少", ["儿童门诊报销比例65%[1]"], ("职工",)),
        ("德州灵活就业人员交医保一个月多少钱", ["单位缴费比例为7%[1]"], ("灵活就业人员",)),
        # the group is in a quoted line (职工 figures sit in 社保基数 passages)
        ("合肥低保户交居民医保能减免多少", ["低保对象个人缴费全额资助[1]"], ()),
        ("德州在职的医保一个月扣多少", ["社保基数15500元时,医疗保险2%[1]"], ()),
        ("德州上班的,失业保险个人扣百分之几", ["社保缴费基数为15800元时,失业保险1%[1]"], ()),
        ("给孩子交医保一年多少钱", ["0-18岁儿童:380元/年[1]"], ()),
        # a negated group names none; a question not about a figure is not checked
        ("在上海,35岁没上班,交城乡居民医保一年多少钱", ["不满60周岁人员:995元/年[1]"], ()),
        ("低保户怎么参加居民医保", ["到社区办理。[1]"], ()),
        # named without a figure (a cut-off line; its citation is no figure), or heading one
        (
            "合肥低保户交居民医保,个人要出多少钱",
            ["特困人员无需缴费;", "低保对象、低保边缘家庭老年人……[1]"],
            ("低保户",),
        ),
        ("合肥低保户交居民医保,个人要出多少钱", ["• 低保对象:", "• 个人缴费200元/年[1]"], ()),
        # a figure right after the list mark is a figure, a list number is not
        ("合肥低保户交居民医保,个人要出多少钱", ["• 低保对象:", "• 200元/年[1]"], ()),
        ("合肥低保户交居民医保,个人要出多少钱", ["低保对象:", "2. 按规定执行[1]"], ("低保户",)),
    ],
)
def test_figures_for_another_group_are_no_answer(question, lines, missing):
    assert unanswered_groups(understand(question), lines) == missing


@pytest.mark.parametrize(
    ("question", "lines", "missing"),
    [
        # the personal share quoted for what the employer pays
        (
            "德州按15500的基数,公司那边每个月要替我交多少",
            ["个人每月需缴纳约1705元[1]"],
            ("单位缴费部分",),
        ),
        # a sum asked: the employer's rate, or another sum on the line, does not answer it
        (
            "德州按15500的基数,公司那边每个月要替我交多少",
            ["单位缴费比例为16%~20%[1]"],
            ("单位缴费部分",),
        ),
        (
            "德州基数15500的话,公司那边每个月总共要给我交多少社保",
            ["缴费基数 上限 :22078元 下限 :4416元 养老保险 :单位缴费比例为16%~20%[1]"],
            ("单位缴费部分",),
        ),
        ("廊坊公司每个月给我交多少社保", ["个人约1045元,单位合计缴纳约2565元[1]"], ()),
        (  # a sentence naming 单位 is no heading over the figures after it
            "德州基数15700,公司每个月替我交多少社保",
            ["养老保险8%(1256元),工伤保险和生育保险由单位全额承担。", "另外:", "个人约1884元[2]"],
            ("单位缴费部分",),
        ),
        ("廊坊公司给交的医疗保险是按几个点交的", ["单位缴费比例为16%~20%[1]"], ()),  # a rate
        # a subsidy named without its figure is no answer; a heading over figures is
        (
            "上海居民医保政府每年给补贴多少钱",
            ["财政补助标准:具体金额未在文档中明确列出"],
            ("财政补助标准",),
        ),
        ("合肥居民医保财政补助多少", ["财政补助标准:", "• 大学生:50元[1]"], ()),
        ("深圳小孩的居民医保,政府给补多少", ["  • 财政补助标准", "    • 少年儿童:76.908元/年"], ()),
        # no other payer asked
        ("合肥居民医保一年交多少钱", ["个人缴费标准为每人400元[1]"], ()),
    ],
)
def test_figures_for_another_payer_are_no_answer(question, lines, missing):
    assert unanswered_payers(understand(question), lines) == missing


def test_a_refusal_after_composing_says_what_the_related_passages_lack():
    question = understand("上海居民医保政府每年给补贴多少钱")
    decision = RefusalDecision(False, "answer", 0.2, ("每年",)).lacking(["财政补助标准"])
    assert (decision.refuse, decision.kind, decision.missing) == (
        True,
        "not_found",
        ("财政补助标准",),
    )
    text = refusal_text(decision, question, [])
    assert "资料里有相关内容" in text and "财政补助标准" in text and "没有找到关于" not in text


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("泰州医保去上海看病能报多少", "reimbursement"),
        ("合肥娃做生长发育评估医保给报吗,一年最多报多少", "reimbursement"),
        ("廊坊9600基数养老保险个人每月交多少", "contribution"),
        ("德州按15700的基数交社保,个人一个月扣多少", "contribution"),
        ("上海城乡居民医保政府每年给补贴多少钱", ""),
        ("医保码怎么激活", ""),
    ],
)
def test_an_amount_question_says_what_it_measures(question, measure):
    assert understand(question).measure == measure


CORPUS = (
    "补缴后等待期为3个月。住院费用按比例报销。医保电子凭证可在微信激活。",
    "门诊起付线另行规定",
    "原参保地需先办理停保手续。生育保险由单位缴纳。",
)


def _frequency(term: str) -> int:
    return sum(term in text for text in CORPUS)


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("医保断交了再补缴,要交滞纳金吗", ("滞纳金",)),  # neither 滞纳金 nor 滞纳
        ("体检费医保能报吗", ("体检费",)),
        ("住院费能报多少", ()),  # the stem 住院 is there (住院费用)
        ("门诊起付线是多少", ()),  # the term itself is there
        ("电子医保卡怎么激活", ()),  # a synonym (医保电子凭证) is there
        ("医保码怎么激活", ()),  # no thing-like term
        ("办参保地变更要交手续费吗", ("手续费",)),  # the stem alone (停保手续) names no fee
        ("生育险怎么交", ()),  # its long form (生育保险) is there
        # two characters name a sum of money (金, 费), not a card or a rate
        ("住院押金医保能报吗", ("押金",)),
        ("住院费用医保能报吗", ()),  # 费用 is there
        ("医保卡费率是多少", ()),  # 费率 is two characters and not a sum
        # a medical service a short question asks about (two characters are enough)
        ("种牙医保能报吗", ("种牙",)),
        ("近视手术医保能报吗", ("手术",)),
        ("住院报销要多久", ()),  # not a service ending; and 住院 is there
        # in a long question a service is a detail of another matter
        ("我在深圳交的医保,回湖南老家做个手术,能直接报吗,要提前办啥", ()),
    ],
)
def test_a_thing_the_corpus_never_names_is_unknown(question, unknown):
    assert unknown_terms(understand(question), _frequency) == unknown


@pytest.mark.parametrize(
    ("question", "lines", "missing"),
    [
        # the materials to enrol do not answer what a hospital claim needs
        ("住院报销需要什么材料", ["需要准备:身份证、户口本、1寸照片。[1]"], ("住院", "报销")),
        ("异地就医备案要带什么材料", ["携带身份证到窗口办理。[1]"], ("备案",)),
        ("看病报销要带啥", ["门诊结算时出示医保电子凭证或社保卡。[1]"], ()),
        # a materials question for enrolling or changing 参保地 names no such purpose
        ("换参保地要准备什么材料", ["携带本人身份证、医疗保险卡。[1]"], ()),
        # the materials to change 参保地 do not answer what 停保 or 制卡 needs
        (
            "换参保地之前要先停保,停保手续要带什么材料",
            ["线下变更:", "携带本人身份证。[1]"],
            ("停保",),
        ),
        ("医保卡还没制卡,申请制卡要带啥材料", ["携带身份证、户口簿原件。[1]"], ("制卡",)),
        ("原参保地停保要带什么材料", ["需先办理停保手续,携带身份证。[1]"], ()),
        # only materials questions are checked
        ("住院能报多少", ["报销比例50%"], ()),
    ],
)
def test_materials_for_another_purpose_are_no_answer(question, lines, missing):
    assert unanswered_purposes(understand(question), lines) == missing


@pytest.mark.parametrize(
    ("question", "lines", "step"),
    [
        # what follows the step does not say how to take it
        ("异地就医备案在手机上怎么办", ["申请异地就医备案后,按以下步骤就医:[1]"], "异地就医备案"),
        ("医保卡怎么激活", ["激活后可直接刷卡结算医疗费用。[1]"], "激活"),
        # nor what papers it takes (a materials question about the step)
        (
            "异地就医备案在哪申请,要带什么材料",
            ["申请异地就医备案后,出示医保电子凭证。[1]"],
            "异地就医备案",
        ),
        # the step itself is described somewhere in the quote
        ("医保卡怎么激活", ["携带身份证到窗口激活。", "激活后可直接刷卡结算。[1]"], ""),
        # the question is about what follows: asked after it, or the step is done
        ("异地就医备案后怎么看病", ["申请异地就医备案后,按以下步骤就医:[1]"], ""),
        ("办好了异地就医备案,到医院要怎么弄", ["申请异地就医备案后,按以下步骤就医:[1]"], ""),
        ("医保码已经激活了,怎么用", ["激活医保码后扫码即可。[1]"], ""),
        # an object is no step (医保码), and only how-to questions are checked
        ("微信医保码怎么添加亲情账户", ["激活医保码后在线完成绑定。[1]"], ""),
        ("异地就医备案能报多少", ["申请异地就医备案后,报销比例50%。[1]"], ""),
    ],
)
def test_what_follows_a_step_does_not_answer_how_to_take_it(question, lines, step):
    assert unanswered_stage(understand(question), lines) == step


@pytest.mark.parametrize(
    ("question", "primary", "pair"),
    [
        # a passage about one of the two things does not compare them
        ("医保码和医保卡有什么区别", "年年交医保为什么医保卡里没有钱", ("医保码", "医保卡")),
        ("电子医保卡和实体卡报销比例一样吗", "医保卡丢了哪里去补办", ("电子医保卡", "实体卡")),
        ("城乡居民医保和职工医保有啥区别", "职工医保:按月缴费", ("居民医保", "职工医保")),
        # each thing inside a longer side, the point compared in a clause after a comma
        (
            "用医保码看病和刷实体医保卡,报销比例有区别吗",
            "城乡居民医疗保险和职工医疗保险的区别 居民医保:报销比例约为50%-70%",
            ("医保码", "实体医保卡"),
        ),
        # both named, by themselves or by a synonym (医保码: 医保电子凭证)
        ("医保码和医保卡有什么区别", "医保电子凭证与医保卡的不同", None),
        ("社保和医保是一回事吗", "社保和医保不是同一个东西", None),
        # people or years compared are no things of the trade: not checked
        ("我和朋友俩公司交的钱不一样多", "河北廊坊社保基数9700元和5000元的区别", None),
        ("今年跟去年扣得不一样正常不", "德州社保基数15500元个人扣多少", None),
        ("医保码怎么激活", "医保卡丢了哪里去补办", None),  # no comparison
    ],
)
def test_a_comparison_needs_a_primary_unit_naming_both_things(question, primary, pair):
    assert unanswered_comparison(understand(question), primary) == pair


@pytest.mark.parametrize(
    ("question", "lines", "unanswered"),
    [
        # dates or a 期限 word do not say how long it takes
        (
            "在南宁医保公众号上提交了参保登记,一般几天能审核通过",
            ["2025年1月1日起享受待遇[1]"],
            True,
        ),
        ("医保卡领了以后多少天之内必须激活", ["需在领取后一定期限内激活[1]"], True),
        # a number of days, in digits or in words, or at once
        ("线下转移要多久", ["15个工作日内完成转移接续[1]"], False),
        ("公司最晚多少天内要给我上社保", ["自用工之日起三十日内申请办理[1]"], False),
        ("线上变更多长时间生效", ["一般即时生效[1]"], False),
        # a look-up is answered by where to look; no how-long question, nothing checked
        ("咋看自己医保卡还有多久过期", ["登录官网查看医保卡有效期[1]"], False),
        ("医保什么时候交", ["9月1日至12月31日[1]"], False),
    ],
)
def test_a_how_long_question_needs_a_span(question, lines, unanswered):
    assert unanswered_span(understand(question), lines) is unanswered


def test_an_answer_about_what_follows_the_step_turns_into_a_refusal_naming_it():
    question = understand("跨省异地就医备案到底怎么申请")
    lines = ["申请异地就医备案后,您可以按照以下步骤进行就医:[1]", "出示有效凭证。[1]"]
    refusal = refuse_composed(question, decide(question, [ACTIVATE], NEVER), [()], lines)
    assert refusal is not None and refusal.kind == "not_found"
    text = refusal_text(refusal, question, [])
    assert text.startswith("资料里有相关内容,但没有写明您问的异地就医备案的办理方法。")
    assert refuse_composed(question, decide(question, [ACTIVATE], NEVER), [()], lines[1:]) is None


@pytest.mark.parametrize(
    ("question", "primary", "scheme"),
    [
        # 养老保险 asked alone, a 医保 passage quoted: another scheme's rule is not stated
        (
            "养老保险交满15年就可以不交了吗",
            "社保缴费满15年,医保通常还需要继续缴纳。[1]",
            "养老保险",
        ),
        ("公积金交满几年能贷款", "社保缴费满15年,医保通常还需要继续缴纳。[1]", "住房公积金"),
        # the scheme named by the primary unit (or a note of its figures): answered
        ("德州养老保险个人交几个点", "养老保险 :个人缴费比例为8%[1]", ""),
        ("廊坊失业保险个人扣多少", "注意:失业保险个人比例各来源不一致", ""),
        ("工伤险要扣我工资吗", "工伤保险和生育保险个人无需承担[1]", ""),
        # a question naming 医保 too asks about it
        ("养老保险和医保必须一起交吗", "社保和医保并不强制要求一起缴纳[1]", ""),
    ],
)
def test_a_question_about_another_scheme_needs_an_answer_naming_it(question, primary, scheme):
    assert unanswered_scheme(understand(question), primary) == scheme


@pytest.mark.parametrize(
    ("question", "primary", "subject"),
    [
        # an amount question whose subject the primary unit never names
        ("医保卡丢了补办要多少钱", "医保卡每月划入金额约为190元[1]", "补办的具体金额"),
        (
            "廊坊退休人员医保卡每个月打多少钱",
            "在职职工按缴费基数的2%划入[1]",
            "廊坊退休人员的具体金额",
        ),
        # named, by a synonym, or by its characters in order (大病医疗保险 for 大病保险)
        ("本溪的大病保险能报销百分之多少", "本溪大病医疗保险的报销比例通常为50%-70%[1]", ""),
        ("医保补交要交多少钱", "补缴金额按当年标准计算[1]", ""),
        # not an amount question, or nothing checked
        ("医保卡丢了去哪补办", "前往当地医保经办机构[1]", ""),
        ("医保卡丢了补办要多少钱", "", ""),
    ],
)
def test_an_amount_question_needs_a_primary_unit_naming_its_subject(question, primary, subject):
    assert unanswered_subject(understand(question), primary) == subject


def test_a_scheme_refusal_sends_the_user_to_the_office_that_runs_it():
    question = understand("养老保险交满15年就可以不交了吗")
    lines = ["社保缴费满15年,医保通常还需要继续缴纳。[1]"]
    decision = decide(question, [ACTIVATE], NEVER)
    refusal = refuse_composed(
        question, decision, [()], lines, primary="社保缴费满15年医保还需要缴纳吗"
    )
    assert refusal is not None and refusal.kind == "not_found"
    text = refusal_text(refusal, question, [])
    assert "养老保险" in text and "社保部门" in text and "医保部门" not in text
    noted = refuse_composed(question, decision, [()], lines, "", "", ("养老保险8%",))
    assert noted is None


def test_the_refusal_text_names_the_unnamed_term_and_the_place_found():
    question = understand("办参保地变更要交手续费吗")
    decision = decide(question, [ACTIVATE], NEVER).unnamed(("手续费",))
    assert decision.refuse and decision.kind == "not_found"
    assert refusal_text(decision, question, []).startswith("资料里没有提到“手续费”。")
    route = understand("泰州医保去南京看病能报多少")
    region = decide(route, [ACTIVATE], NEVER).as_region(("南京",))
    text = refusal_text(region, route, [])
    assert text.startswith("资料里有泰州的相关内容,但没有涉及南京的医保规定。")


@pytest.mark.parametrize(
    ("question", "lines", "missing"),
    [
        # another setting's rate, or a rate naming no setting, for a 住院 / 产检 question
        (
            "合肥小孩住院,医保能报百分之多少",
            ["门诊报销比例提升至65%", "住院报销封顶线达50万元[1]"],  # a cap is no rate
            ("住院",),
        ),
        ("泰州本地住院,居民医保能报多少", ["到上海就医的报销比例平均约为50%[1]"], ("住院",)),
        ("产检走门诊统筹的话能报销百分之多少", ["门诊报销比例提升至65%[1]"], ("产检",)),
        # a figure line naming the setting answers; contributions are not checked
        ("合肥小孩住院的话,医保一年最多能报多少", ["住院报销封顶线达50万元[1]"], ()),
        ("合肥小孩看门诊能报百分之多少", ["门诊报销比例提升至65%[1]"], ()),
        ("住院期间医保一个月交多少", ["个人每月缴纳300元[1]"], ()),
        # across places a figure is for any care there (泰州 → 上海 就医 50%)
        ("老家泰州的,在上海住院能报多少", ["泰州医保到上海就医的报销比例平均约为50%[1]"], ()),
    ],
)
def test_a_figure_for_another_place_of_care_is_no_answer(question, lines, missing):
    assert unanswered_settings(understand(question), lines) == missing


def test_a_period_is_never_named_as_missing():
    question = understand("北京医保一年交多少")
    decision = RefusalDecision(False, "answer", 0.2, ("一年",), {}).as_region(("北京",))
    text = refusal_text(decision, question, [])
    assert "北京医保" in text and "一年" not in text
