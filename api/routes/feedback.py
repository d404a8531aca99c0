"""``POST /api/feedback``: a thumbs-up/down on an answer (the admin export is in ``admin``)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import APIRouter, Request

from api.deps import get_feedback, get_recent
from api.errors import ApiError
from api.openapi import error_responses
from api.schemas import FeedbackIn, FeedbackOut

logger = logging.getLogger(__name__)
router = APIRouter(tags=["反馈"])

NOT_STORED = "反馈暂时无法保存,请稍后再试 / Feedback could not be saved, please retry."
UNKNOWN_ANSWER = (
    "找不到该回答(可能已过期),反馈未保存 / Answer not found (it may have expired); "
    "feedback not stored."
)


@router.post(
    "/api/feedback",
    response_model=FeedbackOut,
    status_code=201,
    summary="对回答点赞或点踩",
    description="只接受最近的回答(服务记得最近 2000 条);未知或已过期的 `answer_id` 返回 404。",
    responses=error_responses(400, 401, 404, 413, 422, 429, 503),
)
def feedback(body: FeedbackIn, request: Request) -> dict[str, Any]:
    answer_id = body.answer_id.replace("-", "").lower()
    remembered = get_recent(request).get(answer_id)
    if remembered is None:
        raise ApiError(404, UNKNOWN_ANSWER)
    question, text, cited = remembered
    try:
        row = get_feedback(request).add(
            answer_id, body.rating, body.comment or "", question, text, cited
        )
    except sqlite3.Error as exc:
        logger.exception("feedback not stored")
        raise ApiError(503, NOT_STORED) from exc
    logger.info("feedback stored id=%d rating=%s", row, body.rating)
    return {"id": row, "answer_id": answer_id, "rating": body.rating}
