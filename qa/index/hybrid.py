"""The hybrid index on disk: FAISS vectors + bm25s arrays + JSONL records, no pickle.

Layout of ``<data_dir>/index/``::

    CURRENT                 name of the live version folder (replaced atomically)
    v-<stamp>/meta.json     format version, model id and backend, dim, chunker settings, corpus hash
    v-<stamp>/chunks.jsonl  one Chunk per line (row i = FAISS id i = BM25 doc i)
    v-<stamp>/documents.jsonl.gz  one Document per line, gzip (``qa.index.records``)
    v-<stamp>/faiss.index   8-bit inner-product store of the L2-normalised passage vectors
    v-<stamp>/bm25/         term counts and lengths (.npy, allow_pickle=False) + vocab JSON
    v-<stamp>/title_*       title BM25, title vectors and their keys (``qa.index.titles``)
    v-<stamp>/sentence_*    sentence-piece vectors, spans and keys (``qa.index.sentences``)
    v-<stamp>/substrings/   character and pair postings (``qa.text.substrings``)

A new version is written into a temporary folder, renamed to ``v-<stamp>`` and only then
published by replacing ``CURRENT``; a crash at any point leaves the previous version live.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.bm25 import build_bm25, check_bm25, load_bm25, save_bm25
from qa.index.records import (
    CHUNKS,
    DOCUMENTS,
    chunk_record,
    chunks_from,
    document_from,
    links_from,
    read_jsonl,
    write_jsonl,
)
from qa.index.sentences import SentenceIndex, SentenceIndexError
from qa.index.titles import TitleIndex, TitleIndexError
from qa.index.vectorstore import VECTOR_BITS, build_store, read_store, vector, write_store
from qa.index.versions import (
    IndexCorruptError,
    IndexLoadError,
    IndexMismatchError,
    current_version,
    new_version,
)
from qa.stores.integer_scan import PREFILTER_MIN_ROWS
from qa.text.substrings import FOLDER, SubstringIndex, SubstringIndexError
from qa.types import Chunk, Document, LinkTitle

if TYPE_CHECKING:
    import bm25s
    import faiss

logger = logging.getLogger(__name__)

FORMAT_VERSION = 7  # 2: titles, sentence pieces; 3: fp16 stores; 4: chunk text not repeated;
# 5: HNSW stores from ANN_MIN_ROWS rows, 8-bit piece codes, chunks without document fields;
# 6: 8-bit passage codes, documents gzip-compressed, BM25 term counts; 7: link_titles


@dataclass(frozen=True)
class IndexMeta:
    """What an index was built from; compared on load and to detect a stale index."""

    model_id: str
    dim: int
    passage_prompt: str
    chunk_size: int
    chunk_overlap: int
    corpus_hash: str
    tokenizer: str
    n_documents: int
    n_chunks: int
    file_hashes: dict[str, str] = field(default_factory=dict)
    embedding_backend: str = "torch"  # indexes from before the field were all torch-built
    sources: list[str] = field(default_factory=list)  # the paths ingested (absolute)
    # Title-only link-list entries: [source, title, date or "", region, …] each.
    link_titles: list[list[str]] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    created: str = ""


@dataclass
class HybridIndex:
    """Chunks with their vectors (FAISS), BM25 term statistics and title signals, plus documents
    and the postings that count how many documents hold a string (``substrings``).

    Example:
        >>> index = HybridIndex.load(settings.index_dir, model_id=embedder.model_id)
        >>> index.chunks[0].title
    """

    meta: IndexMeta
    documents: list[Document]
    chunks: list[Chunk]
    vectors: faiss.Index  # 8-bit store (qa.index.vectorstore)
    bm25: bm25s.BM25
    embed_keys: list[str]
    titles: TitleIndex
    sentences: SentenceIndex
    version: str = ""  # the version folder it was loaded from ("" when built in memory)
    substrings: SubstringIndex = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.substrings is None:  # built in memory
            self.substrings = SubstringIndex.of(self.documents)

    @classmethod
    def build(
        cls,
        meta: IndexMeta,
        documents: list[Document],
        chunks: list[Chunk],
        vectors: np.ndarray,
        chunk_tokens: Iterable[Sequence[str]],
        embed_keys: list[str],
        titles: TitleIndex,
        sentences: SentenceIndex,
        probes: np.ndarray | None = None,
        ranges: np.ndarray | None = None,
    ) -> HybridIndex:
        """Assemble an index from chunks, vectors, BM25 tokens, titles and sentences
        (``probes``, ``ranges``: see ``vectorstore.build_store``)."""
        store = build_store(vectors, meta.dim, bits=VECTOR_BITS, probes=probes, ranges=ranges)
        del vectors  # the caller hands the array over: freed before BM25 and the postings
        bm25 = build_bm25(chunk_tokens)
        return cls(meta, documents, chunks, store, bm25, embed_keys, titles, sentences)

    @property
    def link_titles(self) -> tuple[LinkTitle, ...]:
        """The corpus's title-only link-list entries."""
        return links_from(self.meta.link_titles)

    def vector_of(self, row: int) -> np.ndarray:
        """The stored (normalised) vector of chunk ``row``."""
        return vector(self.vectors, row)

    def save(self, root: Path) -> Path:
        """Write a new version under ``root`` and make it current atomically."""
        with new_version(root) as tmp:
            write_store(self.vectors, tmp / "faiss.index", PREFILTER_MIN_ROWS)
            save_bm25(self.bm25, tmp / "bm25")
            self.titles.save(tmp)
            self.sentences.save(tmp)
            self.substrings.save(tmp)
            write_jsonl(tmp / DOCUMENTS, (asdict(d) for d in self.documents))
            write_jsonl(
                tmp / CHUNKS,
                (  # text is the document's span; source, kind, date are the document's
                    chunk_record(c) | {"embed_key": k}
                    for c, k in zip(self.chunks, self.embed_keys, strict=True)
                ),
            )
            meta = asdict(self.meta) | {"created": time.strftime("%Y-%m-%dT%H:%M:%S")}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        final = current_version(root)
        logger.info("saved index version=%s chunks=%d", final.name, len(self.chunks))
        return final

    @classmethod
    def load(
        cls, root: Path, model_id: str | None = None, backend: str | None = None
    ) -> HybridIndex:
        """Load the current version; refuse one built by another model, backend or format.

        Raises:
            IndexLoadError: Always this family, whatever went wrong: ``IndexNotFoundError``
                (none built), ``IndexMismatchError`` (other model, backend or format) or
                ``IndexCorruptError`` naming the damaged file.
        """
        folder = current_version(root)
        meta = read_meta(folder)
        check_compatible(meta, model_id, backend)
        try:
            index = cls._read(folder, meta)
        except IndexLoadError:
            raise
        except Exception as exc:  # noqa: BLE001 — any other failure means a damaged version
            raise IndexCorruptError(folder, f"{type(exc).__name__}: {exc}") from exc
        index.version = folder.name
        return index

    @classmethod
    def _read(cls, folder: Path, meta: IndexMeta) -> HybridIndex:
        with _reading(folder / DOCUMENTS):
            documents = [document_from(rec) for rec in read_jsonl(folder / DOCUMENTS)]
            _expect("文档", len(documents), meta.n_documents)
        with _reading(folder / CHUNKS):
            chunks, embed_keys = chunks_from(read_jsonl(folder / CHUNKS), documents)
            _expect("段落", len(chunks), meta.n_chunks)
        with _reading(folder / "faiss.index"):
            vectors = read_store(folder / "faiss.index")
            if vectors.ntotal != len(chunks) or vectors.d != meta.dim:
                raise ValueError(
                    f"{vectors.ntotal} 个 {vectors.d} 维向量对 {len(chunks)} 段 × {meta.dim} 维"
                )
        with _reading(folder / "bm25"):
            bm25 = load_bm25(folder / "bm25")
            check_bm25(bm25, len(chunks))
        try:
            titles = TitleIndex.load(folder, len(chunks), meta.dim)
        except TitleIndexError as exc:
            raise IndexCorruptError(folder / "title_*", str(exc).rstrip("。")) from exc
        try:
            sentences = SentenceIndex.load(folder, len(chunks), meta.dim)
        except SentenceIndexError as exc:
            raise IndexCorruptError(folder / "sentence_*", str(exc).rstrip("。")) from exc
        try:  # a version saved before the postings (None) builds them from its documents
            substrings = SubstringIndex.load(folder, documents) or SubstringIndex.of(documents)
        except SubstringIndexError as exc:
            raise IndexCorruptError(folder / FOLDER, str(exc).rstrip("。")) from exc
        return cls(
            meta, documents, chunks, vectors, bm25, embed_keys, titles, sentences, "", substrings
        )


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn any failure while reading ``path`` into an ``IndexCorruptError`` naming it."""
    try:
        yield
    except IndexLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 — missing, truncated, garbled: all the same to users
        raise IndexCorruptError(path, _reason(exc)) from exc


def _expect(what: str, found: int, recorded: int) -> None:
    if found != recorded:
        raise ValueError(f"有 {found} 个{what},meta.json 记录的是 {recorded} 个")


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, UnicodeDecodeError):
        return "不是有效的 UTF-8 文本"
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return "压缩数据损坏或被截断"
    if isinstance(exc, json.JSONDecodeError):
        return f"JSON 无法解析,第 {exc.lineno} 行"
    if isinstance(exc, RuntimeError) and "faiss" in str(exc):
        return "向量文件无法读取(为空、被截断或已损坏)"
    if isinstance(exc, ValueError) and "Failed to read all data" in str(exc):
        return "文件被截断"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def recorded_sources(root: Path) -> list[Path]:
    """The paths the live version was ingested from; ``[]`` when unknown (never raises)."""
    try:
        return [Path(p) for p in read_meta(current_version(root)).sources]
    except IndexLoadError:
        return []


def read_meta(folder: Path) -> IndexMeta:
    """Read ``meta.json`` of an index version folder (``IndexLoadError`` if unusable)."""
    path = folder / "meta.json"
    with _reading(path):
        raw = json.loads(path.read_text("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("不是 JSON 对象")
    if raw.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"索引格式版本为 {raw.get('format_version')},当前程序需要 {FORMAT_VERSION}。"
            "请运行 `yibao ingest --rebuild` 重建索引。"
        )
    known = IndexMeta.__dataclass_fields__
    with _reading(path):
        meta = IndexMeta(**{k: v for k, v in raw.items() if k in known})
        if not (isinstance(meta.dim, int) and meta.dim > 0 and isinstance(meta.model_id, str)):
            raise ValueError("维度或模型名无效")
    return meta


def check_compatible(meta: IndexMeta, model_id: str | None, backend: str | None = None) -> None:
    """Raise ``IndexMismatchError`` if the index was embedded with another model or backend."""
    if model_id is not None and meta.model_id != model_id:
        raise IndexMismatchError(
            f"索引是用模型 {meta.model_id!r} 建立的,当前配置的模型是 {model_id!r}。"
            "请运行 `yibao ingest --rebuild` 用当前模型重建索引,"
            "或把 YIBAO_EMBEDDING_MODEL 改回原模型。"
        )
    if backend is not None and meta.embedding_backend != backend:
        raise IndexMismatchError(
            f"索引是用 {meta.embedding_backend!r} 后端计算的向量建立的,"
            f"当前配置的后端是 {backend!r}。"
            "请运行 `yibao ingest --rebuild` 用当前后端重建索引,"
            "或把 YIBAO_EMBEDDING_BACKEND 改回原后端。"
        )
