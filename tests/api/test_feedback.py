"""The feedback store (SQLite → CSV) and the recent-answer cache it names questions from."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading

import pytest

from api.feedback import FeedbackStore, RecentAnswers


def test_recent_answers_forget_the_least_recently_used():
    recent = RecentAnswers(size=2)
    recent.remember("a", "问a", "答a")
    recent.remember("b", "问b", "答b")
    assert recent.get("a") == ("问a", "答a", ())  # "a" is now the most recently used
    recent.remember("c", "问c", "答c", [{"n": 1, "title": "标题"}])
    assert recent.get("b") is None and recent.get("a") == ("问a", "答a", ())
    assert recent.get("c").citations == ({"n": 1, "title": "标题"},)
    assert len(recent) == 2


def test_recent_answers_from_many_threads():
    recent = RecentAnswers(size=50)

    def work(n):
        for i in range(200):
            recent.remember(f"{n}-{i}", "q", "t")
            recent.get(f"{n}-{i - 1}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(recent) == 50


def test_store_rows_and_excel_safe_csv(tmp_path):
    store = FeedbackStore(tmp_path / "deep" / "feedback.db")
    first = store.add("a" * 32, "up", "=1+1", "医保码怎么激活", "答")
    assert store.add("b" * 32, "down") == first + 1
    assert [row[3] for row in store.rows()] == ["up", "down"]
    text = store.export_csv()
    assert text.startswith("\ufeffid,created_at,") and "'=1+1" in text


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_neutralised(tmp_path, trigger):
    store = FeedbackStore(tmp_path / "feedback.db")
    cell = trigger + 'HYPERLINK("http://evil.example")'
    store.add("a" * 32, "down", comment=cell, question=cell, answer="安全")
    rows = list(csv.reader(io.StringIO(store.export_csv().removeprefix("\ufeff"))))
    comment, question, answer, cited = rows[1][4:]
    assert comment == question == "'" + cell and answer == "安全" and cited == ""


#: The table as the first release created it (no citations column).
OLD_SCHEMA = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT ''
)
"""


def test_an_old_database_gains_citations_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feedback.db"
    with sqlite3.connect(path) as conn:
        conn.execute(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO feedback (created_at, answer_id, rating, question, answer)"
            " VALUES ('2026-01-01T00:00:00', ?, 'down', '旧问题', '旧回答')",
            ("a" * 32,),
        )
    conn.close()
    store = FeedbackStore(path)
    cited = [{"n": 1, "doc_id": "d1", "title": "医保码激活", "source": "000.txt"}]
    store.add("b" * 32, "up", question="新问题", answer="新回答[1]", citations=cited)
    total, down, rows = store.page(0, 10)
    assert (total, down) == (2, 1)
    assert [(r["question"], r["citations"]) for r in rows] == [("旧问题", None), ("新问题", cited)]
    text = store.export_csv()
    assert "[1] 医保码激活(000.txt)" in text and "旧回答" in text


def test_feedback_page_puts_down_first_then_newest(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.db")
    for n, rating in enumerate(["up", "down", "up", "down", "up"]):
        store.add(f"{n:032d}", rating, question=f"问{n}")
    total, down, rows = store.page(0, 3)
    assert (total, down) == (5, 2)
    assert [r["question"] for r in rows] == ["问3", "问1", "问4"]
    assert [r["question"] for r in store.page(3, 3)[2]] == ["问2", "问0"]
