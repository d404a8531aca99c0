"""Systems under evaluation: yibao's own retriever in each mode, and how to build them all.

``yibao`` runs end to end (refusal decision and cited answer) and also answers conversations
(a message with the earlier turns as history). The retrieval-only systems (our ``bm25`` and
``dense`` modes, and the LangChain baselines) answer with their top chunk and cite it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eval.conversations import Conversation
from eval.gold import (
    CitedPassage,
    GoldItem,
    Prediction,
    RetrievedChunk,
    System,
    asked_in,
    top_chunk_prediction,
)
from ingest.pipeline import run_ingest
from qa.embedders.bundled import ensure_bundled_model
from qa.embedders.fake import FakeEmbedder
from qa.retrieval.known import held_out
from qa.retrieval.retriever import HybridRetriever
from qa.service import AnswerService, load_retriever
from qa.settings import BUNDLED_MODEL, Settings
from qa.types import Hit, SearchMode, Turn

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

#: System name → our retriever's mode.
OWN_SYSTEMS: dict[str, SearchMode] = {"yibao": "hybrid", "bm25": "bm25", "dense": "dense"}
BASELINES = ("langchain-default", "chatchat")
ALL_SYSTEMS = (*OWN_SYSTEMS, *BASELINES)


def to_retrieved(hits: Sequence[Hit]) -> list[RetrievedChunk]:
    """Hits as the metrics see them."""
    return [
        RetrievedChunk(h.chunk.text, h.chunk.source, h.score, h.chunk.chunk_id, h.chunk.title)
        for h in hits
    ]


class RetrieverSystem:
    """yibao's hybrid retriever in one mode; answer = the top chunk (no composer yet)."""

    composes_answers = False

    def __init__(self, name: str, retriever: HybridRetriever, mode: SearchMode, top_k: int = 10):
        self.name = name
        self.retriever = retriever
        self.mode = mode
        self.top_k = top_k

    def predict(self, item: GoldItem) -> Prediction:
        started = time.perf_counter()
        with held_out(asked_in(item.id)):
            result = self.retriever.retrieve(item.question, top_k=self.top_k, mode=self.mode)
        timings = dict(result.timings_ms)
        timings["total"] = (time.perf_counter() - started) * 1000
        return top_chunk_prediction(item, to_retrieved(result.hits), timings)


def _cited_text(chunk: str, quote: str, date: str | None) -> str:
    """The cited chunk, the quoted span when it reaches past the chunk, and the date line."""
    parts = [chunk] if chunk else []
    if quote not in chunk:
        parts.append(quote)
    return "\n".join([*parts, f"资料日期:{date or '未注明'}"])


class AnswerSystem:
    """yibao end to end: retrieval, refusal decision and the cited answer composer."""

    composes_answers = True

    def __init__(self, name: str, service: AnswerService) -> None:
        self.name = name
        self.service = service

    def predict(self, item: GoldItem) -> Prediction:
        return self._ask(item.id, item.question, ())

    def converse(self, conversation: Conversation) -> Prediction:
        """Answer the last message of ``conversation`` with its earlier turns as history."""
        return self._ask(conversation.id, conversation.question, conversation.turns)

    def _ask(self, item_id: str, question: str, history: Sequence[Turn]) -> Prediction:
        with held_out(asked_in(item_id)):
            answer = self.service.ask(question, history)
        chunk_text = {h.chunk.chunk_id: h.chunk.text for h in answer.hits}
        # A cited source is its chunk, the exact span quoted (it may reach past the chunk, when
        # a whole section is quoted) and its date (the answer's 资料日期 note quotes the date).
        citations = [
            CitedPassage(
                c.n,
                _cited_text(chunk_text.get(c.chunk_id, ""), c.quote, c.date),
                c.source,
                c.doc_id,
                c.title,
            )
            for c in answer.citations
        ]
        return Prediction(
            item_id,
            question,
            to_retrieved(answer.hits),
            answer.text,
            citations,
            answer.refused,
            dict(answer.timings_ms),
            answer.reason if answer.refused else "",
        )


def build_systems(names: Sequence[str], settings: Settings) -> list[System]:
    """Create the named systems over the same corpus and embedding model.

    Our own systems share one index (built or refreshed first if stale) and one embedder;
    the baselines build their own in-memory indexes from the raw pages in the corpus folder.
    """
    unknown = [n for n in names if n not in ALL_SYSTEMS]
    if unknown:
        raise ValueError(f"未知系统 {', '.join(unknown)};可选:{', '.join(ALL_SYSTEMS)}")
    systems: list[System] = []
    own = [n for n in names if n in OWN_SYSTEMS]
    if own:
        run_ingest(settings)  # no-op when the index is current
        retriever = load_retriever(settings)
        for name in own:
            if name == "yibao":
                systems.append(AnswerSystem(name, AnswerService(settings, retriever)))
            else:
                systems.append(RetrieverSystem(name, retriever, OWN_SYSTEMS[name]))
    baselines = [n for n in names if n in BASELINES]
    if baselines:
        from eval.baselines import Chatchat, LangChainDefault  # LangChain: heavy

        embeddings = _baseline_embeddings(settings)
        for name in baselines:
            started = time.perf_counter()
            cls = LangChainDefault if name == "langchain-default" else Chatchat
            systems.append(cls(settings.corpus_dir, embeddings))
            logger.info("built baseline name=%s seconds=%.1f", name, time.perf_counter() - started)
    order = {n: i for i, n in enumerate(names)}
    return sorted(systems, key=lambda s: order[s.name])


def _baseline_embeddings(settings: Settings) -> Embeddings:
    """The same embedding model, wrapped the way a LangChain user would wrap it."""
    from eval.baselines import EmbedderEmbeddings, make_embeddings  # LangChain: heavy

    if settings.embedder == "fake":
        return EmbedderEmbeddings(FakeEmbedder(settings.fake_dim))
    folder = settings.embedding_model
    if folder == BUNDLED_MODEL:
        folder = str(ensure_bundled_model(settings.models_dir))
    return make_embeddings(Path(folder))
