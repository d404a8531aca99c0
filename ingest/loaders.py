"""Load corpus files and folders into Documents, skipping what cannot be read as text.

Files are found, read and decoded by :mod:`ingest.files`; Document offsets refer to the decoded
text, or for HTML, PDF and Word files to their extracted text (:mod:`ingest.formats`).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.files import SkipFile, decode_text, read_bytes, unreadable, walk_corpus
from ingest.formats.docx_text import docx_to_markdown
from ingest.formats.html_text import html_meta, html_to_text
from ingest.formats.markdown_text import md_headings, md_sections
from ingest.formats.pages import (
    looks_like_page,
    make_document,
    parse_page,
    split_lines,
)
from ingest.formats.pdf_text import UnreadableDocument, pdf_to_text
from ingest.formats.source_meta import (
    SOURCES_FILE,
    SourceMeta,
    describe,
    file_date,
    front_matter,
    meta_from,
    read_catalog,
)
from qa.text.normalize import compact
from qa.text.titles import clip_title, derived_title, is_title_line
from qa.types import Document, LinkTitle, SkippedFile

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})
_MISSING = "路径不存在"


@dataclass(frozen=True)
class LoadResult:
    """Outcome of loading a set of paths.

    Attributes:
        documents: Unique documents (first occurrence of each ``doc_id``), sorted by
            source, then position in the source.
        skipped: Files (and folders or links) that were not indexed, with the reason.
        duplicates: Documents dropped because an equal ``doc_id`` came earlier.
        file_hashes: Source → sha256 hex of the bytes of each file that was loaded.
        files_seen: Entries found in the given paths (loaded or skipped).
        links: Title-only link-list entries (``link`` Documents are not content), in
            source order, one per distinct title and source.
    """

    documents: list[Document]
    skipped: list[SkippedFile]
    duplicates: int
    file_hashes: dict[str, str] = field(default_factory=dict)
    files_seen: int = 0
    links: list[LinkTitle] = field(default_factory=list)


def load_file(path: Path, source: str, max_bytes: int) -> tuple[list[Document], SkippedFile | None]:
    """Read one file into Documents, or say why it was skipped.

    Args:
        path: The file.
        source: Name stored on its documents (and on the skip record).
        max_bytes: Larger files are skipped.

    Returns:
        ``(documents, None)``, or ``([], SkippedFile)`` with a Chinese reason.
    """
    try:
        docs = _load(path, source, max_bytes)[0]
        return [d for d in docs if d.kind != "link"], None
    except SkipFile as exc:
        logger.debug("Skipped %s: %s", source, exc)
        return [], SkippedFile(source, str(exc))


def _load(
    path: Path, source: str, max_bytes: int, catalog: SourceMeta | None = None
) -> tuple[list[Document], str]:
    """Documents of one file (with its source metadata) and the sha256 of its bytes.

    ``catalog``: what a ``sources.toml`` says about the file (it wins over the file's own
    front matter or HTML meta). Raises SkipFile.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"不支持的文件类型 {suffix}" if suffix else "不支持的文件类型(无扩展名)")
    data = read_bytes(path, max_bytes)
    if not data:
        raise SkipFile("文件为空")
    raw, suffix = _text_of(data, suffix)
    meta = catalog or SourceMeta()
    if suffix == ".md":
        own, raw = front_matter(raw)
        meta = meta.over(own)
    if not raw.strip():
        raise SkipFile("文件为空(只有空白字符)")
    if suffix in (".html", ".htm"):
        meta = meta.over(meta_from(dict(html_meta(raw))))
        title, raw = html_to_text(raw)
        if not raw:
            raise SkipFile("网页中没有可见文字")
    else:
        title = meta.title
    docs = parse_page(raw, source) if looks_like_page(raw) else _plain(raw, source, suffix, title)
    meta = meta.over(SourceMeta(added=file_date(path)))
    return describe(docs, meta), hashlib.sha256(data).hexdigest()


def _text_of(data: bytes, suffix: str) -> tuple[str, str]:
    """The file's text and the suffix it is read as: a PDF as plain text, Word as Markdown."""
    try:
        if suffix == ".pdf":
            return pdf_to_text(data), ".txt"
        if suffix == ".docx":
            return docx_to_markdown(data), ".md"
    except UnreadableDocument as exc:
        raise SkipFile(str(exc)) from exc
    return decode_text(data), suffix


