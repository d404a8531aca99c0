"""Opposite yes/no verdicts on real corpus passages and hand-made ones: flagged when two
passages answer the same question oppositely, never for different groups, conditions, subjects
or non-permission questions."""

import pytest

from qa.retrieval.question import understand
from qa.text.verdicts import (
    asked_predicate,
    find_verdict_conflict,
    find_verdicts,
    states_verdict,
    verdict_note,
)
from qa.types import Chunk


def chunk_of(chunks, title: str) -> Chunk:
    return next(c for c in chunks if title in c.title)


def made(chunk_id: str, text: str, title: str = "", regions: tuple[str, ...] = ()) -> Chunk:
    doc = f"d{chunk_id}"
    return Chunk(chunk_id, doc, "s.txt", "snippet", title, text, 0, len(text), None, regions)


def test_asked_predicate():
    assert asked_predicate("单位上班的社保和医保能分开交吗") == ("单位上班的社保和医保", "分开交")
    assert asked_predicate("职工社保跟医保到底能分开交不") == ("职工社保跟医保到底", "分开交")
    assert asked_predicate("医保卡丢了怎么补办") is None


def test_corpus_yes_and_no_on_separate_payment_conflict(corpus_chunks):
    yes = chunk_of(corpus_chunks, "职工社保和医保可以分开缴纳吗")  # …吗?答案是肯定的
    no = chunk_of(corpus_chunks, "公司交的社保和医保是分开交吗")  # 通常不能分开交
    predicate, pair = find_verdict_conflict([no, yes], "单位上班的社保和医保能分开交吗")
    assert predicate == "分开交"
    assert [v.yes for v in pair] == [True, False]
    assert pair[0].text == "职工社保和医保可以分开缴纳吗?答案是肯定的"
    assert pair[1].text == "公司缴纳的社保和医保通常不能分开交"
    for v in pair:  # each verdict is the text at its document span
        assert v.chunk.text[v.start - v.chunk.start : v.end - v.chunk.start] == v.text
    note = verdict_note(predicate, pair, [2, 1])
    assert note == (
        "注意:不同资料对能否分开交的说法相反:有的说“公司缴纳的社保和医保通常不能分开交”[1];"
        "有的说“职工社保和医保可以分开缴纳吗?答案是肯定的”[2],以当地医保部门核定为准。"
    )


def test_another_word_for_separately_asks_the_same(corpus_chunks):
    """拆开交 / 单独交 ask what 分开缴纳 answers; 拆开 matches no other verb (分开办理 ≠ 拆开交)."""
    yes = chunk_of(corpus_chunks, "职工社保和医保可以分开缴纳吗")
    no = chunk_of(corpus_chunks, "公司交的社保和医保是分开交吗")
    for asked in (
        "社保跟医保到底能不能拆开交",
        "社保和医保可以单独缴费吗",
        "公司能不能只给我交社保不交医保啊,这俩能分开交吗",  # 这俩: named in the clause before
    ):
        predicate, pair = find_verdict_conflict([no, yes], asked)
        assert [v.yes for v in pair] == [True, False], asked
    other = made("2", "社保和医保可以分开办理。", regions=())
    assert find_verdicts(other, ["社保", "医保"], "拆开交") == []


def test_two_questions_in_one_message(corpus_chunks):
    yes = chunk_of(corpus_chunks, "职工社保和医保可以分开缴纳吗")
    no = chunk_of(corpus_chunks, "公司交的社保和医保是分开交吗")
    asked = understand("公司能不能只给我交养老不交医保？职工社保跟医保到底能分开交不").text
    assert asked_predicate(asked) == ("职工社保跟医保到底", "分开交")  # the clause's own subject
    assert find_verdict_conflict([no, yes], asked)[0] == "分开交"


def test_one_passage_alone_is_no_conflict(corpus_chunks):
    # 公司…不能分开交 and 灵活就业人员…可…选择分开缴费 in one passage: a group difference
    no = chunk_of(corpus_chunks, "公司交的社保和医保是分开交吗")
    assert find_verdict_conflict([no], "单位上班的社保和医保能分开交吗") == ("", [])


def test_group_difference_is_not_a_conflict():
    flexible = made("a", "灵活就业人员的养老和医保可以分开缴纳。")
    employed = made("b", "在职职工的养老和医保不能分开缴纳。")
    question = "养老和医保能分开交吗"
    assert [v.group for v in find_verdicts(flexible, ["养老", "医保"], "分开交")] == ["灵活就业"]
    assert find_verdict_conflict([flexible, employed], question) == ("", [])
    unknown = made("c", "养老和医保可以分开缴纳。")  # no group named: may be the same case
    assert find_verdict_conflict([unknown, employed], question)[0] == "分开交"


def test_conditions_subjects_and_places_are_not_conflicts():
    no = made("a", "职工医保不能报销美容费用。")
    question = "职工医保能报销美容费用吗"
    conditional = made("b", "如果是治疗需要,职工医保可以报销美容费用。")
    assert find_verdict_conflict([conditional, no], question) == ("", [])
    other = made("c", "门诊费用可以报销美容费用。")  # names none of the question's subject
    assert find_verdict_conflict([other, no], question) == ("", [])
    elsewhere = made("d", "职工医保可以报销美容费用。", regions=("合肥",))
    assert find_verdict_conflict([elsewhere, no], question) == ("", [])
    same_place = made("e", "职工医保可以报销美容费用。")
    assert find_verdict_conflict([same_place, no], question)[0] == "报销美容费用"


def test_question_without_a_permission_modal_is_never_flagged():
    yes = made("a", "社保和医保可以分开缴纳。")
    no = made("b", "社保和医保不能分开缴纳。")
    assert find_verdict_conflict([yes, no], "社保和医保怎么分开交") == ("", [])
    assert find_verdict_conflict([yes, no], "社保和医保能分开交吗")[0] == "分开交"


def test_a_restated_question_is_no_verdict(corpus_chunks):
    yes = chunk_of(corpus_chunks, "职工社保和医保可以分开缴纳吗")
    texts = [v.text for v in find_verdicts(yes, ["社保", "医保"], "分开交")]
    # not 以下是关于职工社保和医保是否可以分开缴纳的详细解释
    assert texts == ["职工社保和医保可以分开缴纳吗?答案是肯定的", "职工社保和医保可以分开缴纳"]


@pytest.mark.parametrize(
    ("line", "keys", "says"),
    [
        (
            "3. 异地就医 :跨省就医需提前备案,费用结算可通过异地就医结算平台办理。",
            ("异地就医", "提前", "备案"),
            True,
        ),
        ("申请异地就医备案后,您可以按照以下步骤进行就医", ("异地就医", "提前", "备案"), False),
        ("家庭成员必须参加城乡居民医保并处于正常参保状态", ("居民医保", "云闪付"), False),
        ("社保卡金融功能需单独携带身份证到银行柜台办理", ("金融功能", "银行"), False),
    ],
)
def test_a_verdict_names_all_the_question_asks_and_governs_it(line, keys, says):
    assert states_verdict(line, keys) is says
