"""The hybrid index on disk: FAISS vectors + bm25s arrays + JSONL records, no pickle.

Layout of ``<data_dir>/index/``::

    CURRENT                 name of the live version folder (replaced atomically)
    v-<stamp>/meta.json     format version, model id and backend, dim, chunker settings, corpus hash
    v-<stamp>/chunks.jsonl  one Chunk per line (row i = FAISS id i = BM25 doc i)
    v-<stamp>/documents.jsonl
    v-<stamp>/faiss.index   fp16 inner-product store of the L2-normalised passage vectors
    v-<stamp>/bm25/         bm25s arrays (.npy, allow_pickle=False) + vocab/params JSON
    v-<stamp>/title_*       title BM25, title vectors and their keys (``qa.index.titles``)
    v-<stamp>/sentence_*    sentence-piece vectors, spans and keys (``qa.index.sentences``)

A new version is written into a temporary folder, renamed to ``v-<stamp>`` and only then
published by replacing ``CURRENT``; a crash at any point leaves the previous version live.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.bm25 import build_bm25, load_bm25, save_bm25
from qa.index.sentences import SentenceIndex, SentenceIndexError
from qa.index.titles import TitleIndex, TitleIndexError
from qa.index.vectorstore import build_store, read_store, vector, write_store
from qa.index.versions import (
    IndexMismatchError,
    current_version,
    new_version,
)
from qa.types import Chunk, Document, Section

if TYPE_CHECKING:
    import bm25s
    import faiss

logger = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 2: titles, sentence pieces; 3: fp16 stores; 4: chunk text not repeated


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
    format_version: int = FORMAT_VERSION
    created: str = ""


@dataclass
class HybridIndex:
    """Chunks with their vectors (FAISS), BM25 term statistics and title signals, plus documents.

    Example:
        >>> index = HybridIndex.load(settings.index_dir, model_id=embedder.model_id)
        >>> index.chunks[0].title
    """

    meta: IndexMeta
    documents: list[Document]
    chunks: list[Chunk]
    vectors: faiss.Index  # fp16 store (qa.index.vectorstore)
    bm25: bm25s.BM25
    embed_keys: list[str]
    titles: TitleIndex
    sentences: SentenceIndex

    @classmethod
    def build(
        cls,
        meta: IndexMeta,
        documents: list[Document],
        chunks: list[Chunk],
        vectors: np.ndarray,
        chunk_tokens: list[list[str]],
        embed_keys: list[str],
        titles: TitleIndex,
        sentences: SentenceIndex,
    ) -> HybridIndex:
        """Assemble an index from chunks, their vectors, BM25 tokens, titles and sentences."""
        store = build_store(vectors, meta.dim)
        bm25 = build_bm25(chunk_tokens)
        return cls(meta, documents, chunks, store, bm25, embed_keys, titles, sentences)

    def vector_of(self, row: int) -> np.ndarray:
        """The stored (normalised) vector of chunk ``row``."""
        return vector(self.vectors, row)

    def save(self, root: Path) -> Path:
        """Write a new version under ``root`` and make it current atomically."""
        with new_version(root) as tmp:
            write_store(self.vectors, tmp / "faiss.index")
            save_bm25(self.bm25, tmp / "bm25")
            self.titles.save(tmp)
            self.sentences.save(tmp)
            _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in self.documents))
            _write_jsonl(
                tmp / "chunks.jsonl",
                (  # a chunk's text is its document's span: stored once, in documents.jsonl
                    {**asdict(c), "embed_key": k, "text": None}
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
        """Load the current version; refuse one built by another model, backend or format."""

        folder = current_version(root)
        meta = read_meta(folder)
        check_compatible(meta, model_id, backend)
        documents = [_document_from(rec) for rec in _read_jsonl(folder / "documents.jsonl")]
        records = _read_jsonl(folder / "chunks.jsonl")
        embed_keys = [rec.pop("embed_key") for rec in records]
        texts = {d.doc_id: d.text for d in documents}
        try:
            chunks = [
                Chunk(
                    **{
                        **rec,
                        "text": texts[rec["doc_id"]][rec["start"] : rec["end"]],
                        "regions": tuple(rec["regions"]),
                    }
                )
                for rec in records
            ]
        except KeyError as exc:
            raise IndexMismatchError(
                f"索引已损坏:段落所属文档 {exc} 不存在。请运行 `yibao ingest --rebuild` 重建索引。"
            ) from exc
        try:
            vectors = read_store(folder / "faiss.index")
        except RuntimeError as exc:
            raise IndexMismatchError(
                f"向量文件损坏({exc})。请运行 `yibao ingest --rebuild`。"
            ) from exc
        bm25 = load_bm25(folder / "bm25")
        if vectors.ntotal != len(chunks):
            raise IndexMismatchError(
                f"索引已损坏:向量数 {vectors.ntotal} 与段落数 {len(chunks)} 不一致。"
                "请运行 `yibao ingest --rebuild` 重建索引。"
            )
        try:
            titles = TitleIndex.load(folder, len(chunks), meta.dim)
            sentences = SentenceIndex.load(folder, len(chunks), meta.dim)
        except (TitleIndexError, SentenceIndexError) as exc:
            raise IndexMismatchError(f"{exc}请运行 `yibao ingest --rebuild` 重建索引。") from exc
        return cls(meta, documents, chunks, vectors, bm25, embed_keys, titles, sentences)


def read_meta(folder: Path) -> IndexMeta:
    """Read ``meta.json`` of an index version folder."""
    raw = json.loads((folder / "meta.json").read_text("utf-8"))
    if raw.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"索引格式版本为 {raw.get('format_version')},当前程序需要 {FORMAT_VERSION}。"
            "请运行 `yibao ingest --rebuild` 重建索引。"
        )
    known = IndexMeta.__dataclass_fields__
    return IndexMeta(**{k: v for k, v in raw.items() if k in known})


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


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _document_from(rec: dict) -> Document:
    sections = tuple(Section(**s) for s in rec.get("sections", ()))
    return Document(**{**rec, "regions": tuple(rec["regions"]), "sections": sections})
