"""Two baseline systems, built the way their users build them, over the same raw pages.

Both read every ``.txt`` page under the corpus folder as one LangChain ``Document``
(``source`` = path relative to the folder, i.e. the file name), embed with the same model
as our system and answer with the top chunk's text (no LLM, like our own systems).
Indexes live in memory only: ``FAISS.save_local`` pickles, so it is never called.

* :class:`LangChainDefault` — the LangChain quick-start recipe:
  ``RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)``,
  ``FAISS.from_documents`` and ``similarity_search_with_score(question, k=4)``.
* :class:`Chatchat` — Langchain-Chatchat 0.3.x (``chatchat-space/Langchain-Chatchat``,
  ``libs/chatchat-server/chatchat``): its ``ChineseRecursiveTextSplitter``
  (``server/file_rag/text_splitter/chinese_recursive_text_splitter.py``) with the
  ``settings.py`` defaults ``CHUNK_SIZE=750``, ``OVERLAP_SIZE=150``,
  ``VECTOR_SEARCH_TOP_K=3``, and its ``EnsembleRetrieverService``
  (``server/file_rag/retrievers/ensemble.py``): BM25 over ``jieba.lcut_for_search``
  tokens + FAISS, each ``k=top_k``, fused by ``EnsembleRetriever(weights=[0.5, 0.5])``
  and cut to ``top_k``. Chatchat loads ``.txt`` with ``UnstructuredFileLoader``; we feed
  the raw text instead, so every system sees the same pages.

FAISS keeps LangChain's default L2 distance (what users get); on unit vectors it ranks
exactly like cosine similarity.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jieba
from langchain_classic.retrievers import EnsembleRetriever
from langchain_community.retrievers import BM25Retriever
from langchain_community.vectorstores import FAISS
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from eval.gold import GoldItem, Prediction, RetrievedChunk, top_chunk_prediction
from qa.embedders.base import Embedder

if TYPE_CHECKING:
    from langchain_huggingface import HuggingFaceEmbeddings

logger = logging.getLogger(__name__)

#: Separators of Chatchat's ``ChineseRecursiveTextSplitter`` (regular expressions).
CHATCHAT_SEPARATORS = ["\n\n", "\n", "。|！|？", r"\.\s|\!\s|\?\s", r"；|;\s", r"，|,\s"]


class EmbedderEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over one of our :class:`qa.embedders.factory.Embedder` objects."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


def make_embeddings(model_folder: Path) -> HuggingFaceEmbeddings:
    """``HuggingFaceEmbeddings`` for an e5 folder, with the prefixes its model card asks for.

    Args:
        model_folder: A sentence-transformers folder whose config defines the ``query``
            and ``passage`` prompts (``"query: "`` / ``"passage: "``).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(model_folder),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "prompt_name": "passage"},
        query_encode_kwargs={"normalize_embeddings": True, "prompt_name": "query"},
    )


def load_pages(corpus_dir: Path) -> list[Document]:
    """Every ``.txt`` file under ``corpus_dir`` as one ``Document`` (raw text)."""
    root = Path(corpus_dir)
    docs = [
        Document(p.read_text(encoding="utf-8"), metadata={"source": p.relative_to(root).as_posix()})
        for p in sorted(root.rglob("*.txt"))
    ]
    if not docs:
        raise FileNotFoundError(f"no .txt pages under {root}")
    return docs


def _split(splitter: RecursiveCharacterTextSplitter, corpus_dir: Path, tag: str) -> list[Document]:
    """Split the pages and number the chunks ``<tag>-0``, ``<tag>-1``, ..."""
    chunks = splitter.split_documents(load_pages(corpus_dir))
    for i, chunk in enumerate(chunks):
        chunk.metadata["chunk_id"] = f"{tag}-{i}"
    return chunks


def _split_keep_end(text: str, separator: str, keep_separator: bool) -> list[str]:
    """Split on a regex, keeping each separator at the end of the piece before it."""
    if not separator:
        return list(text)
    if not keep_separator:
        return [s for s in re.split(separator, text) if s]
    parts = re.split(f"({separator})", text)
    splits = ["".join(pair) for pair in zip(parts[0::2], parts[1::2], strict=False)]
    if len(parts) % 2 == 1:
        splits += parts[-1:]
    return [s for s in splits if s]


class ChineseRecursiveTextSplitter(RecursiveCharacterTextSplitter):
    """Chatchat's splitter: paragraph → line → sentence end → clause, separators kept.

    Same algorithm as Chatchat's: a separator stays at the end of its piece, a piece that
    is still too long is split by the next separator, and every chunk is stripped with
    runs of newlines collapsed to one.
    """

    def __init__(
        self,
        separators: list[str] | None = None,
        keep_separator: bool = True,
        is_separator_regex: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            separators=separators or CHATCHAT_SEPARATORS,
            keep_separator=keep_separator,
            is_separator_regex=is_separator_regex,
            **kwargs,
        )

    def _split_text(self, text: str, separators: list[str]) -> list[str]:
        separator, rest = separators[-1], []
        for i, sep in enumerate(separators):
            pattern = sep if self._is_separator_regex else re.escape(sep)
            if sep == "":
                separator = sep
                break
            if re.search(pattern, text):
                separator, rest = sep, separators[i + 1 :]
                break
        pattern = separator if self._is_separator_regex else re.escape(separator)
        splits = _split_keep_end(text, pattern, bool(self._keep_separator))
        joiner = "" if self._keep_separator else separator
        chunks: list[str] = []
        good: list[str] = []  # pieces short enough to merge
        for piece in splits:
            if self._length_function(piece) < self._chunk_size:
                good.append(piece)
                continue
            if good:
                chunks.extend(self._merge_splits(good, joiner))
                good = []
            chunks.extend(self._split_text(piece, rest) if rest else [piece])
        if good:
            chunks.extend(self._merge_splits(good, joiner))
        return [re.sub(r"\n{2,}", "\n", c.strip()) for c in chunks if c.strip()]


