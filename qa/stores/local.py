"""The default store: an adapter over today's ``HybridIndex`` (FAISS stores + bm25s scores).

It computes exactly what the retriever computed before the store seam existed, so rankings,
and therefore answers, are unchanged.

Example:
    >>> store = LocalStore(HybridIndex.load(settings.index_dir, model_id=model_id))
    >>> store.lexical_top("text", ["医保码", "激活"], [], 0.0, 5)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.index.hybrid import HybridIndex
from qa.index.vectorstore import search
from qa.stores.base import LexicalField, Ranked, VectorField
from qa.text.substrings import SubstringIndex
from qa.types import Chunk, Document, LinkTitle


def top_rows(scores: np.ndarray, k: int, floor: float | None = None) -> Ranked:
    """The ``k`` best rows, best first (ties: lower row first), above ``floor``.

    Only the rows scoring above zero are ranked when there are ``k`` of them (BM25: the
    rows holding a query term, usually a small share of a large index); ``np.partition``
    finds the k-th best of them in linear time and only the rows scoring at least that much
    are sorted. Otherwise rows scoring zero follow, lowest row first, as a full sort would.
    """
    if k <= 0 or not len(scores):
        return []
    rows = np.flatnonzero(scores > 0)
    if len(rows) < k:
        if len(rows) + np.count_nonzero(scores == 0) < len(scores):  # negatives: every row
            rows = np.arange(len(scores))
        else:
            rows = np.concatenate([rows, np.flatnonzero(scores == 0)[: k - len(rows)]])
    if k < len(rows):
        part = scores[rows]
        kth = -np.partition(-part, k - 1)[k - 1]  # the k-th best score
        rows = rows[part >= kth]  # all rows tied with it too, for a stable cut
    order = rows[np.lexsort((rows, -scores[rows]))][:k]
    return [(int(r), float(scores[r])) for r in order if floor is None or scores[r] > floor]


@dataclass
class LocalStore:
    """``IndexStore`` over a loaded (or freshly built) ``HybridIndex``."""

    index: HybridIndex
    _documents: dict[str, Document] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._documents = {d.doc_id: d for d in self.index.documents}

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, row ``i`` at position ``i``."""
        return self.index.chunks

    @property
    def documents(self) -> Sequence[Document]:
        """Every document of the index."""
        return self.index.documents

    @property
    def version(self) -> str:
        """The version folder the index was loaded from."""
        return self.index.version

    @property
    def substrings(self) -> SubstringIndex:
        """The index's document frequencies (stored at ingest, memory-mapped)."""
        return self.index.substrings

    @property
    def link_titles(self) -> Sequence[LinkTitle]:
        """The corpus's title-only link-list entries."""
        return self.index.link_titles

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        return self.index.chunks[row]

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        return self._documents.get(doc_id)

    def dense_top(self, field: VectorField, query: np.ndarray, k: int) -> Ranked:
        """The ``k`` best rows by passage, title or best-piece cosine."""
        match field:
            case "passage":
                return search(self.index.vectors, query, min(k, len(self.index.chunks)))
            case "title":
                return self.index.titles.dense_top(query, k)
            case "piece":
                return self.index.sentences.best_top(query, k)
        raise ValueError(f"unknown vector field {field!r}")

    def piece_top(self, query: np.ndarray, rows: Iterable[int], k: int) -> Ranked:
        """The ``k`` of ``rows`` with the best piece cosine, their pieces scored exactly."""
        return self.index.sentences.pool_top(query, rows, k)

    def lexical_top(
        self,
        field: LexicalField,
        terms: Sequence[str],
        extra: Sequence[str],
        extra_weight: float,
        k: int,
        floor: float | None = None,
    ) -> Ranked:
        """The ``k`` best rows by bm25s over title + text or titles, synonyms weighted."""
        model = self.index.bm25 if field == "text" else self.index.titles.bm25
        n = len(self.index.chunks)
        scores = np.zeros(n, dtype=np.float32)
        if terms:
            scores += np.asarray(model.get_scores(list(terms)))[:n]
        if extra and extra_weight > 0:
            scores += extra_weight * np.asarray(model.get_scores(list(extra)))[:n]
        return top_rows(scores, k, floor)
