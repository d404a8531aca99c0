"""Ingest throughput next to the raw chunk encode, on the real model (``yibao bench``).

Both run in this process with the same embedder settings ingestion uses
(``YIBAO_INGEST_THREADS``): first the bare encode of every chunk's passage input, then a full
``run_ingest(rebuild=True)`` of the corpus into a temporary data folder (load, chunk, embed
passages + titles + sentence pieces, BM25, stores, publish). The ratio of their chunks per
second says what the extra signals and the pipeline cost.

Example:
    >>> ingest_rate(settings)["ratio"]
    0.41
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ingest.pipeline import chunk, load, run_ingest
from qa.embedders.factory import build_ingest_embedder
from qa.index.rows import passage_input
from qa.settings import Settings


def ingest_rate(settings: Settings) -> dict[str, Any]:
    """Chunks per second of the raw passage encode and of a full rebuild, and their ratio."""
    embedder = build_ingest_embedder(settings)
    corpus = chunk(load(settings), settings)
    texts = [passage_input(c.title, c.text) for c in corpus.chunks]
    embedder.embed_passages(texts[:8])  # warm
    started = time.perf_counter()
    embedder.embed_passages(texts)
    encode_seconds = time.perf_counter() - started
    work = Path(tempfile.mkdtemp(prefix="yibao-ingest-rate-"))
    try:
        (work / "models").symlink_to(settings.models_dir.resolve(), target_is_directory=True)
        target = settings.model_copy(update={"data_dir": work})
        started = time.perf_counter()
        report = run_ingest(target, embedder=embedder, rebuild=True)
        ingest_seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    encode_rate = len(texts) / encode_seconds
    ingest_rate_ = report.chunks / ingest_seconds
    return {
        "chunks": report.chunks,
        "chunks_embedded": report.embedded,
        "encode_seconds": round(encode_seconds, 2),
        "ingest_seconds": round(ingest_seconds, 2),
        "encode_chunks_per_s": round(encode_rate, 1),
        "ingest_chunks_per_s": round(ingest_rate_, 1),
        "ratio": round(ingest_rate_ / encode_rate, 3),
    }
