"""Ingestion: corpus files → documents → chunks → vectors + BM25 → a new index version.

:func:`run_ingest` walks six stages, each a small function with a typed result::

    load(settings, paths)           -> LoadResult    files → documents (ingest.loaders)
    chunk(loaded, settings)         -> Corpus        documents → chunks (ingest.chunking)
    check(settings, model, hashes)  -> Freshness     previous index, new hash (ingest.freshness)
    embed_chunks(chunks, previous)  -> ChunkVectors  reusing old vectors (ingest.vectors)
    build(corpus, vectors, ...)     -> HybridIndex   + BM25, title and sentence indexes
    publish(index, settings)        -> Path          saved, then made the live version

Between ``check`` and ``embed_chunks`` the walk stops when the index is already up to date.
Incremental: a chunk whose embedded text is unchanged reuses its stored vector, so an
unchanged corpus embeds nothing and a changed file re-embeds only its own chunks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.building import Corpus, build, stored_ranges
from ingest.chunking import chunk_documents
from ingest.freshness import check
from ingest.loaders import LoadResult, load_paths
from ingest.vectors import embed_chunks
from qa.embedders.base import Embedder
from qa.embedders.factory import model_id_for
from qa.index.hybrid import HybridIndex
from qa.index.lock import writer_lock
from qa.index.sources import KnowledgeBase
from qa.index.versions import remove_leftovers
from qa.settings import Settings
from qa.stores.factory import catch_up_store, check_store, publish_to_store, store_behind
from qa.types import SkippedFile

logger = logging.getLogger(__name__)

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


def load(settings: Settings, paths: Sequence[Path] | None = None) -> LoadResult:
    """Stage 1: read ``paths`` (default: the corpus folder) into documents."""
    return load_paths(
        source_paths(settings, paths),
        settings.max_file_bytes,
        allow_external_symlinks=settings.allow_external_symlinks,
    )


def source_paths(settings: Settings, paths: Sequence[Path] | None = None) -> list[Path]:
    """``paths`` (default: the corpus folder) made absolute: what the index records."""
    return [Path(p).absolute() for p in (paths or [settings.corpus_dir])]


def chunk(loaded: LoadResult, settings: Settings) -> Corpus:
    """Stage 2: cut the documents into chunks."""
    chunks = chunk_documents(loaded.documents, settings.chunk_size, settings.chunk_overlap)
    return Corpus(loaded, chunks)


def publish(index: HybridIndex, settings: Settings) -> Path:
    """Stage 6: write the index as a new version folder and make it the live one."""
    folder = index.save(settings.index_dir)
    publish_to_store(index, settings, folder.name)  # YIBAO_STORE=milvus: the collections too
    return folder


def run_ingest(
    settings: Settings,
    embedder: Embedder | None = None,
    paths: Sequence[Path] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    kb: KnowledgeBase | None = None,
) -> IngestReport:
    """Index the knowledge base (or exactly ``paths``) and publish the result atomically.

    Args:
        settings: Chunking, data-dir and model settings.
        embedder: Embeds passages; built from settings only if something needs embedding.
        paths: Files or folders to index instead of the knowledge base (nothing recorded).
        rebuild: Ignore the previous index (re-embed everything).
        progress: Called with ``(done, total)`` texts while embedding.
        kb: A changed knowledge base to index; saved as the recorded one once published.
            Default: the recorded one (``qa.index.sources``).

    Only one ingestion writes an index at a time (``qa.index.lock``): a second one waits up
    to ``settings.ingest_lock_wait`` seconds, then raises ``IndexBusyError``. What killed runs
    left behind is removed first. The paths are recorded in the index (``meta.sources``).

    Raises:
        EmptyCorpusError: No file gave a document; the previous index stays live.
        KnowledgeBaseError: A source of the knowledge base is gone; nothing was changed.
        IndexBusyError: Another ingestion kept the index locked; nothing was changed.
    """
    with writer_lock(settings.index_dir, settings.ingest_lock_wait):
        remove_leftovers(settings.index_dir)
        chosen = kb if kb is not None or paths else KnowledgeBase.load(settings)
        report = _ingest(settings, embedder, paths, rebuild, progress, chosen)
        if kb is not None:
            kb.save(settings)
        return report


def select(
    settings: Settings, paths: Sequence[Path] | None, kb: KnowledgeBase | None
) -> tuple[list[Path], LoadResult, list[str]]:
    """The sources read, what they load to (minus removed files and documents), removed ids."""
    if kb is None:
        sources = source_paths(settings, paths)
        return sources, load(settings, sources), []
    sources = kb.paths()
    loaded = without(load(settings, sources), kb.removed_labels(), set(kb.removed_docs))
    return sources, loaded, sorted(kb.removed_docs)


def _ingest(
    settings: Settings,
    embedder: Embedder | None,
    paths: Sequence[Path] | None,
    rebuild: bool,
    progress: Progress | None,
    kb: KnowledgeBase | None,
) -> IngestReport:
    started = time.perf_counter()
    check_store(settings)  # milvus-lite held by another process: say so before embedding
    sources, loaded, removed = select(settings, paths, kb)
    if not loaded.documents:
        raise EmptyCorpusError(loaded.skipped)
    corpus = chunk(loaded, settings)
    model_id = embedder.model_id if embedder else model_id_for(settings)
    fresh = check(settings, model_id, loaded.file_hashes, rebuild, sources, removed)
    if fresh.up_to_date:
        logger.info("index up to date chunks=%d", len(corpus.chunks))
        # YIBAO_STORE=milvus set after a local ingest, or its last write did not finish
        catch_up_store(settings)
        return _report(corpus, started, embedded=0, up_to_date=True)
    digest = fresh.digest
    vectors = embed_chunks(corpus.chunks, fresh.previous, embedder, settings, progress)
    embedded, parts = vectors.embedded, dict(vars(vectors))
    parts["ranges"] = stored_ranges(fresh.previous)  # reused vectors keep their 8-bit codes
    del vectors, fresh  # build() frees each array (and the previous index) once used
    publish(build(corpus, parts, model_id, digest, settings, sources), settings)
    logger.info(
        "ingested documents=%d chunks=%d embedded=%d",
        len(loaded.documents),
        len(corpus.chunks),
        embedded,
    )
    return _report(corpus, started, embedded=embedded, up_to_date=False)


def is_stale(settings: Settings, paths: Sequence[Path] | None = None) -> bool:
    """True when the index is missing or was built from other files/settings/model."""
    kb = None if paths else KnowledgeBase.load(settings)
    sources, loaded, removed = select(settings, paths, kb)
    fresh = check(settings, model_id_for(settings), loaded.file_hashes, False, sources, removed)
    return not fresh.up_to_date or store_behind(settings)


def without(loaded: LoadResult, labels: set[str], doc_ids: set[str]) -> LoadResult:
    """``loaded`` minus the files named ``labels`` and the documents ``doc_ids``."""
    if not labels and not doc_ids:
        return loaded
    documents = [d for d in loaded.documents if d.source not in labels and d.doc_id not in doc_ids]
    hashes = {k: v for k, v in loaded.file_hashes.items() if k not in labels}
    links = [link for link in loaded.links if link.source not in labels]
    return replace(loaded, documents=documents, file_hashes=hashes, links=links)


def _report(corpus: Corpus, started: float, embedded: int, up_to_date: bool) -> IngestReport:
    loaded, chunks = corpus.loaded, corpus.chunks
    per_source: dict[str, tuple[int, int]] = {}
    for doc in loaded.documents:
        n_docs, n_chunks = per_source.get(doc.source, (0, 0))
        per_source[doc.source] = (n_docs + 1, n_chunks)
    for c in chunks:
        n_docs, n_chunks = per_source[c.source]
        per_source[c.source] = (n_docs, n_chunks + 1)
    return IngestReport(
        files=loaded.files_seen,
        documents=len(loaded.documents),
        chunks=len(chunks),
        duplicates=loaded.duplicates,
        embedded=embedded,
        reused=len(chunks) - embedded,
        seconds=time.perf_counter() - started,
        up_to_date=up_to_date,
        skipped=loaded.skipped,
        per_source=per_source,
    )
