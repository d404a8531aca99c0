"""The JSON-lines files of an index version: documents (gzip-compressed) and chunks.

``documents.jsonl.gz`` holds each document's full text once (the largest text of an index:
about 2–3× smaller compressed, read whole at load); ``chunks.jsonl`` stays plain, one chunk
per line without the fields its document holds (text is the document's span, source, kind
and date are the document's). Plain JSON either way, never pickle. The link-list titles
(``meta.json``'s ``link_titles``) are rows of strings: :func:`link_records`, :func:`links_from`.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, Literal

from qa.types import Chunk, Document, LinkTitle, Section

DOCUMENTS = "documents.jsonl.gz"
CHUNKS = "chunks.jsonl"
_FROM_DOCUMENT = ("text", "source", "kind", "date")  # chunk fields stored once, in documents
_LEVEL = 6  # gzip level: ~all of level 9's ratio on this text at a fraction of its time


def _open(path: Path, mode: Literal["r", "w"]) -> IO[str]:
    if path.suffix == ".gz":
        binary = gzip.GzipFile(path, mode + "b", compresslevel=_LEVEL)
        return io.TextIOWrapper(binary, encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """One compact JSON object per line (gzip-compressed when ``path`` ends in ``.gz``)."""
    with _open(path, "w") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a file written by :func:`write_jsonl`."""
    with _open(path, "r") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def chunk_record(chunk: Chunk) -> dict[str, Any]:
    """A chunk as stored: without the fields its document holds (``_FROM_DOCUMENT``)."""
    return {k: v for k, v in asdict(chunk).items() if k not in _FROM_DOCUMENT}


def chunks_from(records: list[dict], documents: list[Document]) -> tuple[list[Chunk], list[str]]:
    """Chunks (text, source, kind, date from their document) and embed keys, or ValueError."""
    by_id = {d.doc_id: d for d in documents}
    chunks, keys = [], []
    for line, rec in enumerate(records, 1):
        doc = by_id.get(str(rec.get("doc_id")))
        start, end = rec.get("start"), rec.get("end")
        if doc is None:
            raise ValueError(f"第 {line} 行的段落所属文档不存在")
        if not (
            isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(doc.text)
        ):
            raise ValueError(f"第 {line} 行的段落位置超出文档")
        keys.append(str(rec.pop("embed_key")))
        rec |= {"text": doc.text[start:end], "regions": tuple(rec["regions"])}
        chunks.append(Chunk(**rec, source=doc.source, kind=doc.kind, date=doc.date))
    return chunks, keys


def document_from(rec: dict) -> Document:
    """A document from its stored record."""
    sections = tuple(Section(**s) for s in rec.get("sections", ()))
    return Document(**{**rec, "regions": tuple(rec["regions"]), "sections": sections})


def link_records(links: Sequence[LinkTitle]) -> list[list[str]]:
    """``links`` as ``IndexMeta.link_titles`` rows: [source, title, date or "", *regions]."""
    return [[link.source, link.title, link.date or "", *link.regions] for link in links]


def links_from(records: Sequence[Sequence[str]]) -> tuple[LinkTitle, ...]:
    """The :class:`LinkTitle` of each ``IndexMeta.link_titles`` row (malformed rows skipped)."""
    return tuple(
        LinkTitle(row[0], row[1], row[2] or None, tuple(row[3:]))
        for row in records
        if len(row) >= 3 and all(isinstance(cell, str) for cell in row)
    )
