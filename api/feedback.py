"""Answer feedback (thumbs up/down) stored in SQLite, exported as CSV for Excel.

One short-lived connection per call (WAL mode, so readers never block the writer). Feedback
is taken only on an answer still in the in-memory ``RecentAnswers`` cache, and stored with its
question and answer (answers themselves are never written to disk otherwise).

Example:
    >>> store = FeedbackStore(settings.feedback_path)
    >>> store.add(answer_id, "up", comment="很清楚")
    >>> csv_text = store.export_csv()
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from pathlib import Path

from cachetools import LRUCache

COLUMNS = ("id", "created_at", "answer_id", "rating", "comment", "question", "answer")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT ''
)
"""


class RecentAnswers:
    """The last ``size`` answers by id: ``answer_id -> (question, answer text)``.

    A thread-safe ``cachetools.LRUCache``: the least recently used answer is forgotten first.

    Example:
        >>> recent = RecentAnswers(size=2)
        >>> recent.remember("a1", "医保码怎么激活", "…")
        >>> recent.get("a1")
        ('医保码怎么激活', '…')
    """

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._items: LRUCache[str, tuple[str, str]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def remember(self, answer_id: str, question: str, text: str) -> None:
        """Keep an answer so feedback on it can name the question."""
        with self._lock:
            self._items[answer_id] = (question, text)

    def get(self, answer_id: str) -> tuple[str, str] | None:
        """``(question, answer)``, or ``None`` for an id never given or already forgotten."""
        with self._lock:
            item: tuple[str, str] | None = self._items.get(answer_id)
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
                conn.close()
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)

    def add(
        self, answer_id: str, rating: str, comment: str = "", question: str = "", answer: str = ""
    ) -> int:
        """Store one feedback row; returns its id."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        conn = self._connect()
        try:
            with conn:
                cursor = conn.execute(
                    "INSERT INTO feedback (created_at, answer_id, rating, comment, question,"
                    " answer) VALUES (?, ?, ?, ?, ?, ?)",
                    (stamp, answer_id, rating, comment, question, answer),
                )
            return int(cursor.lastrowid or 0)
        finally:
            conn.close()

    def rows(self) -> list[tuple[object, ...]]:
        """All rows, oldest first, in ``COLUMNS`` order."""
        conn = self._connect()
        try:
            return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        finally:
            conn.close()

    def export_csv(self) -> str:
        """All rows as CSV text starting with a UTF-8 BOM (so Excel reads the Chinese)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in self.rows():
            writer.writerow([_excel_safe(v) for v in row])
        return out.getvalue()
