"""What a file says about its source: title, link, publisher, date — for readable citations.

Three places, most specific first:

- a ``sources.toml`` at the top of a source folder, one table per file (the shipped
  ``corpus/sources.toml`` describes the five scraped pages)::

      added = "2026-11-23"               # default for every file: when it joined the corpus
      ["000_6efac6a7bac98b9c.txt"]
      title = "医保从来没用过怎么激活"
      publisher = "…"
      url = "https://…"

- Markdown front matter (``---`` … ``---`` with ``title: …`` lines), blanked out of the text
  with its length kept so document offsets stay true;
- HTML ``<meta>`` / ``<link rel=canonical>`` (``ingest.formats.html_text.html_meta``).

A file with no ``added`` date gets its modification date.

Example:
    >>> meta, text = front_matter("---\\ntitle: 通知\\nurl: https://example.org\\n---\\n正文")
    >>> meta.url
    'https://example.org'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from qa.types import Document

logger = logging.getLogger(__name__)

SOURCES_FILE = "sources.toml"
_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"^([A-Za-z_]+)\s*:\s*(.*?)\s*$", re.M)
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


@dataclass(frozen=True)
class SourceMeta:
    """Metadata of one source file (every field optional)."""

    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    added: str | None = None

    def over(self, other: SourceMeta) -> SourceMeta:
        """These values, falling back to ``other``'s where unset."""
        return SourceMeta(
            **{f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)}
        )


def meta_from(values: dict[str, object]) -> SourceMeta:
    """Metadata from raw values: known keys only, dates as ISO, only http(s) links."""
    known = {f.name for f in fields(SourceMeta)}
    text = {k: " ".join(str(v).split())[:300] for k, v in values.items() if k in known and v}
    for key in ("date", "added"):
        if key in text:
            text[key] = iso_date(text[key]) or ""
    if not str(text.get("url", "")).startswith(("http://", "https://")):
        text.pop("url", None)  # never a javascript: or file: link in a citation
    return SourceMeta(**{k: v or None for k, v in text.items()})


def iso_date(value: str) -> str | None:
    """``YYYY-MM-DD`` of the first date in ``value`` (2025-4-27, 2025年4月27日 …), else None."""
    match = _DATE.search(value)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


def read_catalog(folder: Path) -> tuple[dict[str, SourceMeta], str | None]:
    """``folder/sources.toml`` by file name (folder default under ``""``) and its sha256.

    A damaged file is logged and ignored (citations fall back to the files' own titles).
    """
    path = folder / SOURCES_FILE
    try:
        data = path.read_bytes()
    except OSError:
        return {}, None
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        logger.warning("ignored %s: %s", path, exc)
        return {}, hashlib.sha256(data).hexdigest()
    default = meta_from({k: v for k, v in raw.items() if not isinstance(v, dict)})
    entries = {"": default}
    for name, values in raw.items():
        if isinstance(values, dict):
            entries[name] = meta_from(values).over(default)
    return entries, hashlib.sha256(data).hexdigest()


def front_matter(raw: str) -> tuple[SourceMeta, str]:
    """Metadata from a Markdown front-matter block, and ``raw`` with the block blanked."""
    match = _FRONT.match(raw)
    if not match:
        return SourceMeta(), raw
    values = {k.lower(): v.strip().strip("\"'") for k, v in _FIELD.findall(match.group(1))}
    blank = re.sub(r"[^\n]", " ", match.group(0))
    return meta_from(values), blank + raw[match.end() :]


def file_date(path: Path) -> str | None:
    """The file's modification date (``YYYY-MM-DD``), or None when it cannot be read."""
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    except (OSError, ValueError, OverflowError):
        return None


def describe(docs: list[Document], meta: SourceMeta) -> list[Document]:
    """``docs`` with the file's metadata; the source title defaults to the first doc's title."""
    if not docs:
        return docs
    title = meta.title or docs[0].title
    return [
        replace(
            doc,
            source_title=title,
            url=meta.url,
            publisher=meta.publisher,
            date=doc.date or (meta.date if doc.kind != "snippet" else None),
            added=meta.added,
        )
        for doc in docs
    ]
