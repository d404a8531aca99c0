"""Answer feedback (thumbs up/down) stored in SQLite, exported as CSV, paged for review.

One short-lived connection per call (WAL mode, so readers never block the writer). Feedback
is taken only on an answer still in the in-memory ``RecentAnswers`` cache, and stored with its
question, answer and citations (answers themselves are never written to disk otherwise).
A database made before citations were stored gains the column on first use; its old rows
keep ``NULL`` there (citations not known).

Example:
    >>> store = FeedbackStore(settings.feedback_path)
    >>> store.add(answer_id, "up", comment="很清楚")
    >>> csv_text = store.export_csv()
    >>> total, down, rows = store.page(offset=0, limit=20)  # 没用 first, then newest
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cachetools import LRUCache

COLUMNS = (
    "id", "created_at", "answer_id", "rating", "comment", "question", "answer", "citations"
)  # fmt: skip
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT '',
    citations TEXT
)
"""
#: Columns added after the first release, with their SQL type (old rows get NULL).
_ADDED_COLUMNS = {"citations": "TEXT"}


class Remembered(NamedTuple):
    """What feedback on an answer is stored with: its question, text and citations."""

    question: str
    answer: str
    citations: tuple[dict[str, Any], ...] = ()


class RecentAnswers:
    """The last ``size`` answers by id: ``answer_id -> Remembered(question, answer, citations)``.

    A thread-safe ``cachetools.LRUCache``: the least recently used answer is forgotten first.

    Example:
        >>> recent = RecentAnswers(size=2)
        >>> recent.remember("a1", "医保码怎么激活", "…")
        >>> recent.get("a1")
        Remembered(question='医保码怎么激活', answer='…', citations=())
    """

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._items: LRUCache[str, Remembered] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def remember(
        self,
        answer_id: str,
        question: str,
        text: str,
        citations: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Keep an answer so feedback on it can name the question and the sources cited."""
        with self._lock:
            self._items[answer_id] = Remembered(question, text, tuple(citations))

    def get(self, answer_id: str) -> Remembered | None:
        """The remembered answer, or ``None`` for an id never given or already forgotten."""
        with self._lock:
            item: Remembered | None = self._items.get(answer_id)
        return item

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


#: A cell starting with one of these is run as a formula by Excel/LibreOffice (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _excel_safe(value: object) -> object:
    """Stop spreadsheets from running a cell as a formula (CSV injection): a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class FeedbackStore:
    """Feedback rows in one SQLite file (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with sqlite3.connect(self.path, timeout=10) as conn:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(_SCHEMA)
                    _add_missing_columns(conn)
                conn.close()
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)

    def add(
        self,
        answer_id: str,
        rating: str,
        comment: str = "",
        question: str = "",
        answer: str = "",
        citations: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Store one feedback row (``citations`` as JSON); returns its id."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        cited = json.dumps(list(citations), ensure_ascii=False)
        conn = self._connect()
        try:
            with conn:
                cursor = conn.execute(
                    "INSERT INTO feedback (created_at, answer_id, rating, comment, question,"
                    " answer, citations) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (stamp, answer_id, rating, comment, question, answer, cited),
                )
            return int(cursor.lastrowid or 0)
        finally:
            conn.close()

    def page(self, offset: int, limit: int) -> tuple[int, int, list[dict[str, Any]]]:
        """``(rows, down rows, up to limit rows from offset)``: 没用 (``down``) first, then newest.

        Each row is a dict of ``COLUMNS``; ``citations`` is a list, or ``None`` when the row
        predates stored citations.
        """
        conn = self._connect()
        try:
            total, down = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(rating = 'down'), 0) FROM feedback"
            ).fetchone()
            found = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM feedback"
                " ORDER BY rating = 'down' DESC, id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        finally:
            conn.close()
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in found]
        for row in rows:
            row["citations"] = _citations(row["citations"])
        return int(total), int(down), rows

    def rows(self) -> list[tuple[object, ...]]:
        """All rows, oldest first, in ``COLUMNS`` order."""
        conn = self._connect()
        try:
            return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        finally:
            conn.close()

    def export_csv(self) -> str:
        """All rows as CSV text starting with a UTF-8 BOM (so Excel reads the Chinese).

        The citations cell reads ``[1] 标题(来源); [2] …`` (empty when not recorded).
        """
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in self.rows():
            *values, cited = row
            writer.writerow([_excel_safe(v) for v in [*values, _cited_text(cited)]])
        return out.getvalue()


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Migrate a database made by an older version: add the columns it lacks."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE feedback ADD COLUMN {name} {kind}")


def _citations(stored: object) -> list[dict[str, Any]] | None:
    """The stored citations JSON as a list (``None``: not recorded, or unreadable)."""
    if not isinstance(stored, str):
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    return [c for c in value if isinstance(c, dict)] if isinstance(value, list) else None


def _cited_text(stored: object) -> str:
    """Citations as one readable cell: ``[1] 标题(来源); [2] …``."""
    return "; ".join(
        f"[{c.get('n', '?')}] {c.get('title', '')}({c.get('source', '')})"
        for c in _citations(stored) or []
    )
