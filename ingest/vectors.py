"""The embed stage of ingestion, with reuse: a text whose cache key the previous index
knows is not embedded again.

Ingestion embeds three kinds of text (chunks as passages; titles and sentence pieces as
queries). Each kind is an :class:`EmbedJob`; :func:`run_jobs` embeds only the new, distinct
keys of all jobs, in one longest-first stream per prompt, reporting progress over their
total; :func:`embed_chunks` makes the jobs for a list of chunks and returns their
:class:`ChunkVectors`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ingest.sentences import sentence_pieces
from qa.embedders.base import Embedder
from qa.embedders.factory import build_ingest_embedder
from qa.index.hybrid import HybridIndex
from qa.index.rows import (
    passage_input,
    passage_key,
    piece_text,
    sentence_input,
    sentence_key,
    title_key,
)
from qa.settings import Settings
from qa.types import Chunk

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EmbedJob:
    """Texts of one kind to turn into vectors.

    Attributes:
        texts: The strings to embed, one per output row.
        keys: Cache key per text (equal keys share one vector).
        known: Vectors the previous index already has, by key.
        as_query: Embed with the query prompt (else the passage prompt).
    """

    texts: list[str]
    keys: list[str]
    known: Mapping[str, np.ndarray]
    as_query: bool = False

    @property
    def todo(self) -> list[int]:
        """Rows to embed: the first row of each key the previous index does not know."""
        first: dict[str, int] = {}
        for row, key in enumerate(self.keys):
            if key not in self.known:
                first.setdefault(key, row)
        return list(first.values())


def known_vectors(
    keys: list[str], old_keys: list[str], vector_of: Callable[[int], np.ndarray]
) -> dict[str, np.ndarray]:
    """Vectors of ``keys`` found among ``old_keys`` (row ``i`` read with ``vector_of(i)``)."""
    where = {key: row for row, key in enumerate(old_keys)}
    return {key: vector_of(where[key]) for key in set(keys) if key in where}


def pending(jobs: list[EmbedJob]) -> int:
    """How many texts the jobs still have to embed."""
    return sum(len(job.todo) for job in jobs)


def run_jobs(
    jobs: list[EmbedJob],
    embedder: Embedder | None,
    dim: int,
    batch: int,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """Vectors for every job, ``(len(job.texts), dim)`` float16 each (the index keeps half
    precision), embedding only new keys; rows with the same key share one embedding.

    The new texts of all jobs with the same prompt form one stream, longest first, cut into
    batches of ``batch``: each batch holds texts of similar length (little padding), and the
    short titles and pieces share batches instead of each job ending on a part-filled one.

    Raises:
        ValueError: Something must be embedded but no embedder was given.
    """
    total, done = pending(jobs), 0
    if total and embedder is None:
        raise ValueError("texts to embed but no embedder")
    # Half precision, as the index stores them, written in place: no second full copy.
    out = [np.zeros((len(job.texts), dim), dtype=np.float16) for job in jobs]
    rows_of: list[dict[str, list[int]]] = []
    for job, vectors in zip(jobs, out, strict=True):
        rows: dict[str, list[int]] = {}
        for row, key in enumerate(job.keys):
            rows.setdefault(key, []).append(row)
        for key, same in rows.items():
            if key in job.known:
                vectors[same] = job.known[key]
        rows_of.append(rows)
    for as_query in (False, True):
        stream = [
            (j, row) for j, job in enumerate(jobs) if job.as_query == as_query for row in job.todo
        ]
        stream.sort(key=lambda item: -len(jobs[item[0]].texts[item[1]]))  # stable: ties in order
        if not stream or embedder is None:  # (todo without an embedder was refused above)
            continue
        embed = embedder.embed_queries if as_query else embedder.embed_passages
        for start in range(0, len(stream), batch):
            part = stream[start : start + batch]
            embedded = embed([jobs[j].texts[row] for j, row in part])
            for vector_, (j, row) in zip(embedded, part, strict=True):
                out[j][rows_of[j][jobs[j].keys[row]]] = vector_
            done += len(part)
            if progress:
                progress(done, total)
    logger.debug("embedded texts=%d jobs=%d", total, len(jobs))
    return out


@dataclass(frozen=True)
class ChunkVectors:
    """Output of the embed stage: one vector per chunk, per chunk title and per piece.

    Attributes:
        dim: Vector dimension.
        passages: ``(n_chunks, dim)`` chunk vectors (title + text, as passages).
        passage_keys: Cache key per chunk vector.
        titles: ``(n_chunks, dim)`` title vectors (as queries).
        title_keys: Cache key per title vector.
        pieces: ``(n_pieces, dim)`` sentence-piece vectors (as queries).
        piece_keys: Cache key per piece vector.
        piece_spans: ``(chunk row, start, end)`` of each piece in its chunk's text.
        embedded: Chunks whose passage vector was new (the rest were reused).
    """

    dim: int
    passages: np.ndarray
    passage_keys: list[str]
    titles: np.ndarray
    title_keys: list[str]
    pieces: np.ndarray
    piece_keys: list[str]
    piece_spans: list[tuple[int, int, int]]
    embedded: int


def embed_chunks(
    chunks: list[Chunk],
    previous: HybridIndex | None,
    embedder: Embedder | None,
    settings: Settings,
    progress: Progress | None = None,
) -> ChunkVectors:
    """Stage 4: vectors for ``chunks``, their titles and sentence pieces, reusing old ones.

    Args:
        chunks: The chunks of the new index, in row order.
        previous: The index whose vectors may be reused (None: embed everything).
        embedder: Embeds the new texts; built from ``settings`` only when needed.
        settings: Prompts, batch size and the embedder to build.
        progress: Called with ``(done, total)`` texts while embedding.
    """
    spans = piece_spans(chunks, settings)
    jobs = _jobs(chunks, spans, previous, settings.passage_prompt, settings.query_prompt)
    if embedder is None and previous is not None and not pending(jobs):
        dim = previous.meta.dim  # every vector is known: no need to load a model
    else:
        embedder = embedder or build_ingest_embedder(settings)
        dim = embedder.dim
    batch = settings.embedding_batch_size
    passages, titles, pieces = run_jobs(jobs, embedder, dim, batch, progress)
    fresh = sum(1 for key in jobs[0].keys if key not in jobs[0].known)
    return ChunkVectors(
        dim, passages, jobs[0].keys, titles, jobs[1].keys, pieces, jobs[2].keys, spans, fresh
    )


def piece_spans(chunks: list[Chunk], settings: Settings) -> list[tuple[int, int, int]]:
    """``(chunk row, start, end)`` of every sentence piece, or none when the sentence signal
    is off (``sentence_dense_weight`` 0): then no piece is embedded, about half the encode
    work of an ingest (see README, Benchmark)."""
    if settings.sentence_dense_weight == 0:
        return []
    return [
        (row, s, e)
        for row, c in enumerate(chunks)
        for s, e in sentence_pieces(c.text, settings.piece_chars)
    ]


def _jobs(
    chunks: list[Chunk],
    spans: list[tuple[int, int, int]],
    previous: HybridIndex | None,
    passage_prompt: str,
    query_prompt: str,
) -> list[EmbedJob]:
    """Chunks (as passages), titles and sentence pieces (as queries), with known vectors.

    A passage key leaves the prompt out (it is in the index meta), so passage vectors are
    reused only from an index embedded with the same passage prompt.
    """
    texts = [passage_input(c.title, c.text) for c in chunks]
    keys = [passage_key(t) for t in texts]
    titles = [c.title for c in chunks]
    title_keys = [title_key(t, query_prompt) for t in titles]
    pieces = [
        sentence_input(chunks[row].title, piece_text(chunks[row].text[s:e])) for row, s, e in spans
    ]
    piece_keys = [sentence_key(p, query_prompt) for p in pieces]
    old: list[dict[str, np.ndarray]] = [{}, {}, {}]
    if previous is not None:
        same_prompt = previous.meta.passage_prompt == passage_prompt
        old = [
            known_vectors(keys, previous.embed_keys if same_prompt else [], previous.vector_of),
            known_vectors(title_keys, previous.titles.keys, previous.titles.vector_of),
            known_vectors(piece_keys, previous.sentences.keys, previous.sentences.vector_of),
        ]
    return [
        EmbedJob(texts, keys, old[0]),
        EmbedJob(titles, title_keys, old[1], as_query=True),
        EmbedJob(pieces, piece_keys, old[2], as_query=True),
    ]
