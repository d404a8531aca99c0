"""Request dependencies: the app's state, settings, live service, stores and the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.feedback import FeedbackStore, RecentAnswers
from api.state import ServiceState
from qa.service import AnswerService
from qa.settings import Settings

NOT_READY = "服务正在加载,请稍后再试 / The service is loading, please retry shortly."
LOAD_FAILED = (
    "服务暂不可用:索引未能加载,请联系管理员 / Service unavailable: the index failed to load."
)
ADMIN_DISABLED = "管理功能未启用 / Admin routes are disabled (no admin key configured)."
ADMIN_DENIED = "管理员密钥无效 / Invalid or missing admin key."


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (empty if none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def get_state(request: Request) -> ServiceState:
    """The app's ``ServiceState``."""
    state: ServiceState = request.app.state.yibao
    return state


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return get_state(request).settings


def get_service(request: Request) -> AnswerService:
    """The live ``AnswerService``; 503 (with ``Retry-After``) while it is not loaded."""
    state = get_state(request)
    service: AnswerService | None = state.service
    if service is None:
        message = LOAD_FAILED if state.load_status == "failed" else NOT_READY
        raise ApiError(503, message, headers={"Retry-After": "5"})
    return service


#: The admin key's two places, declared so the OpenAPI document says how admin routes log in.
ADMIN_KEY_HEADER = APIKeyHeader(
    name="X-Admin-Key", auto_error=False, description="管理员密钥(YIBAO_ADMIN_KEY)"
)
BEARER = HTTPBearer(
    auto_error=False, description="API 密钥(YIBAO_API_KEYS);管理接口也可用管理员密钥"
)


def require_admin(
    request: Request,
    header_key: Annotated[str | None, Security(ADMIN_KEY_HEADER)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> None:
    """Admin routes: ``X-Admin-Key`` or ``Authorization: Bearer`` must equal ``admin_key``."""
    expected = get_settings(request).admin_key
    if not expected:
        raise ApiError(403, ADMIN_DISABLED)
    given = header_key or bearer_token(request)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, ADMIN_DENIED)


def get_feedback(request: Request) -> FeedbackStore:
    """The app's ``FeedbackStore``."""
    store: FeedbackStore = request.app.state.feedback
    return store


def get_recent(request: Request) -> RecentAnswers:
    """The app's ``RecentAnswers`` (answer id → question and text, for feedback)."""
    recent: RecentAnswers = request.app.state.recent
    return recent


#: Route parameter type for the live service (503 while loading).
ServiceDep = Annotated[AnswerService, Depends(get_service)]
