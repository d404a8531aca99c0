"""Plain-JSON shapes of an answer, shared by `yibao ask --json`, `--jsonl` and the HTTP API.

Hits and citations are written by ``Hit.to_dict`` / ``Citation.to_dict``; this module only
assembles them into the answer-level shapes.
"""

from __future__ import annotations

from typing import Any

from qa.answering.disclaimer import DISCLAIMER
from qa.types import Answer


def citation_payload(answer: Answer) -> list[dict[str, Any]]:
    """Citations as ``{n, chunk_id, doc_id, source, title, date, quote, start, end}``."""
    return [c.to_dict() for c in answer.citations]


def sources_date_range(answer: Answer) -> dict[str, str] | None:
    """Earliest and latest date among the cited sources, if any has one."""
    dates = sorted(c.date for c in answer.citations if c.date)
    return {"from": dates[0], "to": dates[-1]} if dates else None


def timings(answer: Answer) -> dict[str, float]:
    """Milliseconds per stage, rounded to 0.01 ms."""
    return {k: round(v, 2) for k, v in answer.timings_ms.items()}


def answer_payload(answer: Answer) -> dict[str, Any]:
    """The structure of `yibao ask --json` and `POST /api/ask`."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "citations": citation_payload(answer),
        "refused": answer.refused,
        "reason": answer.reason,
        "notes": list(answer.notes),
        "composer": answer.composer,
        "disclaimer": DISCLAIMER,
        "sources_date_range": sources_date_range(answer),
        "timings_ms": timings(answer),
    }


def jsonl_record(item_id: Any, answer: Answer) -> dict[str, Any]:
    """One output line of `yibao ask --jsonl` (``retrieved`` holds ``Hit.to_dict()`` items)."""
    return {
        "id": item_id,
        "question": answer.question,
        "answer": answer.text,
        "citations": citation_payload(answer),
        "refused": answer.refused,
        "retrieved": [h.to_dict() for h in answer.hits],
        "timings_ms": timings(answer),
    }
