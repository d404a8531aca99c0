"""Liveness (``/healthz``) and readiness (``/readyz``) for orchestrators and load balancers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import get_state
from api.openapi import error_responses
from api.schemas import Readiness

router = APIRouter(tags=["运维"], responses=error_responses(413))


@router.get("/healthz", summary="存活检查(进程在运行即返回 200)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="就绪检查(索引和模型加载完成才返回 200)",
    responses={503: {"model": Readiness, "description": "正在加载,或加载失败"}},
)
def readyz(request: Request) -> Any:
    state = get_state(request)
    service = state.service
    if service is None:
        return JSONResponse({"ready": False, "status": state.load_status}, status_code=503)
    return {"ready": True, "status": "ready", "documents": len(service.documents)}
