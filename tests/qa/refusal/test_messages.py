"""What a refusal says, and the questions it suggests instead."""

from __future__ import annotations

from qa.answering.disclaimer import DISCLAIMER
from qa.refusal.decision import RefusalDecision, decide
from qa.refusal.messages import (
    FALLBACK_SUGGESTIONS,
    candidate_questions,
    refusal_text,
    suggest_questions,
)
from qa.retrieval.question import understand
from qa.text.normalize import fold
from qa.types import Hit, Section
from tests.qa.refusal.hits import ACTIVATE, FAMILY, HOSPITAL, HOSPITAL_TEXT, NEVER, hit


def _refusal(question: str, hits: list[Hit], documents) -> tuple[RefusalDecision, str]:
    decision = decide(understand(question), hits, NEVER)
    return decision, refusal_text(
        decision, understand(question), suggest_questions(understand(question), documents)
    )


def _numbered(text: str) -> list[str]:
    """The suggestion lines (bulleted, never numbered: a refusal states no figures)."""
    assert not any(ch.isdigit() for ch in text), text
    return [line for line in text.splitlines() if line.startswith("• ")]


def test_not_found_text_names_what_is_missing(corpus_documents):
    decision, text = _refusal("北京门诊报销起付线是多少", [ACTIVATE, FAMILY], corpus_documents)
    assert decision.kind == "region"
    assert "资料库中没有找到关于“北京门诊起付线”的内容。" in text
    assert "北京" in text and 2 <= len(_numbered(text)) <= 3
    assert DISCLAIMER not in text and "不能代替面诊" not in text
    _, text = _refusal("工伤认定一般要多久", [ACTIVATE], corpus_documents)
    assert "“工伤认定”" in text and 2 <= len(_numbered(text)) <= 3


def test_medical_text_recommends_no_hospital(corpus_documents):
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.95, 12.0, ("鹤壁", "河南"))
    decision, text = _refusal("鹤壁腋下疼痛去哪家医院好", [lure], corpus_documents)
    assert decision.kind == "medical"
    assert "这属于医疗健康问题,建议尽快到正规医院就诊,咨询医生。" in text
    assert "鹤壁" not in text and "人民医院" not in text and "整形" not in text
    assert 2 <= len(_numbered(text)) <= 3 and DISCLAIMER not in text


def test_greeting_and_offtopic_texts(corpus_documents):
    _, text = _refusal("你好", [], corpus_documents)
    assert text.startswith("您好") and "医保码" in text and len(_numbered(text)) == 3
    _, text = _refusal("茅台股票现在能买吗", [ACTIVATE], corpus_documents)
    assert "不在我能回答的范围" in text and len(_numbered(text)) == 3
    assert DISCLAIMER not in text


# --------------------------------------------------------------------------- suggestions


def test_suggestions_are_question_titles_never_hospital_ads(corpus_documents):
    candidates = candidate_questions(corpus_documents)
    assert "医保从来没用过怎么激活" in candidates
    assert "汕头手机上怎么更换医疗保险参保地" in candidates  # a section heading
    assert "如果医疗保险想更换参保地该如何更换?" in candidates  # date suffix removed
    assert not any("鹤壁" in c or "医院" in c for c in candidates)
    for question in ("鹤壁腋下疼痛去哪家医院好", "排尿困难去哪家医院", "医保断交了怎么补", "你好"):
        suggestions = suggest_questions(understand(question), corpus_documents)
        assert 2 <= len(suggestions) <= 3
        assert not any("鹤壁" in s or "医院" in s for s in suggestions)


def test_suggestions_nearest_first_then_fallback(corpus_documents):
    assert (
        suggest_questions(understand("医保漏交一个月怎么办"), corpus_documents)[0]
        == "医保中间漏交一个月要紧吗"
    )
    assert suggest_questions(understand("你好"), corpus_documents) == list(FALLBACK_SUGGESTIONS[:3])
    assert suggest_questions(understand("你好"), [], k=2) == list(FALLBACK_SUGGESTIONS[:2])


def test_suggestions_from_chunks_and_sections():
    chunks = [ACTIVATE.chunk, hit(HOSPITAL, HOSPITAL_TEXT).chunk]
    assert (
        suggest_questions(understand("医保码怎么激活"), chunks, k=3)[0] == "医保从来没用过怎么激活"
    )
    assert HOSPITAL not in suggest_questions(understand("腋下疼痛去哪家医院"), chunks)

    class Doc:  # a Document-like object with question-like sections
        title = "首次缴纳城乡居民医疗保险怎么交"
        sections = (Section("错过了城乡居民医疗保险的缴费期限怎么办", 0, 1),)

    assert "错过了城乡居民医疗保险的缴费期限怎么办" in candidate_questions([Doc()])


def test_retrieved_titles_come_before_the_general_fallback(corpus_documents):
    """滞纳金 shares no title's words; the 补缴 chunks retrieved for it name nearer questions
    than the general fallback, in retrieval order, question-like titles only."""
    question = understand("要交滞纳金吗")
    alone = suggest_questions(question, corpus_documents)
    assert alone == list(FALLBACK_SUGGESTIONS[:3])
    nearby = [
        "医保中间漏交一个月要紧吗",
        "山东德州社保基数15500扣税多少",
        "从来没交过医保的人怎么办",
    ]
    near = suggest_questions(question, corpus_documents, nearby=nearby)
    assert near[:2] == ["医保中间漏交一个月要紧吗", "从来没交过医保的人怎么办"]  # no figure title
    assert near[2] == FALLBACK_SUGGESTIONS[0]


def test_a_pool_built_once_suggests_what_the_chunks_do(corpus_chunks):
    from qa.refusal.messages import SuggestionPool

    pool = SuggestionPool.build(corpus_chunks)
    assert pool.candidates == tuple(candidate_questions(corpus_chunks))
    for text in ["医保码怎么激活", "北京门诊报销起付线是多少", "你好", "家庭共济", "合肥居民医保"]:
        question = understand(text)
        assert suggest_questions(question, pool) == suggest_questions(question, corpus_chunks)
    ranked = pool.ranked("家庭共济怎么绑")
    assert ranked and all(score > 0 for score, _ in ranked)  # only titles sharing a bigram
    assert [s for s, _ in ranked] == sorted((s for s, _ in ranked), reverse=True)
    assert len(ranked) < len(pool.candidates)
    for n in (1, 3, 7, len(ranked) + 5):  # a partial selection is the sorted list's head
        assert pool.ranked("家庭共济怎么绑", n) == ranked[:n]
    question = understand("家庭共济怎么绑定家人")
    best = pool.candidates[pool.ranked(fold(question.text))[0][1]]
    for k in (1, 2, 3, 5):  # suggestions from the partial ranking start from the full one's best
        suggested = suggest_questions(question, pool, k)
        assert suggested[0] == best and len(suggested) == k


def test_a_missing_term_longer_than_the_topic_quotes_the_question(corpus_documents):
    """Not “密码” (the corpus has 密码) with (未找到:密码忘): the user's own words."""
    decision, text = _refusal("医保卡密码忘了怎么办", [ACTIVATE], corpus_documents)
    assert decision.kind == "not_found"
    assert "资料库中没有找到关于“医保卡密码忘了”的内容。" in text and "未找到" not in text
