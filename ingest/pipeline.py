"""Ingestion: corpus files → documents → chunks → vectors + BM25 → a new index version.

:func:`run_ingest` walks six stages, each a small function with a typed result::

    load(settings, paths)           -> LoadResult    files → documents (ingest.loaders)
    chunk(loaded, settings)         -> Corpus        documents → chunks (ingest.chunking)
    check(settings, model, hashes)  -> Freshness     previous index, new corpus hash
    embed_chunks(chunks, previous)  -> ChunkVectors  reusing old vectors (ingest.vectors)
    build(corpus, vectors, ...)     -> HybridIndex   + BM25, title and sentence indexes
    publish(index, settings)        -> Path          saved, then made the live version

Between ``check`` and ``embed_chunks`` the walk stops when the index is already up to date.
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

from ingest.chunking import chunk_documents
from ingest.loaders import LoadResult, load_paths
from ingest.vectors import ChunkVectors, embed_chunks
from qa.embedders.base import Embedder
from qa.embedders.factory import backend_for, model_id_for
from qa.index.hybrid import HybridIndex, IndexMeta
from qa.index.sentences import SentenceIndex
from qa.index.titles import TitleIndex
from qa.index.versions import IndexLoadError
from qa.settings import Settings
from qa.text.synonyms import SYNONYMS
from qa.text.tokenizer import passage_terms, tokenizer_signature
from qa.types import Chunk, SkippedFile

logger = logging.getLogger(__name__)

#: Bump when parsing or chunking changes what is indexed, so old indexes count as stale.
#: 2: BM25 tokens include synonyms; title BM25, title vectors and sentence vectors.
PIPELINE_VERSION = 2

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


@dataclass(frozen=True)
class Corpus:
    """The loaded files and their chunks, in index row order."""

    loaded: LoadResult
    chunks: list[Chunk]


@dataclass(frozen=True)
class Freshness:
    """The previous index (None when missing, unreadable or ignored) and the new corpus hash."""

    previous: HybridIndex | None
    digest: str

    @property
    def up_to_date(self) -> bool:
        """Whether the previous index was built from the same files, settings and model."""
        return self.previous is not None and self.previous.meta.corpus_hash == self.digest


def corpus_hash(file_hashes: dict[str, str], settings: Settings, model_id: str) -> str:
    """Hash of everything an index depends on: files, chunker settings, model and backend, code."""
    payload = {
        "files": sorted(file_hashes.items()),
        "chunk": [settings.chunk_size, settings.chunk_overlap, settings.max_file_bytes],
        "pieces": settings.piece_chars,
        "model": model_id,
        "backend": backend_for(settings),
        "prompt": settings.passage_prompt,
        "query_prompt": settings.query_prompt,  # titles are embedded as queries
        "tokenizer": tokenizer_signature(),
        "synonyms": hashlib.sha256(SYNONYMS.read_bytes()).hexdigest(),
        "pipeline": PIPELINE_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def load(settings: Settings, paths: Sequence[Path] | None = None) -> LoadResult:
    """Stage 1: read ``paths`` (default: the corpus folder) into documents."""
    return load_paths(
        list(paths or [settings.corpus_dir]),
        settings.max_file_bytes,
        allow_external_symlinks=settings.allow_external_symlinks,
    )


def chunk(loaded: LoadResult, settings: Settings) -> Corpus:
    """Stage 2: cut the documents into chunks."""
    chunks = chunk_documents(loaded.documents, settings.chunk_size, settings.chunk_overlap)
    return Corpus(loaded, chunks)


def check(
    settings: Settings, model_id: str, file_hashes: dict[str, str], rebuild: bool = False
) -> Freshness:
    """Stage 3: the live index (unless ``rebuild``) and the hash the new one would carry."""
    previous = None
    if not rebuild:
        try:
            previous = HybridIndex.load(
                settings.index_dir, model_id=model_id, backend=backend_for(settings)
            )
        except IndexLoadError as exc:
            logger.info("no reusable index: %s", exc)
    return Freshness(previous, corpus_hash(file_hashes, settings, model_id))


def build(
    corpus: Corpus, vectors: ChunkVectors, model_id: str, digest: str, settings: Settings
) -> HybridIndex:
    """Stage 5: the index in memory — vectors, BM25 over title + text, titles, pieces."""
    chunks, documents = corpus.chunks, corpus.loaded.documents
    meta = IndexMeta(
        model_id=model_id,
        dim=vectors.dim,
        passage_prompt=settings.passage_prompt,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        corpus_hash=digest,
        tokenizer=tokenizer_signature(),
        n_documents=len(documents),
        n_chunks=len(chunks),
        file_hashes=corpus.loaded.file_hashes,
        embedding_backend=backend_for(settings),
    )
    title_terms = [passage_terms(c.title) for c in chunks]
    titles = TitleIndex.build(title_terms, vectors.titles, vectors.title_keys)
    sentences = SentenceIndex.build(vectors.pieces, vectors.piece_spans, vectors.piece_keys)
    terms = [passage_terms(f"{c.title} {c.text}") for c in chunks]
    return HybridIndex.build(
        meta, documents, chunks, vectors.passages, terms, vectors.passage_keys, titles, sentences
    )


def publish(index: HybridIndex, settings: Settings) -> Path:
    """Stage 6: write the index as a new version folder and make it the live one."""
    return index.save(settings.index_dir)


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
        progress: Called with ``(done, total)`` texts while embedding.

    Raises:
        EmptyCorpusError: No file gave a document; the previous index stays live.
    """
    started = time.perf_counter()
    loaded = load(settings, paths)
    if not loaded.documents:
        raise EmptyCorpusError(loaded.skipped)
    corpus = chunk(loaded, settings)
    model_id = embedder.model_id if embedder else model_id_for(settings)
    fresh = check(settings, model_id, loaded.file_hashes, rebuild)
    if fresh.up_to_date:
        logger.info("index up to date chunks=%d", len(corpus.chunks))
        return _report(corpus, started, embedded=0, up_to_date=True)
    vectors = embed_chunks(corpus.chunks, fresh.previous, embedder, settings, progress)
    publish(build(corpus, vectors, model_id, fresh.digest, settings), settings)
    logger.info(
        "ingested documents=%d chunks=%d embedded=%d",
        len(loaded.documents),
        len(corpus.chunks),
        vectors.embedded,
    )
    return _report(corpus, started, embedded=vectors.embedded, up_to_date=False)


def is_stale(settings: Settings, paths: Sequence[Path] | None = None) -> bool:
    """True when the index is missing or was built from other files/settings/model."""
    loaded = load(settings, paths)
    return not check(settings, model_id_for(settings), loaded.file_hashes).up_to_date


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
