"""A cited document with its highlighted span, and example questions from corpus titles."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from api.deps import ServiceDep
from api.errors import ApiError, invalid
from api.openapi import error_responses
from api.schemas import DocumentPublic, Suggestions
from qa.refusal.messages import FALLBACK_SUGGESTIONS, candidate_questions
from qa.types import Document

router = APIRouter(responses=error_responses(401, 413, 422, 429, 503))

HIGHLIGHT_CONTEXT = 80
SPAN_PATTERN = "^[0-9]+,[0-9]+$"  # documented; _SPAN is the same with groups
_SPAN = re.compile(r"([0-9]+),([0-9]+)")


def _span(highlight: str, length: int) -> tuple[int, int]:
    """``"start,end"`` → ints with ``0 <= start < end <= length``, else a 422."""
    loc = ("query", "highlight")
    found = _SPAN.fullmatch(highlight)
    if found is None:
        raise invalid(
            loc,
            "highlight 参数格式应为 start,end(两个整数) / "
            "highlight must be 'start,end' (two integers).",
        )
    start, end = int(found[1]), int(found[2])
    if not 0 <= start < end <= length:
        raise invalid(
            loc,
            f"引用位置超出文档范围(需 0 ≤ start < end ≤ {length}) / "
            f"highlight span out of range (need 0 <= start < end <= {length}).",
        )
    return start, end


@router.get(
    "/api/documents/{doc_id}",
    response_model=DocumentPublic,
    tags=["文档"],
    summary="查看引用的文档(可高亮引用片段)",
    description="`?highlight=start,end` 另返回 `highlight`:引用片段及其前后文。",
    responses=error_responses(404),
)
def document(
    doc_id: Annotated[str, PathParam(max_length=128, description="文档编号 doc_id")],
    service: ServiceDep,
    highlight: Annotated[
        str | None,
        Query(description="引用位置 start,end", json_schema_extra={"pattern": SPAN_PATTERN}),
    ] = None,
) -> dict[str, Any]:
    doc: Document | None = service.documents.get(doc_id)
    if doc is None:
        raise ApiError(404, f"找不到该文档 {doc_id} / Document {doc_id} not found.")
    payload: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "kind": doc.kind,
        "date": doc.date,
        "time": doc.time,
        "regions": list(doc.regions),
        "text": doc.text,
        "source_title": doc.source_title,
        "url": doc.url,
        "publisher": doc.publisher,
        "added": None if doc.date else doc.added,
    }
    if highlight is not None:
        start, end = _span(highlight, len(doc.text))
        payload["highlight"] = {
            "start": start,
            "end": end,
            "before": doc.text[max(0, start - HIGHLIGHT_CONTEXT) : start],
            "text": doc.text[start:end],
            "after": doc.text[end : end + HIGHLIGHT_CONTEXT],
        }
    return payload


def pick_suggestions(documents: Iterable[Document], n: int) -> list[str]:
    """``n`` question-like 医保 titles: the curated ones first, then one per source in turn."""
    by_source: dict[str, list[Document]] = {}
    for doc in documents:
        by_source.setdefault(doc.source, []).append(doc)
    queues = [candidate_questions(docs) for _, docs in sorted(by_source.items())]
    known = {q for queue in queues for q in queue}
    chosen = [q for q in FALLBACK_SUGGESTIONS if q in known]
    while len(chosen) < n and any(queues):
        for queue in queues:
            while queue and queue[0] in chosen:
                queue.pop(0)
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    return chosen[:n]


@router.get(
    "/api/suggestions",
    response_model=Suggestions,
    tags=["问答"],
    summary="示例问题(取自资料库标题)",
)
def suggestions(
    service: ServiceDep, n: Annotated[int, Query(ge=1, le=20, description="条数")] = 6
) -> dict[str, list[str]]:
    return {"suggestions": pick_suggestions(service.documents.values(), n)}
