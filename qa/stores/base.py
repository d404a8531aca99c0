"""What retrieval needs from an index, whichever engine holds it: the ``IndexStore`` protocol.

Rows are the chunk rows of the index (0..n-1, the order of ``chunks``); every ranking is a
list of ``(row, raw score)``, best first, ties by lower row. Fusion, region bonus, duplicate
collapse and reranking stay in ``qa.retrieval``: a store only answers top-k questions, so an
answer never depends on which store served it.

Two stores implement it: ``qa.stores.local.LocalStore`` (today's FAISS + bm25s files, the
default) and ``qa.stores.milvus.MilvusStore`` (``YIBAO_STORE=milvus``).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from qa.text.substrings import SubstringIndex
from qa.types import Chunk, Document, LinkTitle

Ranked = list[tuple[int, float]]  # (chunk row, raw score), best first
VectorField = Literal["passage", "title", "piece"]
LexicalField = Literal["text", "title"]


@runtime_checkable
class IndexStore(Protocol):
    """Dense and lexical top-k over the chunks, and the chunk and document records.

    Example:
        >>> store = LocalStore(HybridIndex.load(settings.index_dir))
        >>> store.dense_top("passage", embedder.embed_queries(["怎么激活医保码"])[0], 5)
    """

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, indexable by row (``chunks[row] == chunk(row)``); its length is the
        number of chunks. Rows are 0..n-1 locally; on Milvus an incremental write numbers new
        rows after the old ones, and chunks are fetched on demand."""
        ...

    @property
    def documents(self) -> Sequence[Document]:
        """Every document the chunks were cut from (iterate; look one up with ``document``)."""
        ...

    @property
    def version(self) -> str:
        """Name of the version served ("" when built in memory)."""
        ...

    @property
    def substrings(self) -> SubstringIndex:
        """How many documents hold a string (``count``): the document frequencies the composer
        and the refusal check read."""
        ...

    @property
    def link_titles(self) -> Sequence[LinkTitle]:
        """Title-only link-list entries: articles the corpus names but does not hold."""
        ...

    def chunk(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        ...

    def document(self, doc_id: str) -> Document | None:
        """The document ``doc_id``, or None."""
        ...

    def dense_top(self, field: VectorField, query: np.ndarray, k: int) -> Ranked:
        """The ``k`` rows most similar to a unit query vector by ``field``: ``passage`` (the
        chunk vector), ``title`` (its title's vector) or ``piece`` (its best sentence piece)."""
        ...

    def piece_top(self, query: np.ndarray, rows: Iterable[int], k: int) -> Ranked:
        """The ``k`` of ``rows`` whose best sentence piece is most similar to a unit query
        vector, every piece of those rows scored exactly (``YIBAO_PIECE_SEARCH=pool``)."""
        ...

    def lexical_top(
        self,
        field: LexicalField,
        terms: Sequence[str],
        extra: Sequence[str],
        extra_weight: float,
        k: int,
        floor: float | None = None,
    ) -> Ranked:
        """The ``k`` best rows by BM25 over ``field`` (``text`` = title + text, or ``title``).

        Score: ``bm25(terms) + extra_weight × bm25(extra)`` (``extra``: synonyms not already
        among ``terms``); only rows scoring above ``floor`` are kept.
        """
        ...


class DocumentLookup(Mapping[str, Document]):
    """The documents of a store by id, read through ``store.document`` (cached by the store):
    what the composers and routes use, without holding every document in the process.

    Iterating (``values()``, ``items()``) reads ``store.documents`` once through.
    """

    def __init__(self, store: IndexStore) -> None:
        self.store = store

    def __getitem__(self, doc_id: str) -> Document:
        doc = self.store.document(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def __iter__(self) -> Iterator[str]:
        return (d.doc_id for d in self.store.documents)

    def __len__(self) -> int:
        return len(self.store.documents)

    @property
    def substrings(self) -> SubstringIndex:
        """The store's document frequencies (``qa.text.substrings.substrings_of`` reads them)."""
        return self.store.substrings

    def values(self) -> ValuesView[Document]:
        return _Values(self)

    def items(self) -> ItemsView[str, Document]:
        return _Items(self)


class _Values(ValuesView[Document]):
    """One pass over the store's documents (not one lookup per id)."""

    _mapping: DocumentLookup

    def __iter__(self) -> Iterator[Document]:
        return iter(self._mapping.store.documents)


class _Items(ItemsView[str, Document]):
    """One pass over the store's documents (not one lookup per id)."""

    _mapping: DocumentLookup

    def __iter__(self) -> Iterator[tuple[str, Document]]:
        return ((d.doc_id, d) for d in self._mapping.store.documents)
