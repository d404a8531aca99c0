"""Admin routes for the knowledge base's documents: upload, list, delete.

Every change is saved to the knowledge base (``kb.json``) and followed by a reindex; a change
made while a reindex runs queues one more run after it (never a 409).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, get_settings, get_state, require_admin
from api.errors import ApiError
from api.openapi import error_responses
from api.routes.admin.reindex import reindex_payload
from api.routes.admin.schemas import DeleteOut, DocumentPage, UploadErrorPublic, UploadOut
from api.routes.admin.uploads import MAX_FILES, UploadError, accept, origins, parse_form, remove
from api.routes.admin.uploads import supported_types as types
from api.schemas import ErrorPublic
from ingest.loaders import SUPPORTED_SUFFIXES
from qa.index.sources import KnowledgeBaseError

UPLOAD_PATH = "/api/admin/documents"
NONE_ACCEPTED = "没有文件被接受,知识库未改变 / No file was accepted; nothing changed."

router = APIRouter(
    tags=["管理"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(403, 413, 429),
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                            "description": f"文件({types()}),一次最多 {MAX_FILES} 个",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    UPLOAD_PATH,
    status_code=202,
    response_model=UploadOut,
    summary="上传文档(multipart,字段 files),加入知识库并重建索引",
    description=(
        f"可上传 {types()}。每个文件单独检查(类型、大小 ≤ YIBAO_MAX_FILE_BYTES、非空、"
        "可作为文本读取、有可索引的文字、与已有文档不重复):不合格的文件不保存,`rejected` "
        "给出原因;合格的保存到上传文件夹,然后在后台重建索引(已有任务在运行时排队再跑一次)。"
        "没有任何文件被接受时返回 400,知识库不变。"
    ),
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: {"model": UploadErrorPublic, "description": "不是文件上传,或所有文件都被拒绝"},
        413: {"model": ErrorPublic, "description": "请求体超过 YIBAO_MAX_UPLOAD_BYTES"},
        **error_responses(503),
    },
)
async def upload_documents(request: Request) -> Any:
    state = get_state(request)
    try:
        uploads = parse_form(request.headers.get("content-type", ""), await request.body())
    except UploadError as exc:
        return JSONResponse({"detail": str(exc), "rejected": []}, 400)
    service = state.service
    documents = list(service.documents.values()) if service is not None else []
    try:
        outcome = await run_in_threadpool(accept, state.settings, uploads, documents)
    except KnowledgeBaseError as exc:
        raise ApiError(503, str(exc)) from exc
    if not outcome.accepted:
        return JSONResponse({"detail": NONE_ACCEPTED, "rejected": outcome.rejected}, 400)
    state.start_reindex(queue=True)
    return {
        "accepted": outcome.accepted,
        "rejected": outcome.rejected,
        "reindex": reindex_payload(request),
    }


@router.get(
    "/api/admin/documents",
    response_model=DocumentPage,
    summary="知识库中的文档(分页,上传的在前)",
    description="取自正在服务的索引:编号、标题、来源、类型、日期、段落数、出处(上传或知识库来源)。",
    responses=error_responses(422, 503),
)
def list_documents(
    request: Request,
    service: ServiceDep,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="页码,从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="每页条数")] = 20,
    q: Annotated[str, Query(max_length=100, description="只列标题、来源或编号含此文字的")] = "",
) -> dict[str, Any]:
    documents = list(service.documents.values())
    if q.strip():
        needle = q.strip().lower()
        documents = [d for d in documents if needle in f"{d.title}\n{d.source}\n{d.doc_id}".lower()]
    found = origins(get_settings(request), (d.source for d in documents))  # one kb.json read
    documents.sort(key=lambda d: not found.get(d.source, ("", False))[1])  # uploads first
    chunks = Counter(c.doc_id for c in service.retriever.index.chunks)
    start = (page - 1) * size
    items = [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "source": d.source,
            "kind": d.kind,
            "date": d.date,
            "chunks": chunks[d.doc_id],
            "origin": found.get(d.source, ("", False))[0],
            "uploaded": found.get(d.source, ("", False))[1],
        }
        for d in documents[start : start + size]
    ]
    settings = get_settings(request)
    return {
        "total": len(documents),
        "page": page,
        "size": size,
        "items": items,
        "upload_types": sorted(SUPPORTED_SUFFIXES),
        "max_file_bytes": settings.max_file_bytes,
        "max_upload_bytes": settings.max_upload_bytes,
    }


@router.delete(
    "/api/admin/documents/{doc_id}",
    status_code=202,
    response_model=DeleteOut,
    summary="删除文档并重建索引",
    description=(
        "只含这篇文档的上传文件被删除;其他文档(如随附语料中的)从知识库中移除,文件保留。"
        "随后在后台重建索引(已有任务在运行时排队再跑一次)。"
    ),
    responses=error_responses(404, 422, 503),
)
def delete_document(
    doc_id: Annotated[str, PathParam(max_length=128, description="文档编号 doc_id")],
    request: Request,
    service: ServiceDep,
) -> dict[str, Any]:
    doc = service.documents.get(doc_id)
    if doc is None:
        raise ApiError(404, f"找不到该文档 {doc_id} / Document {doc_id} not found.")
    state = get_state(request)
    try:
        action = remove(state.settings, doc, service.documents.values())
    except KnowledgeBaseError as exc:
        raise ApiError(503, str(exc)) from exc
    state.start_reindex(queue=True)
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "action": action,
        "reindex": reindex_payload(request),
    }
