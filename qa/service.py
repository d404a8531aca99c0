"""Wiring: load the index and embedder, and answer questions end to end.

A question walks one way: validation → understanding (follow-ups resolved, one ``Question``)
→ retrieval → refusal decision → composer (extractive, or an LLM when configured) → disclaimer
appended here, on every path.

Example:
    >>> service = AnswerService.load(Settings())
    >>> print(service.ask("怎么激活医保码").text)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from qa.answering.disclaimer import with_disclaimer
from qa.answering.extractive import Composer, ExtractiveComposer
from qa.answering.llm import LlmComposer
from qa.answering.unit_answer import ADDED_LABEL, UnitComposer
from qa.embedders.base import Embedder
from qa.embedders.factory import backend_for, build_embedder, model_id_for
from qa.refusal.calibration import load_calibration
from qa.refusal.composed import refuse_composed
from qa.refusal.decision import RefusalDecision, decide, route_away, unknown_terms
from qa.refusal.messages import SuggestionPool, refusal_text, suggest_questions
from qa.refusal.title_only import LinkTitleIndex, title_only_link
from qa.retrieval.known import load_known
from qa.retrieval.question import understand
from qa.retrieval.retriever import HybridRetriever
from qa.settings import Settings
from qa.stores.base import DocumentLookup
from qa.stores.factory import load_index
from qa.text.normalize import has_control_chars
from qa.types import Answer, Document, Hit, Question, Turn

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
ERROR_TEXT = "抱歉,生成回答时出现了问题,请稍后再试或换个问法。"


def load_retriever(settings: Settings, embedder: Embedder | None = None) -> HybridRetriever:
    """Load the live index (refusing a model mismatch before loading the model) and its embedder.

    ``embedder``: one already loaded for these settings (a reload after a reindex reuses the
    live service's model instead of loading a second copy).
    """
    index = load_index(settings, model_id=model_id_for(settings), backend=backend_for(settings))
    retriever = HybridRetriever(index, embedder or build_embedder(settings), settings)
    retriever.known = load_known(settings, retriever.store.chunks, retriever.embedder)
    return retriever


class InvalidQuestionError(ValueError):
    """The question is empty, too long or contains control characters (message in Chinese)."""


def validate_question(question: str) -> str:
    """The stripped question, or ``InvalidQuestionError`` saying what is wrong."""
    text = (question or "").strip()
    if not text:
        raise InvalidQuestionError("问题不能为空。")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(f"问题太长了(最多 {MAX_QUESTION_CHARS} 个字)。")
    if has_control_chars(text):
        raise InvalidQuestionError("问题中含有无法识别的控制字符。")
    return text


def error_answer(question: str) -> Answer:
    """What the user reads when answering failed: an apology, with the disclaimer."""
    return Answer(question, with_disclaimer(ERROR_TEXT), reason="error", composer="error")


class AnswerService:
    """Answers questions from the index with citations, refusals and the disclaimer."""

    def __init__(self, settings: Settings, retriever: HybridRetriever) -> None:
        self.settings = settings
        self.retriever = retriever
        self.documents: Mapping[str, Document] = DocumentLookup(retriever.store)
        self.refusal_model = load_calibration(settings.calibration_path)
        self.suggestions = SuggestionPool.build(retriever.store.chunks)  # once per index
        self.link_titles = LinkTitleIndex.build(retriever.store.link_titles)
        self.extractive = ExtractiveComposer(settings)
        self.composer: Composer = self.extractive
        if settings.composer == "units":
            self.composer = UnitComposer(settings, self.extractive)
        self.llm = LlmComposer(settings, fallback=self.composer) if settings.llm_base_url else None

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> AnswerService:
        """Build the service from the index and model the settings name (or ``embedder``)."""
        return cls(settings, load_retriever(settings, embedder))

    @property
    def index_version(self) -> str:
        """The index version folder this service answers from."""
        return self.retriever.index.version

    def understand(self, question: str, history: Sequence[Turn] = ()) -> Question:
        """``question`` (validated) understood in the context of ``history``."""
        return understand(validate_question(question), history, self.settings.max_history_turns)

    def ask(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        """Answer ``question`` (validated) given earlier turns; never raises on a valid question."""
        asked = validate_question(question)
        started = time.perf_counter()
        try:
            understood = understand(asked, history, self.settings.max_history_turns)
            answer = self._answer(understood, top_k or self.settings.top_k)
        except Exception:  # an error answer still ends with the disclaimer
            logger.exception("answer failed")
            answer = error_answer(asked)
        answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
        return answer

    def _answer(self, question: Question, top_k: int) -> Answer:
        routed = route_away(question)  # medical, off-topic, greeting: no encoder, no search
        if routed is not None:
            logger.info("refused kind=%s before retrieval", routed.kind)
            return self._refusal(question, routed, (), {})
        retrieval = self.retriever.retrieve(question, top_k=max(top_k, self.settings.refusal_hits))
        hits, timings = tuple(retrieval.hits), dict(retrieval.timings_ms)
        s = self.settings
        decision = decide(
            question, hits, self.refusal_model, s.refusal_coverage_hits, s.refusal_context_hits
        )
        if not decision.refuse and (unknown := self._unknown_terms(question)):
            decision = decision.unnamed(unknown)
        if decision.refuse:
            logger.info("refused kind=%s score=%.3f", decision.kind, decision.score)
            return self._refusal(question, decision, hits, timings)
        started = time.perf_counter()
        composition = (self.llm or self.composer).compose(question, hits[:top_k], self.documents)
        timings["compose"] = (time.perf_counter() - started) * 1000
        if not composition.citations:  # nothing relevant enough to quote
            return self._refusal(question, decision.as_not_found(), hits, timings)
        cited = {c.chunk_id for c in composition.citations}
        quoted = [h.chunk.regions for h in hits if h.chunk.chunk_id in cited]
        lines = [line for line in composition.body.splitlines() if line not in composition.notes]
        shown = lines[: lines.index(ADDED_LABEL)] if ADDED_LABEL in lines else lines
        primary = "\n".join([composition.citations[0].title, *shown])  # what a comparison names
        if only := self._title_only(question, quoted):  # 郑州断交: only a link title says
            return self._refusal(question, decision.title_only(*only), hits, timings)
        if late := refuse_composed(
            question, decision, quoted, lines, composition.unstated, primary, composition.notes
        ):
            logger.info("refused kind=%s after composing: %s", late.kind, "、".join(late.missing))
            return self._refusal(question, late, hits, timings)
        return Answer(
            question=question.asked,
            text=with_disclaimer(composition.body),
            citations=composition.citations,
            hits=hits,
            notes=composition.notes,
            reason=composition.reason,
            composer=composition.composer,
            timings_ms=timings,
        )

    def _title_only(
        self, question: Question, quoted: list[tuple[str, ...]]
    ) -> tuple[str, str] | None:
        """The asked place and the bare link title the question is about, if any."""
        substrings = self.retriever.store.substrings
        found = title_only_link(
            question, self.link_titles, quoted, substrings.count, substrings.n_documents
        )
        return (found[0], found[1].title) if found else None

    def _unknown_terms(self, question: Question) -> tuple[str, ...]:
        """Key terms naming a thing no document mentions (``qa.refusal.decision.unknown_terms``)."""
        substrings = self.retriever.store.substrings  # only whether a count is 0 matters
        return unknown_terms(question, lambda term: substrings.count(term, limit=1))

    def _refusal(
        self,
        question: Question,
        decision: RefusalDecision,
        hits: tuple[Hit, ...],
        timings: dict[str, float],
    ) -> Answer:
        nearby = [h.chunk.title for h in hits]
        suggestions = suggest_questions(
            question, self.suggestions, self.settings.refusal_suggestions, nearby
        )
        return Answer(
            question=question.asked,
            text=with_disclaimer(refusal_text(decision, question, suggestions)),
            refused=True,
            hits=hits,
            reason=decision.kind,
            composer="refusal",
            timings_ms=timings,
        )
