"""Load corpus files and folders into Documents, skipping what cannot be read as text.

Text is decoded as UTF-8 (BOM optional) or else GB18030, with newlines normalised to
``\\n`` (as Python's text mode does); Document offsets refer to that decoded text, or
for HTML to its extracted visible text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.html_text import html_to_text
from ingest.markdown_text import md_headings, md_sections
from ingest.pages import (
    looks_like_page,
    make_document,
    parse_page,
    split_lines,
)
from qa.text.normalize import compact
from qa.types import Document, SkippedFile

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xff\xd8\xff", b"GIF8", b"\x7fELF")
_CONTROL_BYTES = bytes(b for b in [*range(0x20), 0x7F] if b not in b"\t\n\r\f\v\x1b")
_MAX_CONTROL_SHARE = 0.05


class SkipFile(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside loading when a file must be skipped; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class LoadResult:
    """Outcome of loading a set of paths.

    Attributes:
        documents: Unique documents (first occurrence of each ``doc_id``), sorted by
            source, then position in the source.
        skipped: Files that were not indexed, with the reason.
        duplicates: Documents dropped because an equal ``doc_id`` came earlier.
        file_hashes: Source → sha256 hex of the bytes of each file that was loaded.
        files_seen: Files found (loaded or skipped).
    """

    documents: list[Document]
    skipped: list[SkippedFile]
    duplicates: int
    file_hashes: dict[str, str] = field(default_factory=dict)
    files_seen: int = 0


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
        return _load(path, source, max_bytes)[0], None
    except SkipFile as exc:
        logger.warning("Skipped %s: %s", source, exc)
        return [], SkippedFile(source, str(exc))


def _load(path: Path, source: str, max_bytes: int) -> tuple[list[Document], str]:
    """Documents of one file and the sha256 of its bytes; raises SkipFile."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"不支持的文件类型 {suffix}" if suffix else "不支持的文件类型(无扩展名)")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"文件过大({_format_size(size)},上限 {_format_size(max_bytes)})")
        data = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"无法读取文件({exc.strerror or type(exc).__name__})") from exc
    if not data:
        raise SkipFile("文件为空")
    raw = _decode(data)
    if not raw.strip():
        raise SkipFile("文件为空(只有空白字符)")
    if suffix in (".html", ".htm"):
        title, raw = html_to_text(raw)
        if not raw:
            raise SkipFile("网页中没有可见文字")
    else:
        title = None
    docs = parse_page(raw, source) if looks_like_page(raw) else _plain(raw, source, suffix, title)
    return docs, hashlib.sha256(data).hexdigest()


def _format_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} KB"
    return f"{n} B"


def _decode(data: bytes) -> str:
    """Decode text bytes (UTF-8, else GB18030) with ``\\n`` newlines; raises SkipFile."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        raise SkipFile("编码无法识别(非 UTF-8/GB18030)")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\0" in data or data.startswith(_MAGIC) or controls > _MAX_CONTROL_SHARE * len(data):
        raise SkipFile("二进制文件,无法作为文本读取")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        odd = sum(1 for ch in text if unicodedata.category(ch) in ("Co", "Cn"))
        if odd <= 0.01 * len(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise SkipFile("编码无法识别(非 UTF-8/GB18030)")


def _plain(raw: str, source: str, suffix: str, title: str | None) -> list[Document]:
    """One ``file`` Document: title from the first non-empty line (or ``title``).

    A Markdown file's sections start at its headings (see :mod:`ingest.markdown_text`).
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
    if title is None or compact(title) == compact(heading):
        title, body = title or heading or first.text, lines[rest:]
    else:
        body = lines
    if not any(ln.text for ln in body):  # a one-line file: its line is also its text
        body = [first]
    sections = None
    if suffix == ".md":
        content = [ln for ln in body if ln.text]
        sections = md_sections(raw, content[0].start, content[-1].end)
    doc = make_document(raw, source, "file", title, body, sections=sections)
    return [doc] if doc else []


def _walk(folder: Path) -> list[tuple[Path, str]]:
    """Non-hidden files under ``folder``, sorted, with posix paths relative to it."""
    found: list[tuple[Path, str]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = Path(root) / name
                found.append((path, path.relative_to(folder).as_posix()))
    return found


def load_paths(paths: Sequence[Path], max_bytes: int) -> LoadResult:
    """Load files and folders (recursively), deduplicating documents by ``doc_id``.

    Args:
        paths: Files (source = file name) and folders (source = path relative to it).
        max_bytes: Larger files are skipped.

    Returns:
        The documents, skipped files, duplicate count, file hashes and file count.
    """
    files: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path))
        elif path.is_file():
            files.append((path, path.name))
        else:
            logger.warning("Skipped %s: path does not exist", path)
            skipped.append(SkippedFile(str(path), "路径不存在"))
    seen_paths: set[Path] = set()
    loaded: list[tuple[str, int, Document]] = []
    hashes: dict[str, str] = {}
    for path, source in files:
        if path.resolve() in seen_paths:
            continue
        seen_paths.add(path.resolve())
        try:
            docs, digest = _load(path, source, max_bytes)
        except SkipFile as exc:
            logger.warning("Skipped %s: %s", source, exc)
            skipped.append(SkippedFile(source, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
            logger.warning("Skipped %s: unexpected error %r", source, exc, exc_info=True)
            skipped.append(SkippedFile(source, f"处理文件时出错({type(exc).__name__})"))
            continue
        hashes[source] = digest
        loaded.extend((source, n, doc) for n, doc in enumerate(docs))
    loaded.sort(key=lambda item: (item[0], item[2].start, item[1]))
    unique: dict[str, Document] = {}
    for _, _, doc in loaded:
        unique.setdefault(doc.doc_id, doc)
    duplicates = len(loaded) - len(unique)
    logger.info(
        "Loaded %s documents from %s files (%s duplicates, %s skipped)",
        len(unique),
        len(hashes),
        duplicates,
        len(skipped),
    )
    return LoadResult(list(unique.values()), skipped, duplicates, hashes, len(files))
