"""AnswerService end to end with the fake embedder: every path ends with the disclaimer.

Runs on both stores (``store`` fixture): the same answers from the local files and milvus-lite.
"""

import re

import pytest

from qa.answering.disclaimer import DISCLAIMER
from qa.refusal.calibration import FALLBACK_MODEL
from qa.service import AnswerService, InvalidQuestionError
from qa.types import Turn
from tests.conftest import corpus_index, on_store


@pytest.fixture(scope="module")
def service(tmp_path_factory, store):
    """Rules only: the scores of fake vectors mean nothing."""
    service = AnswerService.load(on_store(corpus_index(tmp_path_factory), store))
    assert service.refusal_model == FALLBACK_MODEL
    assert type(service.retriever.store).__name__ == f"{store.title()}Store"
    return service


def _check_citations(service, answer):
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert service.documents[c.doc_id].text[c.start : c.end] == c.quote


def test_answer_cites_and_ends_with_disclaimer(service):
    answer = service.ask("家庭共济怎么绑定家人")
    assert not answer.refused and answer.citations
    assert answer.text.endswith(DISCLAIMER) and answer.text.count(DISCLAIMER) == 1
    _check_citations(service, answer)
    assert any("家庭共济" in c.title for c in answer.citations)
    assert {"embed", "search", "fuse", "compose", "total"} <= set(answer.timings_ms)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("你好", "greeting"),
        ("鹤壁嘴角开裂去哪家医院看比较好", "medical"),
        ("今天股票大盘怎么样", "offtopic"),
    ],
)
def test_routed_refusals_end_with_disclaimer(service, question, kind):
    answer = service.ask(question)
    assert answer.refused and answer.reason == kind and not answer.citations
    assert answer.text.endswith(DISCLAIMER) and answer.text.count(DISCLAIMER) == 1
    assert "[1]" not in answer.text


def test_medical_refusal_recommends_no_hospital(service):
    answer = service.ask("鹤壁腋下疼痛去哪家医院好")
    assert answer.refused and "医院" in answer.text
    assert "鹤壁市人民医院" not in answer.text


def test_error_answer_still_has_disclaimer(service, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("composer crashed")

    monkeypatch.setattr(service.composer, "compose", boom)
    answer = service.ask("家庭共济怎么绑定家人")
    assert answer.composer == "error" and answer.text.endswith(DISCLAIMER)


@pytest.mark.parametrize("bad", ["", "   ", "问" * 501, "医保\x00码"])
def test_invalid_questions_raise_clear_errors(service, bad):
    with pytest.raises(InvalidQuestionError):
        service.ask(bad)


def test_follow_up_inherits_topic_in_a_three_turn_dialogue(service):
    first = service.ask("家庭共济怎么绑定家人")
    history = [
        Turn("user", "家庭共济怎么绑定家人"),
        Turn("assistant", first.text),
        Turn("user", "支付宝能绑吗"),
        Turn("assistant", "…"),
    ]
    answer = service.ask("那线下怎么办", history)
    assert not answer.refused, answer.text
    assert any("共济" in c.title for c in answer.citations)
    assert answer.text.endswith(DISCLAIMER)


def test_elliptical_follow_up_is_answered_not_refused(service):
    """The bug this guards: the intent of "那线下怎么办" alone is off-topic."""
    answer = service.ask("那线下怎么办", [Turn("user", "怎么激活医保码")])
    assert not answer.refused and answer.reason != "offtopic", answer.text
    assert any("激活" in c.title for c in answer.citations)
    _check_citations(service, answer)


def test_region_follow_up_swaps_place(service):
    history = [Turn("user", "南宁居民医保怎么交"), Turn("assistant", "…")]
    answer = service.ask("合肥呢", history)
    assert not answer.refused, answer.text
    assert any("合肥" in c.title or "合肥" in c.quote for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("那今天天气怎么样", "offtopic"),
        ("那我发烧了该吃什么药", "medical"),
        ("那拉萨呢", "region"),
    ],
)
def test_follow_ups_that_must_still_be_refused(service, question, reason):
    answer = service.ask(question, [Turn("user", "合肥居民医保一年交多少钱")])
    assert answer.refused and answer.reason == reason, answer.text


