"""Uploaded documents: read from a multipart body, checked one by one, stored in the knowledge base.

The body (already in memory, bounded by ``max_upload_bytes``) is parsed with the standard
library's ``email`` parser. Each file is checked as the ingestion will read it
(``ingest.loaders.load_file`` on a temporary copy, limit ``max_file_bytes``), so a stored file
is one the next reindex indexes; a file whose documents are all indexed already is refused.
Accepted files are stored with ``qa.index.sources.store_upload`` and the uploads folder
becomes a source of the knowledge base. Deleting an uploaded document deletes its file when
the file holds nothing else; any other document is left out by id.

Example:
    >>> uploads = parse_form(request.headers["content-type"], await request.body())
    >>> outcome = accept(settings, uploads, service.documents.values())
"""

from __future__ import annotations

import logging
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from qa.index.sources import (
    KnowledgeBase,
    KnowledgeBaseError,
    kb_lock,
    store_upload,
    uploads_dir,
)
from qa.settings import Settings
from qa.types import Document

logger = logging.getLogger(__name__)

FIELD = "files"
MAX_FILES = 20
UPLOADED = "上传"
NOT_MULTIPART = (
    "请以 multipart/form-data 上传文件(字段名 files) / "
    "Upload files as multipart/form-data (field 'files')."
)
NO_FILES = "请求中没有文件(字段名 files) / The request carries no file (field 'files')."


class UploadError(ValueError):
    """The request carries no file that could be checked (message Chinese / English)."""


@dataclass(frozen=True)
class Upload:
    """One file of the request: its name as shown to the user, and its bytes."""

    name: str
    data: bytes


@dataclass
class Outcome:
    """The files stored (``name``, ``stored_as``, ``documents``, ``titles``) and refused."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)


def supported_types() -> str:
    """The accepted suffixes, for messages: ``.docx、.htm、.html、.md、.pdf、.txt``."""
    return "、".join(sorted(SUPPORTED_SUFFIXES))


def display_name(raw: str | None) -> str:
    """The base name of an uploaded file name, without control characters (at most 200)."""
    if not raw:
        return ""
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    base = PurePosixPath(text.replace("\\", "/")).name
    return "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")[:200].strip()


def parse_form(content_type: str, body: bytes) -> list[Upload]:
    """The parts named ``files`` of a ``multipart/form-data`` body; ``UploadError`` if none."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise UploadError(NOT_MULTIPART)
    try:
        head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        parts = list(message.iter_parts()) if message.is_multipart() else []
        uploads = [
            Upload(display_name(part.get_filename()), _payload(part))
            for part in parts
            if part.get_param("name", header="content-disposition") == FIELD
        ]
    except (ValueError, TypeError, LookupError) as exc:  # a malformed body
        raise UploadError(NOT_MULTIPART) from exc
    if not uploads:
        raise UploadError(NO_FILES)
    return uploads


def _payload(part: Message) -> bytes:
    """The bytes of a part (none for a nested multipart)."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def check(upload: Upload, max_bytes: int, known: dict[str, str]) -> tuple[list[Document], str]:
    """The documents of one file, or ``([], reason)``; ``known``: indexed ``doc_id`` → title."""
    if not upload.name:
        return [], "缺少文件名,无法判断文件类型"
    suffix = PurePosixPath(upload.name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f" {suffix}" if suffix else "(无扩展名)"
        return [], f"不支持的文件类型{shown},可上传 {supported_types()}"
    try:
        with tempfile.TemporaryDirectory(prefix="yibao-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(upload.data)
            documents, skipped = load_file(path, upload.name, max_bytes)
    except Exception as exc:  # noqa: BLE001 - one bad file is refused, not a 500
        logger.warning("upload not readable name=%s error=%r", upload.name, exc)
        return [], f"处理文件时出错({type(exc).__name__})"
    if skipped is not None:
        return [], skipped.reason
    if not documents:
        return [], "文件中没有可索引的文字"
    if all(d.doc_id in known for d in documents):
        return [], f"内容与已有文档《{known[documents[0].doc_id]}》相同,未重复添加"
    return documents, ""


def _live(kb: KnowledgeBase, documents: Iterable[Document]) -> dict[str, str]:
    """``doc_id`` → title of the indexed documents that stay (not removed, file still there)."""
    removed = set(kb.removed_docs)
    present: dict[str, bool] = {}
    live = {}
    for doc in documents:
        if doc.source not in present:
            present[doc.source] = kb.file_of(doc.source) is not None
        if present[doc.source] and doc.doc_id not in removed:
            live[doc.doc_id] = doc.title
    return live


def accept(settings: Settings, uploads: list[Upload], documents: Iterable[Document]) -> Outcome:
    """Check every file; store the good ones and add the uploads folder to the knowledge base.

    ``documents``: the live index's documents (a file adding none of them is refused).
    Raises ``KnowledgeBaseError`` when ``kb.json`` cannot be read (nothing stored).
    """
    outcome = Outcome()
    with kb_lock(settings):
        kb = KnowledgeBase.load(settings)
        known = _live(kb, documents)
        good: list[tuple[Upload, list[Document]]] = []
        for n, upload in enumerate(uploads):
            docs: list[Document] = []
            reason = f"一次最多上传 {MAX_FILES} 个文件"
            if n < MAX_FILES:
                docs, reason = check(upload, settings.max_file_bytes, known)
            if reason:
                outcome.rejected.append({"name": upload.name, "reason": reason})
                continue
            known.update({d.doc_id: d.title for d in docs})  # a second copy is refused
            good.append((upload, docs))
        if not good:
            return outcome
        for upload, docs in good:
            stored = store_upload(
                settings, upload.name, upload.data, taken=lambda n: kb.file_of(n) is not None
            )
            outcome.accepted.append(
                {
                    "name": upload.name,
                    "stored_as": stored.name,
                    "documents": len(docs),
                    "titles": [d.title for d in docs],
                }
            )
        kb.add([uploads_dir(settings)])
        ids = {d.doc_id for _, docs in good for d in docs}
        kb.removed_docs = [d for d in kb.removed_docs if d not in ids]  # uploaded again
        kb.save(settings)
    logger.info("upload stored=%d refused=%d", len(outcome.accepted), len(outcome.rejected))
    return outcome


def remove(
    settings: Settings, doc: Document, documents: Iterable[Document]
) -> Literal["file_deleted", "document_removed"]:
    """Take ``doc`` out of the knowledge base: delete its uploaded file if it holds only
    ``doc``, else leave the document out by id. The change is saved; the caller reindexes."""
    with kb_lock(settings):
        kb = KnowledgeBase.load(settings)
        path = kb.file_of(doc.source)
        alone = all(d.doc_id == doc.doc_id for d in documents if d.source == doc.source)
        if path is not None and uploads_dir(settings) in path.parents and alone:
            kb.remove_path(path, settings)
            action: Literal["file_deleted", "document_removed"] = "file_deleted"
        else:
            kb.remove_document(doc.doc_id)
            action = "document_removed"
        kb.save(settings)
    logger.info("document removed doc_id=%s action=%s", doc.doc_id, action)
    return action


def origins(settings: Settings, labels: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """``source`` label → (``上传`` or the knowledge-base source it lies in, uploaded?)."""
    try:
        kb = KnowledgeBase.load(settings)
    except KnowledgeBaseError:  # the list still shows, without origins
        return {}
    folder = uploads_dir(settings)
    found: dict[str, tuple[str, bool]] = {}
    for label in set(labels):
        root = kb.root_of(label)
        if root is not None:
            uploaded = root == folder
            found[label] = (UPLOADED if uploaded else str(root), uploaded)
    return found