def _plain(raw: str, source: str, suffix: str, title: str | None) -> list[Document]:
    """One ``file`` Document: title from the first non-empty line (or ``title``), unless
    that line is too long to be one (:mod:`qa.text.titles`).

    A Markdown file's sections start at its headings (see :mod:`ingest.formats.markdown_text`).
    """
    lines = split_lines(raw)
    filled = [i for i, ln in enumerate(lines) if ln.text]
    first, rest = lines[filled[0]], filled[0] + 1
    heading = first.text
    if suffix == ".md":
        heads = md_headings(raw)
        if heads and heads[0].start == first.start:  # opens with a heading (maybe setext)
            heading = heads[0].text
            rest = next((i for i in filled if lines[i].start > heads[0].end), len(lines))
        else:
            heading = first.text.lstrip("#").strip()
    if title is not None and compact(title) != compact(heading):
        title, body = clip_title(title), lines
    elif not is_title_line(heading):  # a paragraph, not a title: it stays in the text
        title, body = derived_title(heading), lines
    else:
        title, body = title or heading or first.text, lines[rest:]
    if not any(ln.text for ln in body):  # a one-line file: its line is also its text
        body = [first]
    sections = None
    if suffix == ".md":
        content = [ln for ln in body if ln.text]
        sections = md_sections(raw, content[0].start, content[-1].end)
    doc = make_document(raw, source, "file", title, body, sections=sections)
    return [doc] if doc else []


def load_paths(
    paths: Sequence[Path], max_bytes: int, *, allow_external_symlinks: bool = False
) -> LoadResult:
    """Load files and folders (recursively), deduplicating documents by ``doc_id``.

    Nothing aborts the run: an entry that cannot be loaded is skipped with a reason (see
    :mod:`ingest.files` for links, loops and unreadable folders). Skips are logged at
    DEBUG only: the caller reports them, once each.

    Args:
        paths: Files (source = file name) and folders (source = path relative to it).
        max_bytes: Larger files are skipped.
        allow_external_symlinks: Follow links in folders to targets outside them.

    Returns:
        The documents, skipped entries, duplicate count, file hashes and entries found.
    """
    files, skipped = _find(paths, allow_external_symlinks)
    catalogs, hashes = _catalogs(paths)
    files = [(path, source) for path, source in files if source != SOURCES_FILE]
    found = len(files) + sum(1 for s in skipped if s.reason != _MISSING)
    seen_files: set[tuple[int, int]] = set()
    loaded: list[tuple[str, int, Document]] = []
    for path, source in files:
        try:
            info = os.stat(path)
            if (info.st_dev, info.st_ino) in seen_files:  # the same file under another name
                continue
            seen_files.add((info.st_dev, info.st_ino))
            docs, digest = _load(path, source, max_bytes, catalogs.get(source, catalogs.get("")))
        except SkipFile as exc:
            reason = str(exc)
        except OSError as exc:
            reason = unreadable(exc)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
            logger.debug("Unexpected error in %s", source, exc_info=True)
            reason = f"处理文件时出错({type(exc).__name__})"
        else:
            hashes[source] = digest
            loaded.extend((source, n, doc) for n, doc in enumerate(docs))
            continue
        logger.debug("Skipped %s: %s", source, reason)
        skipped.append(SkippedFile(source, reason))
    loaded.sort(key=lambda item: (item[0], item[2].start, item[1]))
    unique: dict[str, Document] = {}
    links: dict[tuple[str, str], LinkTitle] = {}
    contents = [doc for _, _, doc in loaded if doc.kind != "link"]
    for doc in contents:
        unique.setdefault(doc.doc_id, doc)
    for _, _, doc in loaded:
        if doc.kind == "link":
            links.setdefault((doc.source, doc.title), link_title(doc))
    duplicates = len(contents) - len(unique)
    logger.info(
        "Loaded %s documents from %s files (%s duplicates, %s skipped)",
        len(unique),
        len(hashes),
        duplicates,
        len(skipped),
    )
    return LoadResult(
        list(unique.values()), skipped, duplicates, hashes, found, list(links.values())
    )


def link_title(doc: Document) -> LinkTitle:
    """The :class:`LinkTitle` a ``link`` Document stands for."""
    return LinkTitle(doc.source, doc.title, doc.date, doc.regions)


def _catalogs(paths: Sequence[Path]) -> tuple[dict[str, SourceMeta], dict[str, str]]:
    """The ``sources.toml`` entries of the folders in ``paths`` by file name, and their hashes
    (keyed so a change to a catalog makes the index stale)."""
    entries: dict[str, SourceMeta] = {}
    hashes: dict[str, str] = {}
    for folder in paths:
        if folder.is_dir():
            found, digest = read_catalog(folder)
            for name, meta in found.items():
                entries.setdefault(name, meta)
            if digest is not None:
                hashes[f"{SOURCES_FILE}@{folder.absolute().name}"] = digest
    return entries, hashes


def _find(
    paths: Sequence[Path], allow_external_symlinks: bool
) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
    """``(path, source)`` of the files under ``paths``, and the entries skipped finding them."""
    files: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        try:
            is_folder = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as exc:
            missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
            skipped.append(SkippedFile(str(path), _MISSING if missing else unreadable(exc)))
            continue
        if is_folder:
            walk = walk_corpus(path, allow_external_symlinks)
            files.extend(walk.files)
            skipped.extend(walk.skipped)
        else:  # named on purpose: followed wherever it links to
            files.append((path, path.name))
    return files, skipped
