"""Admin routes (``admin_key`` required, 403 otherwise): reindex and feedback export.

The other admin routes: ``documents`` (upload, list, delete) and ``review`` (retrieval test,
feedback review); the page that drives them all is ``/admin`` (``api/static/admin.html``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import get_feedback, get_state, require_admin
from api.errors import ApiError
from api.openapi import error_responses
from api.state import ReindexBusyError

router = APIRouter(
    tags=["管理"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(403, 413, 429),
)


def reindex_payload(request: Request) -> dict[str, Any]:
    """The reindex job's status, whether another run is queued, and the live service."""
    state = get_state(request)
    service = state.service
    return {
        **state.reindex.public(),
        "queued": state.reindex_queued,
        "service": {
            "ready": service is not None,
            "load_status": state.load_status,
            "load_error": state.load_error,
            "documents": len(service.documents) if service is not None else 0,
            "index_version": state.version,
        },
    }


@router.get("/api/admin/reindex", summary="重建索引的状态(idle/running/done/failed)")
def reindex_status(request: Request) -> dict[str, Any]:
    return reindex_payload(request)


@router.post(
    "/api/admin/reindex",
    status_code=202,
    summary="在后台重建索引并热切换(旧索引继续服务)",
    description="已有任务在运行时返回 409。`rebuild=true` 时全部重新嵌入。",
    responses=error_responses(409, 422),
)
def reindex(
    request: Request,
    rebuild: Annotated[bool, Query(description="忽略旧索引,全部重新嵌入")] = False,
) -> dict[str, Any]:
    try:
        get_state(request).start_reindex(rebuild=rebuild)
    except ReindexBusyError as exc:
        raise ApiError(409, "已有重建索引任务在运行 / A reindex is already running.") from exc
    return reindex_payload(request)


@router.get(
    "/api/feedback/export",
    summary="导出反馈(CSV,UTF-8 带 BOM,Excel 可直接打开)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_feedback(request: Request) -> Response:
    body = get_feedback(request).export_csv().encode("utf-8")
    headers = {"Content-Disposition": 'attachment; filename="feedback.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