def _prediction(
    item: GoldItem, chunks: list[RetrievedChunk], search_ms: float, started: float
) -> Prediction:
    timings = {"search": search_ms, "total": (time.perf_counter() - started) * 1000}
    return top_chunk_prediction(item, chunks, timings)


class LangChainDefault:
    """LangChain's default RAG recipe: 500/50 recursive splits, FAISS, top-4 similarity.

    ``RetrievedChunk.score`` is ``1 - d/2`` for FAISS's squared L2 distance ``d``, i.e.
    the cosine similarity when the embeddings are unit vectors.
    """

    name = "langchain-default"
    composes_answers = False

    def __init__(self, corpus_dir: Path, embeddings: Embeddings, k: int = 4) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        self.chunks = _split(splitter, corpus_dir, "lc")
        self.store = FAISS.from_documents(self.chunks, embeddings)
        self.k = k
        logger.info("langchain-default indexed chunks=%d", len(self.chunks))

    def predict(self, item: GoldItem) -> Prediction:
        started = time.perf_counter()
        hits = self.store.similarity_search_with_score(item.question, k=self.k)
        search_ms = (time.perf_counter() - started) * 1000
        chunks = [
            RetrievedChunk(
                d.page_content, d.metadata["source"], 1 - float(dist) / 2, d.metadata["chunk_id"]
            )
            for d, dist in hits
        ]
        return _prediction(item, chunks, search_ms, started)


class Chatchat:
    """Langchain-Chatchat 0.3.x knowledge-base search: BM25 (jieba) + FAISS, RRF-fused.

    Chatchat's FAISS branch is ``as_retriever(search_type="similarity_score_threshold")``
    with ``SCORE_THRESHOLD=2.0``, documented as "2 = no filtering". LangChain, however,
    keeps hits whose *relevance* (``1 - L2/sqrt(2)``, at most 1) is >= the threshold, so
    2.0 drops every dense hit and Chatchat silently runs BM25-only (Chatchat issue #4565).
    By default we follow the documented intent — plain similarity, nothing filtered —
    rather than the bug; pass ``score_threshold=2.0`` to reproduce the literal behaviour.
    Results are cut to ``k``: with ``k=3`` hit@5 equals hit@3. ``score`` stays 0 because
    ``EnsembleRetriever`` returns only an order.

    Args:
        corpus_dir: Folder of raw ``.txt`` pages.
        embeddings: Any LangChain embeddings (the real model or a test adapter).
        k: ``VECTOR_SEARCH_TOP_K`` (Chatchat default 3), per retriever and final.
        chunk_size: ``CHUNK_SIZE`` (default 750 characters).
        chunk_overlap: ``OVERLAP_SIZE`` (default 150 characters).
        score_threshold: None for plain similarity, else Chatchat's thresholded search.
    """

    name = "chatchat"
    composes_answers = False

    def __init__(
        self,
        corpus_dir: Path,
        embeddings: Embeddings,
        k: int = 3,
        chunk_size: int = 750,
        chunk_overlap: int = 150,
        score_threshold: float | None = None,
    ) -> None:
        splitter = ChineseRecursiveTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        self.chunks = _split(splitter, corpus_dir, "cc")
        self.store = FAISS.from_documents(self.chunks, embeddings)
        if score_threshold is None:
            self.dense = self.store.as_retriever(search_kwargs={"k": k})
        else:
            self.dense = self.store.as_retriever(
                search_type="similarity_score_threshold",
                search_kwargs={"score_threshold": score_threshold, "k": k},
            )
        self.bm25 = BM25Retriever.from_documents(
            self.chunks, k=k, preprocess_func=jieba.lcut_for_search
        )
        self.retriever = EnsembleRetriever(retrievers=[self.bm25, self.dense], weights=[0.5, 0.5])
        self.k = k
        logger.info("chatchat indexed chunks=%d", len(self.chunks))

    def search(self, question: str) -> list[Document]:
        """The fused top ``k`` documents for ``question``."""
        return self.retriever.invoke(question)[: self.k]

    def predict(self, item: GoldItem) -> Prediction:
        started = time.perf_counter()
        docs = self.search(item.question)
        search_ms = (time.perf_counter() - started) * 1000
        chunks = [
            RetrievedChunk(d.page_content, d.metadata["source"], 0.0, d.metadata["chunk_id"])
            for d in docs
        ]
        return _prediction(item, chunks, search_ms, started)
