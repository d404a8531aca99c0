"""Ingestion: corpus files → documents → chunks → vectors + BM25 → a new index version.

Incremental: a chunk whose embedded text is unchanged reuses its stored vector, so an
unchanged corpus embeds nothing and a changed file re-embeds only its own chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunking import chunk_documents
from ingest.loaders import load_paths
from qa.embedding import Embedder, build_embedder, model_id_for
from qa.index import HybridIndex, IndexLoadError, IndexMeta
from qa.retrieval import embedding_input
from qa.settings import Settings
from qa.tokenizing import get_tokenizer, tokenizer_signature
from qa.types import SkippedFile

logger = logging.getLogger(__name__)

#: Bump when parsing or chunking changes what is indexed, so old indexes count as stale.
PIPELINE_VERSION = 1

Progress = Callable[[int, int], None]


class EmptyCorpusError(ValueError):
    """Nothing indexable was found; the previous index is kept as it is."""

    def __init__(self, skipped: list[SkippedFile]) -> None:
        super().__init__("没有找到可索引的文档(文件为空、无法读取或类型不支持),原索引保持不变。")
        self.skipped = skipped


@dataclass(frozen=True)
class IngestReport:
    """What an ingestion run did; ``up_to_date`` means the index was already current."""

    files: int
    documents: int
    chunks: int
    duplicates: int
    embedded: int
    reused: int
    seconds: float
    up_to_date: bool
    skipped: list[SkippedFile] = field(default_factory=list)
    per_source: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


def corpus_hash(file_hashes: dict[str, str], settings: Settings, model_id: str) -> str:
    """Hash of everything an index depends on: files, chunker settings, model, code version."""
    payload = {
        "files": sorted(file_hashes.items()),
        "chunk": [settings.chunk_size, settings.chunk_overlap, settings.max_file_bytes],
        "model": model_id,
        "prompt": settings.passage_prompt,
        "tokenizer": tokenizer_signature(),
        "pipeline": PIPELINE_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _previous(settings: Settings, model_id: str) -> HybridIndex | None:
    try:
        return HybridIndex.load(settings.index_dir, model_id=model_id)
    except IndexLoadError as exc:
        logger.info("no reusable index: %s", exc)
        return None


def run_ingest(
    settings: Settings,
    embedder: Embedder | None = None,
    paths: Sequence[Path] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Index ``paths`` (default: the corpus folder) and publish the result atomically.

    Args:
        settings: Chunking, data-dir and model settings.
        embedder: Embeds passages; built from settings only if something needs embedding.
        paths: Files or folders to index; together they replace the previous index.
        rebuild: Ignore the previous index (re-embed everything).
        progress: Called with ``(done, total)`` chunks while embedding.
    """
    started = time.perf_counter()
    loaded = load_paths(list(paths or [settings.corpus_dir]), settings.max_file_bytes)
    if not loaded.documents:
        raise EmptyCorpusError(loaded.skipped)
    chunks = chunk_documents(loaded.documents, settings.chunk_size, settings.chunk_overlap)
    model_id = embedder.model_id if embedder else model_id_for(settings)
    digest = corpus_hash(loaded.file_hashes, settings, model_id)
    previous = None if rebuild else _previous(settings, model_id)
    per_source: dict[str, tuple[int, int]] = {}
    for doc in loaded.documents:
        n_docs, n_chunks = per_source.get(doc.source, (0, 0))
        per_source[doc.source] = (n_docs + 1, n_chunks)
    for chunk in chunks:
        n_docs, n_chunks = per_source[chunk.source]
        per_source[chunk.source] = (n_docs, n_chunks + 1)

    def report(embedded: int, reused: int, up_to_date: bool) -> IngestReport:
        return IngestReport(
            files=loaded.files_seen,
            documents=len(loaded.documents),
            chunks=len(chunks),
            duplicates=loaded.duplicates,
            embedded=embedded,
            reused=reused,
            seconds=time.perf_counter() - started,
            up_to_date=up_to_date,
            skipped=loaded.skipped,
            per_source=per_source,
        )

    if previous is not None and previous.meta.corpus_hash == digest:
        logger.info("index up to date chunks=%d", len(previous.chunks))
        return report(0, len(previous.chunks), True)

    inputs = [embedding_input(c.title, c.text) for c in chunks]
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in inputs]
    known = {} if previous is None else {k: i for i, k in enumerate(previous.embed_keys)}
    todo = [i for i, k in enumerate(keys) if k not in known]
    if embedder is None and (todo or previous is None):
        embedder = build_embedder(settings)
    dim = embedder.dim if embedder else previous.meta.dim  # type: ignore[union-attr]
    vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in known:
            vectors[i] = previous.vector_of(known[key])  # type: ignore[union-attr]
    batch = settings.embedding_batch_size
    for start in range(0, len(todo), batch):
        rows = todo[start : start + batch]
        vectors[rows] = embedder.embed_passages([inputs[i] for i in rows])  # type: ignore[union-attr]
        if progress:
            progress(min(start + batch, len(todo)), len(todo))

    tokenizer = get_tokenizer()
    meta = IndexMeta(
        model_id=model_id,
        dim=dim,
        passage_prompt=settings.passage_prompt,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        corpus_hash=digest,
        tokenizer=tokenizer_signature(),
        n_documents=len(loaded.documents),
        n_chunks=len(chunks),
        file_hashes=loaded.file_hashes,
    )
    index = HybridIndex.build(
        meta,
        loaded.documents,
        chunks,
        vectors,
        tokenizer.tokenize_many([f"{c.title} {c.text}" for c in chunks]),
        keys,
    )
    index.save(settings.index_dir)
    logger.info(
        "ingested documents=%d chunks=%d embedded=%d", len(loaded.documents), len(chunks), len(todo)
    )
    return report(len(todo), len(chunks) - len(todo), False)


def is_stale(settings: Settings, paths: Sequence[Path] | None = None) -> bool:
    """True when the index is missing or was built from other files/settings/model."""
    model_id = model_id_for(settings)
    previous = _previous(settings, model_id)
    if previous is None:
        return True
    loaded = load_paths(list(paths or [settings.corpus_dir]), settings.max_file_bytes)
    return previous.meta.corpus_hash != corpus_hash(loaded.file_hashes, settings, model_id)
