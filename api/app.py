"""The FastAPI application: ``create_app(settings)`` wires routes, middleware and handlers.

Nothing is built at import time. Without a ``service`` the app loads one in a background
thread at startup, so ``/healthz`` answers at once and ``/readyz`` turns 200 when loaded.

Example:
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(settings, service=AnswerService.load(settings)))
    >>> client.post("/api/ask", json={"question": "怎么激活医保码"}).json()["answer"]
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ApiError, error_payload, is_openai_path, validation_message
from api.feedback import FeedbackStore, RecentAnswers
from api.security import AccessMiddleware, split_csv
from api.state import ServiceState
from qa.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
INTERNAL_ERROR = "服务器内部错误,请稍后再试 / Internal server error, please retry later."
_HTTP_TEXT = {
    404: "找不到该接口 / Not found.",
    405: "不支持该请求方法 / Method not allowed.",
}
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _default_loader(settings: Settings) -> Any:
    """``AnswerService.load`` plus one warm-up question (jieba and the model load lazily)."""
    from qa.service import AnswerService

    service = AnswerService.load(settings)
    service.ask("医保码怎么激活")
    return service


class RequestLogMiddleware:
    """One log line per request, and its id in ``X-Request-ID`` (question text only if allowed)."""

    def __init__(self, app: ASGIApp, log_questions: bool = False) -> None:
        self.app = app
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            state = scope.get("state") or {}
            args = [
                request_id,
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                state.get("refused", "-"),
                state.get("n_citations", "-"),
            ]
            line = "request id=%s method=%s path=%s status=%d ms=%.1f refused=%s n_citations=%s"
            if self.log_questions and "question" in state:
                line += " question=%r"
                args.append(state["question"])
            logger.info(line, *args)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = error_payload(request.url.path, exc.status, exc.message, exc.code)
        return JSONResponse(body, exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "type": e.get("type", ""),
                "message": validation_message(e),
            }
            for e in exc.errors()
        ]
        message = errors[0]["message"] if errors else "请求无效 / Invalid request."
        path = request.url.path
        if is_openai_path(path):
            body = error_payload(path, 400, message, "invalid_request")
            return JSONResponse(body, 400)
        return JSONResponse({"detail": message, "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = _HTTP_TEXT.get(exc.status_code, str(exc.detail))
        body = error_payload(request.url.path, exc.status_code, message)
        return JSONResponse(body, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error path=%s", request.url.path, exc_info=exc)
        path = request.url.path
        if path.startswith("/api/ask"):
            from api.routes_ask import error_answer

            return JSONResponse(error_answer(""), 500)
        return JSONResponse(error_payload(path, 500, INTERNAL_ERROR), 500)


def create_app(
    settings: Settings,
    service: Any = None,
    *,
    loader: Callable[[Settings], Any] | None = None,
    static_dir: Path | None = None,
) -> FastAPI:
    """Build the HTTP app.

    Args:
        settings: All settings (server fields: keys, CORS, rate limit, logging, feedback db).
        service: A ready ``AnswerService``; ``None`` loads one in the background at startup.
        loader: Builds a service from settings (startup and reindex); default
            ``AnswerService.load``.
        static_dir: Folder with ``index.html`` / ``widget.js`` (default ``api/static``).
    """
    state = ServiceState(settings, loader or _default_loader, service=service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.start_loading()
        yield

    app = FastAPI(
        title="医保问答 yibao-qa API",
        description="基于医保文章的检索问答:带引用的回答、流式输出、OpenAI 兼容接口和反馈。",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.yibao = state
    app.state.feedback = FeedbackStore(settings.feedback_path)
    app.state.recent = RecentAnswers()
    app.state.static_dir = static_dir or STATIC_DIR
    app.state.started = time.time()
    _install_handlers(app)

    from api import routes, routes_admin, routes_ask, routes_chat

    for module in (routes, routes_ask, routes_chat, routes_admin):
        app.include_router(module.router)
    if Path(app.state.static_dir).is_dir():
        app.mount("/static", StaticFiles(directory=app.state.static_dir), name="static")

    # Added innermost first: CORS wraps the request log, which wraps keys + rate limit.
    app.add_middleware(AccessMiddleware, settings=settings)
    app.add_middleware(RequestLogMiddleware, log_questions=settings.log_questions)
    origins = split_csv(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Admin-Key"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    return app
