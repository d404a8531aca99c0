"""Health, readiness, the widget's static files, documents, suggestions and feedback."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse

from api.deps import ApiError, ServiceDep, get_feedback, get_recent, get_state
from api.schemas import DocumentPublic, FeedbackIn, FeedbackOut, Suggestions
from qa.refusal.messages import FALLBACK_SUGGESTIONS, candidate_questions
from qa.types import Document

logger = logging.getLogger(__name__)
router = APIRouter()

HIGHLIGHT_CONTEXT = 80
NOT_FOUND_FILE = "页面不存在 / Not found."


@router.get("/healthz", tags=["运维"], summary="存活检查(进程在运行即返回 200)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["运维"], summary="就绪检查(索引和模型加载完成才返回 200)")
def readyz(request: Request) -> Any:
    state = get_state(request)
    service = state.service
    if service is None:
        return JSONResponse({"ready": False, "status": state.load_status}, status_code=503)
    return {"ready": True, "status": "ready", "documents": len(service.documents)}


def _static_file(request: Request, name: str) -> FileResponse:
    path = Path(request.app.state.static_dir) / name
    if not path.is_file():
        raise ApiError(404, NOT_FOUND_FILE)
    return FileResponse(path)


@router.get("/", tags=["页面"], summary="聊天页面", include_in_schema=False)
def index_page(request: Request) -> FileResponse:
    return _static_file(request, "index.html")


@router.get("/widget.js", tags=["页面"], summary="可嵌入的聊天小部件脚本", include_in_schema=False)
def widget(request: Request) -> FileResponse:
    return _static_file(request, "widget.js")


def _span(highlight: str, length: int) -> tuple[int, int]:
    """``"start,end"`` → ints with ``0 <= start < end <= length``, else a 422."""

    def invalid(message: str) -> RequestValidationError:
        return RequestValidationError(
            [{"type": "value_error", "loc": ("query", "highlight"), "msg": message}]
        )

    try:
        start, end = (int(part) for part in highlight.split(","))
    except ValueError:
        raise invalid(
            "highlight 参数格式应为 start,end(两个整数) / "
            "highlight must be 'start,end' (two integers)."
        ) from None
    if not 0 <= start < end <= length:
        raise invalid(
            f"引用位置超出文档范围(需 0 ≤ start < end ≤ {length}) / "
            f"highlight span out of range (need 0 <= start < end <= {length})."
        )
    return start, end


@router.get(
    "/api/documents/{doc_id}",
    response_model=DocumentPublic,
    tags=["文档"],
    summary="查看引用的文档(可高亮引用片段)",
    description="`?highlight=start,end` 另返回 `highlight`:引用片段及其前后文。",
)
def document(
    doc_id: Annotated[str, PathParam(max_length=128, description="文档编号 doc_id")],
    service: ServiceDep,
    highlight: Annotated[str | None, Query(description="引用位置 start,end")] = None,
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


@router.post(
    "/api/feedback",
    response_model=FeedbackOut,
    status_code=201,
    tags=["反馈"],
    summary="对回答点赞或点踩",
)
def feedback(body: FeedbackIn, request: Request) -> dict[str, Any]:
    answer_id = body.answer_id.replace("-", "").lower()
    question, text = get_recent(request).get(answer_id)
    try:
        row = get_feedback(request).add(answer_id, body.rating, body.comment or "", question, text)
    except sqlite3.Error as exc:
        logger.exception("feedback not stored")
        raise ApiError(
            503, "反馈暂时无法保存,请稍后再试 / Feedback could not be saved, please retry."
        ) from exc
    logger.info("feedback stored id=%d rating=%s", row, body.rating)
    return {"id": row, "answer_id": answer_id, "rating": body.rating}
