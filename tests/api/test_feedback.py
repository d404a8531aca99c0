"""The feedback store (SQLite → CSV) and the recent-answer cache it names questions from."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from api.feedback import FeedbackStore, RecentAnswers


def test_recent_answers_forget_the_least_recently_used():
    recent = RecentAnswers(size=2)
    recent.remember("a", "问a", "答a")
    recent.remember("b", "问b", "答b")
    assert recent.get("a") == ("问a", "答a")  # "a" is now the most recently used
    recent.remember("c", "问c", "答c")
    assert recent.get("b") is None and recent.get("a") == ("问a", "答a")
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
    comment, question, answer = rows[1][4:]
    assert comment == question == "'" + cell and answer == "安全"