def test_a_new_full_question_is_not_polluted_by_the_previous_one(service):
    question = service.understand("家庭共济怎么绑定", [Turn("user", "怎么激活医保码")])
    assert question.standalone == "家庭共济怎么绑定" and not question.follow_up
    answer = service.ask("那异地就医怎么备案", [Turn("user", "怎么激活医保码")])
    assert "激活" not in " ".join(h.chunk.title for h in answer.hits[:3])


def test_a_question_across_two_cities_is_answered_from_the_remote_care_passages(service):
    """在A地参保去B地看病 is an 异地就医 question, not a local figure of an unknown place."""
    answer = service.ask("我在深圳交的医保去广州看病能报吗")
    assert not answer.refused, answer.text
    assert any("异地就医" in c.quote for c in answer.citations)
    assert "深圳" in answer.text  # the region note says the sources are not about 深圳


def test_moving_the_insurance_of_one_named_place_elsewhere_is_answered(service):
    """郑州 is in no passage, but 转到外地 is a 参保地变更 question, not a local figure."""
    answer = service.ask("郑州的医保能转到外地吗")
    assert not answer.refused, answer.text
    assert any("参保地" in c.quote for c in answer.citations)
    assert "郑州" in answer.text  # the region note says the sources are not about 郑州


def test_a_request_to_pay_for_the_user_says_what_the_assistant_can_do(service):
    answer = service.ask("你们能帮我交医保吗")
    assert answer.refused and answer.reason == "service" and not answer.hits
    assert "不能替您缴费" in answer.text and answer.text.endswith(DISCLAIMER)


def test_a_local_amount_quoted_only_from_passages_about_no_asked_place_is_refused(service):
    """汕头 is named in the corpus (other topics), so retrieval lets the question through; the
    composed answer would quote a figure about no place, and is refused as ``region``."""
    answer = service.ask("汕头城乡居民医保一年交多少钱")
    assert answer.refused and answer.reason == "region", answer.text
    assert "汕头" in answer.text and not answer.citations
    assert answer.text.endswith(DISCLAIMER)
    kept = service.ask("合肥居民医保一年交多少钱")  # its own figures are quoted
    assert not kept.refused and any("合肥" in c.title + c.quote for c in kept.citations)


def test_a_question_only_a_bare_link_title_is_about_is_refused_naming_it(service):
    """Seed 003's link list names a 郑州 补交 article the corpus does not hold: the general
    补缴 passages are not passed off as its answer; the refusal names the title."""
    answer = service.ask("郑州的医保断交了大半年了,现在还让补不")
    assert answer.refused and answer.reason == "region", answer.text
    assert "《郑州医疗保险断交了几个月能补交吗?》" in answer.text and not answer.citations
    assert answer.text.endswith(DISCLAIMER)
    assert not service.ask("医保断交了大半年了,现在还让补不").refused  # no place: answered


def test_a_fee_the_corpus_never_names_is_not_answered_with_its_neighbours(service):
    """滞纳金 is in no document: the 补缴 passages retrieved for it do not answer it."""
    answer = service.ask("医保断交了再补缴,要交滞纳金吗")
    assert answer.refused and answer.reason == "not_found", answer.text
    assert "滞纳金" in answer.text and not answer.citations
    assert not service.ask("断缴后补缴有等待期吗").refused  # the neighbours still answer


def test_a_time_or_count_no_quoted_line_states_is_refused_saying_what_is_missing(service):
    """The 家庭共济 passages say how to bind, not how long approval takes: the answer would
    quote a neighbouring passage, so it is refused as ``not_found``, naming what is missing."""
    answer = service.ask("共济绑定提交审核以后一般几天能审核通过")
    assert answer.refused and answer.reason == "not_found", answer.text
    assert "没有写明您问的时间" in answer.text and not answer.citations
    assert answer.text.endswith(DISCLAIMER)
    kept = service.ask("合肥居民医保什么时候交")  # its dates are quoted
    assert not kept.refused and "9月1日" in kept.text
