"""Request helpers shared by routes, handlers and middleware: state lookup and error shapes.

Errors under ``/v1`` use the OpenAI shape ``{"error": {"message", "type", "code"}}`` so
OpenAI clients show them; everything else uses ``{"detail": "<中文> / <English>"}``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request

from api.state import ServiceState
from qa.settings import Settings

NOT_READY = "服务正在加载,请稍后再试 / The service is loading, please retry shortly."
LOAD_FAILED = (
    "服务暂不可用:索引未能加载,请联系管理员 / Service unavailable: the index failed to load."
)
ADMIN_DISABLED = "管理功能未启用 / Admin routes are disabled (no admin key configured)."
ADMIN_DENIED = "管理员密钥无效 / Invalid or missing admin key."

_OPENAI_TYPES = {
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("server_error", "service_unavailable"),
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


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (empty if none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def get_state(request: Request) -> ServiceState:
    """The app's ``ServiceState``."""
    return request.app.state.yibao


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return get_state(request).settings


def get_service(request: Request) -> Any:
    """The live ``AnswerService``; 503 (with ``Retry-After``) while it is not loaded."""
    state = get_state(request)
    service = state.service
    if service is None:
        message = LOAD_FAILED if state.load_status == "failed" else NOT_READY
        raise ApiError(503, message, headers={"Retry-After": "5"})
    return service


def require_admin(request: Request) -> None:
    """Admin routes: ``X-Admin-Key`` or ``Authorization: Bearer`` must equal ``admin_key``."""
    expected = get_settings(request).admin_key
    if not expected:
        raise ApiError(403, ADMIN_DISABLED)
    given = request.headers.get("x-admin-key") or bearer_token(request)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, ADMIN_DENIED)


def get_feedback(request: Request) -> Any:
    """The app's ``FeedbackStore``."""
    return request.app.state.feedback


def get_recent(request: Request) -> Any:
    """The app's ``RecentAnswers`` (answer id → question and text, for feedback)."""
    return request.app.state.recent


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


#: Route parameter type for the live service (503 while loading).
ServiceDep = Annotated[Any, Depends(get_service)]
