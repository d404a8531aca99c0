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

from ingest.chunking import chunk_documents
from ingest.loaders import load_paths
from ingest.sentences import piece_text, sentence_pieces
from ingest.vectors import EmbedJob, known_vectors, pending, run_jobs
from qa.embedders.factory import Embedder, build_embedder, model_id_for
from qa.index.hybrid import HybridIndex, IndexLoadError, IndexMeta
from qa.index.sentences import SentenceIndex, sentence_input, sentence_key
from qa.index.titles import TitleIndex, title_key
from qa.retrieval.question import passage_terms
from qa.retrieval.retriever import embedding_input
from qa.settings import Settings
from qa.text.synonyms import SYNONYMS
from qa.text.tokenizer import tokenizer_signature
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


def corpus_hash(file_hashes: dict[str, str], settings: Settings, model_id: str) -> str:
    """Hash of everything an index depends on: files, chunker settings, model, code version."""
    payload = {
        "files": sorted(file_hashes.items()),
        "chunk": [settings.chunk_size, settings.chunk_overlap, settings.max_file_bytes],
        "model": model_id,
        "prompt": settings.passage_prompt,
        "query_prompt": settings.query_prompt,  # titles are embedded as queries
        "tokenizer": tokenizer_signature(),
        "synonyms": hashlib.sha256(SYNONYMS.read_bytes()).hexdigest(),
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

    jobs = _embed_jobs(chunks, previous, settings)
    todo = sum(1 for key in jobs[0].keys if key not in jobs[0].known)
    if embedder is None and (pending(jobs) or previous is None):
        embedder = build_embedder(settings)
    dim = embedder.dim if embedder else previous.meta.dim  # type: ignore[union-attr]
    batch = settings.embedding_batch_size
    vectors, title_vectors, piece_vectors = run_jobs(jobs, embedder, dim, batch, progress)
    titles = TitleIndex.build([passage_terms(c.title) for c in chunks], title_vectors, jobs[1].keys)
    spans = [(row, s, e) for row, c in enumerate(chunks) for s, e in sentence_pieces(c.text)]
    sentences = SentenceIndex.build(piece_vectors, spans, jobs[2].keys)

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
        [passage_terms(f"{c.title} {c.text}") for c in chunks],
        jobs[0].keys,
        titles,
        sentences,
    )
    index.save(settings.index_dir)
    logger.info(
        "ingested documents=%d chunks=%d embedded=%d", len(loaded.documents), len(chunks), todo
    )
    return report(todo, len(chunks) - todo, False)


def _embed_jobs(
    chunks: list[Chunk], previous: HybridIndex | None, settings: Settings
) -> list[EmbedJob]:
    """Chunks (as passages), titles and sentence pieces (as queries), reusing old vectors."""
    texts = [embedding_input(c.title, c.text) for c in chunks]
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:24] for t in texts]
    titles = [c.title for c in chunks]
    title_keys = [title_key(t, settings.query_prompt) for t in titles]
    pieces = [
        sentence_input(c.title, piece_text(c.text[s:e]))
        for c in chunks
        for s, e in sentence_pieces(c.text)
    ]
    piece_keys = [sentence_key(p, settings.query_prompt) for p in pieces]
    old: list[dict] = [{}, {}, {}]
    if previous is not None:
        old = [
            known_vectors(keys, previous.embed_keys, previous.vector_of),
            known_vectors(title_keys, previous.titles.keys, previous.titles.vectors.__getitem__),
            known_vectors(
                piece_keys, previous.sentences.keys, previous.sentences.vectors.__getitem__
            ),
        ]
    return [
        EmbedJob(texts, keys, old[0]),
        EmbedJob(titles, title_keys, old[1], as_query=True),
        EmbedJob(pieces, piece_keys, old[2], as_query=True),
    ]


def is_stale(settings: Settings, paths: Sequence[Path] | None = None) -> bool:
    """True when the index is missing or was built from other files/settings/model."""
    model_id = model_id_for(settings)
    previous = _previous(settings, model_id)
    if previous is None:
        return True
    loaded = load_paths(list(paths or [settings.corpus_dir]), settings.max_file_bytes)
    return previous.meta.corpus_hash != corpus_hash(loaded.file_hashes, settings, model_id)
