"""The OpenAPI document as this server answers.

Routes declare their error responses with ``error_responses`` (and event streams with
``event_stream``). ``openapi_document`` adjusts what FastAPI derives: the OpenAI routes lose
FastAPI's default 422 (they answer 400), guarded routes declare Bearer security when
``api_keys`` is set, and the history limit (``max_history_turns × 2``) becomes ``maxItems``.

Example:
    >>> app.openapi = lambda: openapi_document(app, settings)
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.errors import is_openai_path
from api.middleware.access import is_guarded, split_csv
from api.schemas import ErrorPublic, OpenAIErrorPublic, ValidationErrorPublic
from qa.settings import Settings

ERROR_DESCRIPTIONS = {
    400: "请求体无法解析(应为 UTF-8 JSON);`/v1` 下参数无效也是 400",
    401: "缺少或无效的 API 密钥(设置了 YIBAO_API_KEYS 时)",
    403: "管理员密钥无效,或未启用管理功能",
    404: "找不到(文档、回答或模型)",
    409: "已有重建索引任务在运行",
    413: "请求体超过 YIBAO_MAX_BODY_BYTES",
    422: "参数无效",
    429: "请求过于频繁,或认证失败次数过多(见 Retry-After)",
    500: "服务器内部错误",
    503: "服务正在加载或暂不可用",
}
_RETRY_AFTER = {"description": "几秒后再试", "schema": {"type": "integer"}}


def error_responses(*statuses: int, openai: bool = False) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses`` for error ``statuses`` (``/api`` bodies; OpenAI's with ``openai``)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model: type[BaseModel] = OpenAIErrorPublic if openai else ErrorPublic
        if status == 422 and not openai:
            model = ValidationErrorPublic
        responses[status] = {"model": model, "description": ERROR_DESCRIPTIONS[status]}
        if status == 429:
            responses[status]["headers"] = {"Retry-After": {**_RETRY_AFTER, "required": True}}
    return responses


def event_stream(*names: str) -> dict[str, Any]:
    """The 200 of a Server-Sent Events route: each event has ``data`` and, when ``names`` are
    given, an ``event`` among them."""
    data = {"type": "string", "description": "JSON 文本"}
    item: dict[str, Any] = {"type": "object", "required": ["data"], "properties": {"data": data}}
    if names:
        item["required"] = ["event", "data"]
        item["properties"]["event"] = {"type": "string", "enum": list(names)}
    return {"content": {"text/event-stream": {"itemSchema": item}}}


_FASTAPI_422 = ("HTTPValidationError", "ValidationError")
_BEARER_SCHEME = {"type": "http", "scheme": "bearer"}


def _limit_history(components: dict[str, Any], max_items: int) -> None:
    history = components.get("AskRequest", {}).get("properties", {}).get("history", {})
    for branch in history.get("anyOf", []):
        if branch.get("type") == "array":
            branch["maxItems"] = max_items


def openapi_document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """Build (once) and return ``app``'s OpenAPI document."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    guarded_security = bool(split_csv(settings.api_keys))
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if is_openai_path(path):
                operation["responses"].pop("422", None)
            if guarded_security and is_guarded(path):
                operation["security"] = [{"HTTPBearer": []}]
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _limit_history(schemas, settings.max_history_turns * 2)
    if guarded_security:
        components.setdefault("securitySchemes", {}).setdefault("HTTPBearer", _BEARER_SCHEME)
    for name in _FASTAPI_422:  # FastAPI's 422 models, unless a route still names them
        if f'"#/components/schemas/{name}"' not in json.dumps(document):
            schemas.pop(name, None)
    app.openapi_schema = document
    return document
