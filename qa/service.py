"""Wiring: load the index and embedder, and answer questions end to end.

A question walks one way: follow-up resolution → retrieval → refusal decision → composer
(extractive, or an LLM when configured) → disclaimer appended here, on every path.

Example:
    >>> service = AnswerService.load(Settings())
    >>> print(service.ask("怎么激活医保码").text)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from qa.answering.disclaimer import with_disclaimer
from qa.embedders.factory import build_embedder, model_id_for
from qa.index.hybrid import HybridIndex
from qa.retrieval.followups import contextualize
from qa.retrieval.retriever import HybridRetriever
from qa.settings import Settings
from qa.types import Answer, Document, Turn

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
ERROR_TEXT = "抱歉,生成回答时出现了问题,请稍后再试或换个问法。"


def load_retriever(settings: Settings) -> HybridRetriever:
    """Load the live index (refusing a model mismatch before loading the model) and its embedder."""
    index = HybridIndex.load(settings.index_dir, model_id=model_id_for(settings))
    embedder = build_embedder(settings)
    return HybridRetriever(index, embedder, settings)


class InvalidQuestionError(ValueError):
    """The question is empty, too long or contains control characters (message in Chinese)."""


def validate_question(question: str) -> str:
    """The stripped question, or ``InvalidQuestionError`` saying what is wrong."""
    text = (question or "").strip()
    if not text:
        raise InvalidQuestionError("问题不能为空。")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(f"问题太长了(最多 {MAX_QUESTION_CHARS} 个字)。")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        raise InvalidQuestionError("问题中含有无法识别的控制字符。")
    return text


class AnswerService:
    """Answers questions from the index with citations, refusals and the disclaimer."""

    def __init__(self, settings: Settings, retriever: HybridRetriever) -> None:
        from qa.answering.extractive import ExtractiveComposer
        from qa.refusal.decision import load_calibration

        self.settings = settings
        self.retriever = retriever
        self.documents: dict[str, Document] = {d.doc_id: d for d in retriever.index.documents}
        self.refusal_model = load_calibration(settings.calibration_path)
        self.composer = ExtractiveComposer(settings)
        self.llm = None
        if settings.llm_base_url:
            from qa.answering.llm import LlmComposer

            self.llm = LlmComposer(settings, fallback=self.composer)

    @classmethod
    def load(cls, settings: Settings) -> AnswerService:
        """Build the service from the index and model the settings name."""
        return cls(settings, load_retriever(settings))

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        """Answer ``question`` (validated) given earlier turns; never raises on a valid question."""
        question = validate_question(question)
        started = time.perf_counter()
        try:
            answer = self._answer(question, history, top_k or self.settings.top_k)
        except Exception:  # an error answer still ends with the disclaimer
            logger.exception("answer failed")
            answer = Answer(question, with_disclaimer(ERROR_TEXT), reason="error", composer="error")
        answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return answer

    def _answer(self, question: str, history: Sequence[Turn], top_k: int) -> Answer:
        from qa.refusal.decision import decide
        from qa.refusal.intent import classify_intent

        query = contextualize(question, history, self.settings.max_history_turns)
        retrieval = self.retriever.retrieve(query, top_k=max(top_k, 10))
        hits, timings = tuple(retrieval.hits), dict(retrieval.timings_ms)
        decision = decide(query, list(hits), self.refusal_model, intent=classify_intent(question))
        if decision.refuse:
            logger.info("refused kind=%s score=%.3f", decision.kind, decision.score)
            return self._refusal(question, query, decision, hits, timings)
        started = time.perf_counter()
        question_regions = retrieval.query.regions if retrieval.query else ()
        composer = self.llm or self.composer
        composition = composer.compose(query, hits[:top_k], self.documents, question_regions)
        timings["compose"] = (time.perf_counter() - started) * 1000
        if not composition.citations:  # nothing relevant enough to quote
            return self._refusal(question, query, decision.as_not_found(), hits, timings)
        return Answer(
            question=question,
            text=with_disclaimer(composition.body),
            citations=composition.citations,
            hits=hits,
            notes=composition.notes,
            reason=composition.reason,
            composer=composition.composer,
            timings_ms=timings,
        )

    def _refusal(self, question, query, decision, hits, timings) -> Answer:  # type: ignore[no-untyped-def]
        from qa.refusal.decision import refusal_text, suggest_questions

        suggestions = suggest_questions(query, self.retriever.index.chunks)
        return Answer(
            question=question,
            text=with_disclaimer(refusal_text(decision, question, suggestions)),
            refused=True,
            hits=hits,
            reason=decision.kind,
            composer="refusal",
            timings_ms=timings,
        )
