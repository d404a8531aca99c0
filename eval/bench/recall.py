"""Recall@k of the served vector signals against exact scans of the same codes.

For each dense signal (passage, title, best sentence piece) the chunk rows the served store
returns for a question are compared with those of an exact twin: the same codes scanned
flat (``IndexHNSWSQ.storage``; an ``IntegerScan``'s store, not its integer codes), through
the same title and piece logic. A plain flat store is its own twin (recall 1.0).
:func:`pooled_piece_recall` compares the pooled piece ranking (``YIBAO_PIECE_SEARCH=pool``:
only the chunks the other signals found) with the exact scan of every piece.

Example:
    >>> signal_recall(service.retriever.store.index, embedder, questions, k=30)
    {'passage': 0.996, 'title': 0.998, 'piece': 0.993}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faiss
import numpy as np

from eval.gold import DEFAULT_GOLD, SEALED, load_gold, split_items
from qa.embedders.base import Embedder
from qa.index.hybrid import HybridIndex
from qa.index.sentences import SentenceIndex
from qa.index.titles import TitleIndex
from qa.index.vectorstore import is_ann, search
from qa.retrieval.question import understand
from qa.retrieval.retriever import HybridRetriever
from qa.stores.integer_scan import IntegerScan
from qa.stores.local import LocalStore


def gold_questions() -> list[str]:
    """The dev + test gold questions (never the sealed ones)."""
    return [it.question for it in split_items(load_gold(DEFAULT_GOLD), "all") if it.split != SEALED]


def _exact(store: Any) -> Any:
    plain = store.store if isinstance(store, IntegerScan) else store  # its exact decoding
    return faiss.downcast_index(plain.storage) if is_ann(plain) else plain


def signal_recall(
    index: HybridIndex, embedder: Embedder, questions: Sequence[str], k: int = 30
) -> dict[str, float]:
    """Mean share of the exact top ``k`` chunk rows each served signal returns."""
    titles, pieces = index.titles, index.sentences
    exact_titles = TitleIndex(titles.bm25, _exact(titles.vectors), titles.keys, titles.owner)
    exact_pieces = SentenceIndex(_exact(pieces.vectors), pieces.spans, pieces.keys)
    pairs = {
        "passage": (
            lambda q: search(index.vectors, q, k),
            lambda q: search(_exact(index.vectors), q, k),
        ),
        "title": (lambda q: titles.dense_top(q, k), lambda q: exact_titles.dense_top(q, k)),
        "piece": (lambda q: pieces.best_top(q, k), lambda q: exact_pieces.best_top(q, k)),
    }
    vectors = embedder.embed_queries(list(questions))
    out = {}
    for name, (served, exact) in pairs.items():
        shares = []
        for q in vectors:
            truth = {row for row, _ in exact(q)}
            shares.append(len(truth & {row for row, _ in served(q)}) / max(len(truth), 1))
        out[name] = round(float(np.mean(shares)), 4)
    return out


def pooled_piece_recall(retriever: HybridRetriever, questions: Sequence[str], k: int = 30) -> float:
    """Mean share of the exact top ``k`` best-piece chunks (every piece scanned) that the
    retriever's pooled ``sentence_dense`` ranking holds."""
    pieces = retriever.store.index.sentences if isinstance(retriever.store, LocalStore) else None
    if pieces is None:
        raise ValueError("pooled piece recall needs a local index")
    exact_pieces = SentenceIndex(_exact(pieces.vectors), pieces.spans, pieces.keys)
    pooled = retriever.settings.model_copy(update={"piece_search": "pool"})
    served = HybridRetriever(retriever.store, retriever.embedder, pooled)
    shares = []
    for question in questions:
        info = understand(question)
        if not info.text:
            continue
        vector = retriever.embedder.embed_queries([info.embedding_text or info.text])[0]
        truth = {row for row, _ in exact_pieces.best_top(vector, k)}
        found = {row for row, _ in served.signals(info, k).get("sentence_dense", [])}
        shares.append(len(truth & found) / max(len(truth), 1))
    return round(float(np.mean(shares)), 4) if shares else 1.0
