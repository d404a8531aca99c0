"""LangChain integration: yibao as a ``BaseRetriever`` and as a ``Runnable`` that answers.

Example:
    >>> from langchain_core.runnables import RunnableLambda
    >>> service = AnswerService.load(Settings())
    >>> retriever = YibaoRetriever(retriever=service.retriever, k=3)
    >>> chain = RunnableLambda(lambda x: x["q"]) | YibaoAnswerRunnable(service)
    >>> chain.invoke({"q": "怎么激活医保码"}).citations[0].title
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ConfigDict

from qa.types import Answer, Hit, Turn


def hit_to_document(hit: Hit) -> LCDocument:
    """A LangChain document for a hit; metadata is :meth:`qa.types.Hit.to_dict` without text."""
    record = hit.to_dict()
    return LCDocument(page_content=record.pop("text"), metadata=record)


class YibaoRetriever(BaseRetriever):
    """yibao's hybrid retriever behind LangChain's retriever interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    """A ``qa.retrieval.retriever.HybridRetriever``."""
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = self.retriever.search(query, top_k=self.k, mode=self.mode)
        return [hit_to_document(h) for h in hits]


class YibaoAnswerRunnable(Runnable[Any, Answer]):
    """Answers a question with citations and the disclaimer.

    Input: a question string, or ``{"question": str, "history": [{"role", "content"}]}``.
    Output: the structured :class:`qa.types.Answer`.
    """

    def __init__(self, service: Any) -> None:
        self.service = service

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        if isinstance(input, str):
            return self.service.ask(input)
        if isinstance(input, dict) and "question" in input:
            turns = [Turn(t["role"], t["content"]) for t in input.get("history") or []]
            return self.service.ask(str(input["question"]), turns)
        raise TypeError("输入应为问题字符串,或包含 question 字段的字典。")
