"""Every error the API answers: ``ApiError``, the JSON error shapes and the exception handlers.

Errors under ``/v1`` use the OpenAI shape ``{"error": {"message", "type", "code"}}`` so
OpenAI clients show them; everything else uses ``{"detail": "<中文> / <English>"}``. A failed
``/api/ask`` still answers in the shape of an answer (ending with the disclaimer).

Example:
    >>> raise ApiError(404, "找不到该文档 / Document not found.")
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qa.serialization import answer_payload
from qa.service import ERROR_TEXT, MAX_QUESTION_CHARS, InvalidQuestionError, error_answer
from qa.types import Answer

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "服务器内部错误,请稍后再试 / Internal server error, please retry later."
_HTTP_TEXT = {
    400: "请求体无法解析,应为 UTF-8 编码的 JSON / The request body could not be parsed "
    "(UTF-8 JSON expected).",
    404: "找不到该接口 / Not found.",
    405: "不支持该请求方法 / Method not allowed.",
}
_OPENAI_TYPES = {
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("server_error", "service_unavailable"),
}
#: English for each message of ``qa.service.validate_question`` (matched by its Chinese start).
_QUESTION_EN = {
    "问题不能为空": "The question must not be empty.",
    "问题太长了": f"The question is too long (at most {MAX_QUESTION_CHARS} characters).",
    "问题中含有无法识别的控制字符": "The question contains control characters.",
}


class ApiError(Exception):
    """An error answered as JSON with ``status`` (``code`` is the OpenAI error code)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


class AnswerFailedError(ApiError):
    """The service raised while answering: a 500 that carries an answer-shaped error."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(500, answer.text, code="internal_error")
        self.answer = answer


def is_openai_path(path: str) -> bool:
    """True for the OpenAI-compatible routes."""
    return path == "/v1" or path.startswith("/v1/")


def error_payload(path: str, status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """The JSON error body for ``path``: OpenAI shape under ``/v1``, ``{"detail"}`` elsewhere."""
    if not is_openai_path(path):
        return {"detail": message}
    default = ("invalid_request_error", "invalid_request") if status < 500 else ("server_error", "")
    kind, default_code = _OPENAI_TYPES.get(status, default)
    return {"error": {"message": message, "type": kind, "code": code or default_code or None}}


def error_answer_body(answer: Answer) -> dict[str, Any]:
    """An answer-shaped error body (``answer`` ends with the disclaimer) plus ``detail``."""
    return {"answer_id": uuid.uuid4().hex, **answer_payload(answer), "detail": ERROR_TEXT}


def question_message(exc: InvalidQuestionError) -> str:
    """``validate_question``'s Chinese message as ``<中文> / <English>``."""
    zh = str(exc).rstrip("。")
    en = next((v for k, v in _QUESTION_EN.items() if zh.startswith(k)), "Invalid question.")
    return f"{zh} / {en}"


_VALIDATION_TEXT: dict[str, tuple[str, str]] = {
    "json_invalid": ("请求体不是有效的 JSON", "The request body is not valid JSON"),
    "missing": ("缺少必填字段 {zh}", "Missing required field {en}"),
    "string_type": ("{zh} 必须是字符串", "Field {en} must be a string"),
    "int_type": ("{zh} 必须是整数", "Field {en} must be an integer"),
    "int_parsing": ("{zh} 必须是整数", "Field {en} must be an integer"),
    "int_from_float": ("{zh} 必须是整数", "Field {en} must be an integer"),
    "bool_type": ("{zh} 必须是 true 或 false", "Field {en} must be true or false"),
    "bool_parsing": ("{zh} 必须是 true 或 false", "Field {en} must be true or false"),
    "list_type": ("{zh} 必须是数组", "Field {en} must be an array"),
    "dict_type": ("{zh} 必须是 JSON 对象", "Field {en} must be a JSON object"),
    "model_type": ("{zh} 必须是 JSON 对象", "Field {en} must be a JSON object"),
    "model_attributes_type": ("{zh} 必须是 JSON 对象", "Field {en} must be a JSON object"),
    "literal_error": ("{zh} 的取值无效(可选 {expected})", "Invalid {en} (expected {expected})"),
    "greater_than_equal": ("{zh} 不能小于 {ge}", "Field {en} must be at least {ge}"),
    "less_than_equal": ("{zh} 不能大于 {le}", "Field {en} must be at most {le}"),
    "string_too_long": ("{zh} 太长(最多 {max_length} 个字符)", "Field {en} is too long"),
    "too_long": ("{zh} 条目太多(最多 {max_length} 条)", "Field {en} has too many items"),
    "too_short": ("{zh} 不能为空", "Field {en} must not be empty"),
    "string_pattern_mismatch": ("{zh} 格式不正确", "Field {en} has the wrong format"),
}


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "history", 0, "role")`` → ``history[0].role`` (empty for the whole body)."""
    name = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic/FastAPI error as ``<中文> / <English>``."""
    kind, msg = error.get("type", ""), str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        text = msg.split(", ", 1)[1] if msg.startswith(("Value error, ", "Assertion")) else msg
        return text if "/ " in text else f"{text} / Invalid value."
    field = field_name(error.get("loc", ()))
    names = {"zh": field or "请求体", "en": field or "request body"}
    ctx = {str(k): v for k, v in (error.get("ctx") or {}).items()}
    zh, en = _VALIDATION_TEXT.get(kind, ("{zh} 无效", "Invalid {en}"))
    try:
        return f"{zh.format(**names, **ctx)} / {en.format(**names, **ctx)}."
    except (KeyError, IndexError):
        return f"{names['zh']} 无效 / Invalid {names['en']}."


def invalid(loc: tuple[Any, ...], message: str) -> RequestValidationError:
    """A validation error for ``loc`` (answered 422, or 400 under ``/v1``)."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    path = request.url.path
    if isinstance(exc, AnswerFailedError) and not is_openai_path(path):
        return JSONResponse(error_answer_body(exc.answer), exc.status, headers=exc.headers)
    body = error_payload(path, exc.status, exc.message, exc.code)
    return JSONResponse(body, exc.status, headers=exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "type": e.get("type", ""), "message": validation_message(e)}
        for e in exc.errors()
    ]
    message = errors[0]["message"] if errors else "请求无效 / Invalid request."
    path = request.url.path
    if is_openai_path(path):
        return JSONResponse(error_payload(path, 400, message, "invalid_request"), 400)
    return JSONResponse({"detail": message, "errors": errors}, 422)


def allowed_methods(request: Request) -> str:
    """The ``Allow`` value for the request's path: every method of every route at that path.

    Starlette's own 405 names only the first route that matched the path, so a path with a
    GET and a POST route answered ``Allow: GET, HEAD``.
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # included routers flattened
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = _HTTP_TEXT.get(exc.status_code, str(exc.detail))
    body = error_payload(request.url.path, exc.status_code, message)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return JSONResponse(body, exc.status_code, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error path=%s", request.url.path, exc_info=exc)
    path = request.url.path
    if path.startswith("/api/ask"):
        return JSONResponse(error_answer_body(error_answer("")), 500)
    return JSONResponse(error_payload(path, 500, INTERNAL_ERROR), 500)


def install_handlers(app: FastAPI) -> None:
    """Answer every error as JSON in the shape its path expects."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
