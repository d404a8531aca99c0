"""Admin review routes: the retrieval test (each signal's score) and the feedback review."""

from __future__ import annotations

import logging
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import ServiceDep, get_feedback, require_admin
from api.errors import ApiError, invalid, question_message
from api.openapi import error_responses
from api.routes.admin.schemas import FeedbackPage, SearchOut
from api.schemas import QUESTION_PATTERN
from qa.service import InvalidQuestionError
from qa.types import SearchMode

logger = logging.getLogger(__name__)

FEEDBACK_UNREADABLE = "反馈暂时无法读取,请稍后再试 / Feedback could not be read, please retry."

router = APIRouter(
    tags=["管理"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(403, 413, 422, 429),
)


@router.get(
    "/api/admin/search",
    response_model=SearchOut,
    summary="检索测试:按问题排序的段落及各信号得分",
    description=(
        "与回答时相同的检索(问题先经同样的理解:规范化、同义词、地区)。`scores` 是各信号的"
        "原始分:dense、bm25、title_bm25、title_dense、sentence_dense(余弦或 BM25 分),"
        "region(地区加分),rerank(重排模型分);`score` 是融合后的分数。"
    ),
    responses=error_responses(503),
)
def search(
    service: ServiceDep,
    q: Annotated[
        str,
        Query(description="问题(1–500 字)", json_schema_extra={"pattern": QUESTION_PATTERN}),
    ],
    top_k: Annotated[int, Query(ge=1, le=50, description="返回条数")] = 10,
    mode: Annotated[SearchMode, Query(description="hybrid | dense | bm25")] = "hybrid",
) -> dict[str, Any]:
    try:
        question = service.understand(q)
    except InvalidQuestionError as exc:
        raise invalid(("query", "q"), question_message(exc)) from exc
    retrieval = service.retriever.retrieve(question, top_k=top_k, mode=mode)
    return {
        "query": q,
        "understood": {
            "text": question.text,
            "terms": list(question.terms),
            "regions": list(question.regions),
            "intent": question.intent,
            "kind": question.kind,
        },
        "mode": mode,
        "hits": [hit.to_dict() for hit in retrieval.hits],
        "timings_ms": {k: round(v, 2) for k, v in retrieval.timings_ms.items()},
    }


@router.get(
    "/api/admin/feedback",
    response_model=FeedbackPage,
    summary="反馈(分页,“没用”在前,其次最新)",
    description="每条含问题、回答和引用(引用自本版本起记录,更早的为 null)。",
    responses=error_responses(503),
)
def feedback_page(
    request: Request,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="页码,从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="每页条数")] = 20,
) -> dict[str, Any]:
    try:
        total, down, items = get_feedback(request).page((page - 1) * size, size)
    except sqlite3.Error as exc:
        logger.exception("feedback not read")
        raise ApiError(503, FEEDBACK_UNREADABLE) from exc
    return {"total": total, "down": down, "page": page, "size": size, "items": items}
