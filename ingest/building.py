"""Stage 5 of ingestion: the index in memory from the chunks and their vectors.

:func:`build` makes the passage, title and sentence-piece stores and BM25 over title + text,
freeing each vector array once its store is built (see :mod:`ingest.pipeline` for the stages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.loaders import LoadResult
from ingest.vectors import ChunkVectors
from qa.embedders.factory import backend_for
from qa.index.hybrid import HybridIndex, IndexMeta
from qa.index.records import link_records
from qa.index.sentences import SentenceIndex
from qa.index.titles import TitleIndex
from qa.index.vectorstore import ranges_of
from qa.settings import Settings
from qa.text.tokenizer import passage_terms, tokenizer_signature
from qa.types import Chunk


@dataclass(frozen=True)
class Corpus:
    """The loaded files and their chunks, in index row order."""

    loaded: LoadResult
    chunks: list[Chunk]


def build(
    corpus: Corpus,
    vectors: ChunkVectors | dict[str, Any],
    model_id: str,
    digest: str,
    settings: Settings,
    sources: Sequence[Path] = (),
    previous: HybridIndex | None = None,
) -> HybridIndex:
    """Stage 5: the index in memory — vectors, BM25 over title + text, titles, pieces.

    ``vectors`` may be handed over as a dict of the ``ChunkVectors`` fields that nothing
    else holds (as :func:`run_ingest` does): each array is then dropped as soon as its store
    is built, so the float vectors and the stores made from them are not all in memory at
    once. ``previous``: the index the vectors were reused from; the 8-bit ranges of its
    stores are kept when the new vectors fit them (no drift of reused vectors).
    """
    parts = dict(vars(vectors)) if isinstance(vectors, ChunkVectors) else vectors
    chunks, documents = corpus.chunks, corpus.loaded.documents
    meta = IndexMeta(
        model_id=model_id,
        dim=parts["dim"],
        passage_prompt=settings.passage_prompt,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        corpus_hash=digest,
        tokenizer=tokenizer_signature(),
        n_documents=len(documents),
        n_chunks=len(chunks),
        file_hashes=corpus.loaded.file_hashes,
        embedding_backend=backend_for(settings),
        sources=[str(p) for p in sources],
        link_titles=link_records(corpus.loaded.links),
    )
    # Query-like vectors (titles and pieces are embedded as queries) tune the ANN stores.
    title_probes, piece_probes = _sample(parts["titles"]), _sample(parts["pieces"])
    pieces, spans, keys = parts.pop("pieces"), parts.pop("piece_spans"), parts.pop("piece_keys")
    ranges = parts.pop("ranges", None)
    if ranges is None:  # called with a ChunkVectors and (maybe) the index it reused
        ranges = stored_ranges(previous)
    graph = settings.piece_search == "global"  # pooled search reads the codes by row
    sentences = SentenceIndex.build(pieces, spans, keys, title_probes, ranges["piece"], graph)
    del pieces, spans, keys
    title_terms = (passage_terms(c.title) for c in chunks)  # streamed: ids kept, not strings
    titles = TitleIndex.build(
        title_terms, parts.pop("titles"), parts.pop("title_keys"), piece_probes, ranges["title"]
    )
    terms = (passage_terms(f"{c.title} {c.text}") for c in chunks)
    return HybridIndex.build(
        meta,
        documents,
        chunks,
        parts.pop("passages"),
        terms,
        parts.pop("passage_keys"),
        titles,
        sentences,
        title_probes,
        ranges["passage"],
    )


def stored_ranges(previous: HybridIndex | None) -> dict[str, np.ndarray | None]:
    """The 8-bit ranges of ``previous``'s passage, title and piece stores (None each without
    one): a vector reused from it encodes to the same codes again when they are kept."""
    if previous is None:
        return dict.fromkeys(("passage", "title", "piece"))
    return {
        "passage": ranges_of(previous.vectors),
        "title": ranges_of(previous.titles.vectors),
        "piece": ranges_of(previous.sentences.vectors),
    }


def _sample(vectors: np.ndarray, n: int = 256) -> np.ndarray:
    """Up to ``n`` rows of ``vectors``, evenly spread (a copy: the rows outlive the array)."""
    return np.array(vectors[:: max(1, len(vectors) // n)][:n], dtype=np.float32)
