"""Plain-JSON shapes of an answer, shared by `yibao ask --json`, `--jsonl` and the HTTP API."""

from __future__ import annotations

from typing import Any

from qa.answering.disclaimer import DISCLAIMER
from qa.types import Answer


def citation_payload(answer: Answer) -> list[dict[str, Any]]:
    """Citations as ``{n, doc_id, chunk_id, source, title, date, quote, start, end}``."""
    return [
        {
            "n": c.n,
            "doc_id": c.doc_id,
            "chunk_id": c.chunk_id,
            "source": c.source,
            "title": c.title,
            "date": c.date,
            "quote": c.quote,
            "start": c.start,
            "end": c.end,
        }
        for c in answer.citations
    ]


def sources_date_range(answer: Answer) -> dict[str, str] | None:
    """Earliest and latest date among the cited sources, if any has one."""
    dates = sorted(c.date for c in answer.citations if c.date)
    return {"from": dates[0], "to": dates[-1]} if dates else None


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
        "timings_ms": {k: round(v, 2) for k, v in answer.timings_ms.items()},
    }


def jsonl_record(item_id: Any, answer: Answer) -> dict[str, Any]:
    """One output line of `yibao ask --jsonl`."""
    return {
        "id": item_id,
        "question": answer.question,
        "answer": answer.text,
        "citations": [
            {k: c[k] for k in ("n", "doc_id", "source", "title", "date", "quote")}
            for c in citation_payload(answer)
        ],
        "refused": answer.refused,
        "retrieved": [
            {
                "rank": h.rank,
                "chunk_id": h.chunk.chunk_id,
                "source": h.chunk.source,
                "text": h.chunk.text,
                "score": round(h.score, 6),
            }
            for h in answer.hits
        ],
        "timings_ms": {k: round(v, 2) for k, v in answer.timings_ms.items()},
    }
