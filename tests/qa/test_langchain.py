"""yibao inside LangChain: a BaseRetriever and a Runnable in an LCEL chain."""

import pytest
from langchain_core.documents import Document as LCDocument
from langchain_core.runnables import RunnableLambda

from qa.answering.disclaimer import DISCLAIMER
from qa.langchain import YibaoAnswerRunnable, YibaoRetriever
from qa.service import AnswerService
from tests.conftest import corpus_index, on_store


@pytest.fixture(scope="module")
def service(tmp_path_factory, store):
    """Rules only (the scores of fake vectors mean nothing), on either store."""
    return AnswerService.load(on_store(corpus_index(tmp_path_factory), store))


def test_retriever_returns_documents_with_citation_metadata(service):
    docs = YibaoRetriever(retriever=service.retriever, k=3).invoke("合肥居民医保网上缴费")
    assert len(docs) == 3 and all(isinstance(d, LCDocument) for d in docs)
    assert {"chunk_id", "doc_id", "source", "title", "date", "start", "end", "score"} <= set(
        docs[0].metadata
    )
    assert any("合肥" in d.metadata["title"] for d in docs)


def test_retriever_in_an_lcel_chain(service):
    chain = YibaoRetriever(retriever=service.retriever, k=2) | RunnableLambda(
        lambda docs: [d.metadata["source"] for d in docs]
    )
    sources = chain.invoke("家庭共济怎么绑定")
    assert len(sources) == 2 and all(s.endswith(".txt") for s in sources)


def test_answer_runnable_in_an_lcel_chain(service):
    chain = RunnableLambda(lambda x: {"question": x["q"], "history": []}) | YibaoAnswerRunnable(
        service
    )
    answer = chain.invoke({"q": "家庭共济怎么绑定家人"})
    assert answer.citations and answer.text.endswith(DISCLAIMER)
    follow = YibaoAnswerRunnable(service).invoke(
        {"question": "合肥呢", "history": [{"role": "user", "content": "南宁城乡居民医保怎么交"}]}
    )
    assert any("合肥" in h.chunk.title for h in follow.hits[:3])
    assert YibaoAnswerRunnable(service).batch(["你好"])[0].refused


def test_answer_runnable_rejects_bad_input(service):
    with pytest.raises(TypeError):
        YibaoAnswerRunnable(service).invoke(42)
