"""Systems under evaluation: building them, and how yibao's answers become predictions."""

from __future__ import annotations

import pytest

from eval.conversations import Conversation
from eval.gold import GoldItem
from eval.systems import AnswerSystem, build_systems
from qa.types import Answer, Chunk, Citation, Hit, Turn


class StubService:
    """Records each call and answers from a script: refuse "写诗", else cite one source."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Turn, ...]]] = []

    def ask(self, question: str, history=()) -> Answer:
        self.calls.append((question, tuple(history)))
        if "写诗" in question:
            return Answer(question, "抱歉……", refused=True, reason="offtopic", composer="refusal")
        cited = Citation(1, "c1", "d1", "a.txt", "标题", "2025-04-18", "个人缴费400元", 0, 7)
        return Answer(question, "个人缴费400元[1]。", (cited,), reason="", composer="extractive")


def test_predict_asks_without_history_and_keeps_citations():
    service = StubService()
    system = AnswerSystem("yibao", service)  # type: ignore[arg-type]
    pred = system.predict(GoldItem("q1", "合肥居民医保交多少", "answerable"))
    assert service.calls == [("合肥居民医保交多少", ())]
    assert pred.item_id == "q1" and pred.answer == "个人缴费400元[1]。"
    assert not pred.refused and pred.reason == ""
    assert pred.citations[0].text == "个人缴费400元\n资料日期:2025-04-18"


def test_converse_passes_the_earlier_turns_and_the_refusal_reason():
    service = StubService()
    system = AnswerSystem("yibao", service)  # type: ignore[arg-type]
    turns = (Turn("user", "医保码怎么激活"), Turn("assistant", "在APP里激活。"))
    pred = system.converse(Conversation("c1", turns, "帮我写诗", "refuse", "offtopic"))
    assert service.calls == [("帮我写诗", turns)]
    assert pred.item_id == "c1" and pred.refused and pred.reason == "offtopic"


def test_unknown_system_is_a_clear_error(eval_settings):
    with pytest.raises(ValueError, match="未知系统"):
        build_systems(["yibao", "magic"], eval_settings)


def test_a_citation_reaching_past_its_chunk_is_scored_on_the_quote_too():
    chunk = Chunk("c1", "d1", "a.txt", "snippet", "标题", "个人缴费400元", 0, 7)
    quote = "个人缴费400元,财政补助670元"
    cited = Citation(1, "c1", "d1", "a.txt", "标题", None, quote, 0, len(quote))

    class Service:
        def ask(self, question: str, history=()) -> Answer:
            return Answer(question, f"{quote}[1]", (cited,), hits=(Hit(chunk, 1, 1.0),))

    system = AnswerSystem("yibao", Service())  # type: ignore[arg-type]
    text = system.predict(GoldItem("q1", "合肥居民医保交多少", "answerable")).citations[0].text
    assert text == f"个人缴费400元\n{quote}\n资料日期:未注明"
