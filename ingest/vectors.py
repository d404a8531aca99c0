"""Embedding with reuse: a text whose cache key the previous index knows is not embedded again.

Ingestion embeds three kinds of text (chunks as passages; titles and sentence pieces as
queries). Each kind is an :class:`EmbedJob`; :func:`run_jobs` embeds only the new, distinct
keys of all jobs, reporting progress over their total.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from qa.embedders.factory import Embedder

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
    """Vectors for every job, ``(len(job.texts), dim)`` float32 each, embedding only new keys.

    Raises:
        ValueError: Something must be embedded but no embedder was given.
    """
    total, done, out = pending(jobs), 0, []
    if total and embedder is None:
        raise ValueError("texts to embed but no embedder")
    for job in jobs:
        fresh: dict[str, np.ndarray] = {}
        todo = job.todo
        for start in range(0, len(todo), batch):
            rows = todo[start : start + batch]
            texts = [job.texts[i] for i in rows]
            embed = embedder.embed_queries if job.as_query else embedder.embed_passages  # type: ignore[union-attr]
            fresh.update(zip((job.keys[i] for i in rows), embed(texts), strict=True))
            done += len(rows)
            if progress:
                progress(done, total)
        vectors = np.zeros((len(job.texts), dim), dtype=np.float32)
        for row, key in enumerate(job.keys):
            vectors[row] = fresh[key] if key in fresh else job.known[key]
        out.append(vectors)
    logger.debug("embedded texts=%d jobs=%d", total, len(jobs))
    return out
