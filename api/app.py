"""The FastAPI application: ``create_app(settings)`` wires routes, middleware and handlers.

Nothing is built at import time. Without a ``service`` the app loads one in a background
thread at startup, so ``/healthz`` answers at once and ``/readyz`` turns 200 when loaded.

Example:
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(settings, service=AnswerService.load(settings)))
    >>> client.post("/api/ask", json={"question": "怎么激活医保码"}).json()["answer"]
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import install_handlers
from api.feedback import FeedbackStore, RecentAnswers
from api.middleware.stack import install_middleware
from api.openapi import openapi_document
from api.routes import ask, chat, documents, feedback, health, pages
from api.routes.admin import documents as admin_documents
from api.routes.admin import reindex, review
from api.state import ServiceState
from qa.embedders.base import Embedder
from qa.service import AnswerService
from qa.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
ROUTERS = (health, pages, documents, feedback, ask, chat, reindex, admin_documents, review)


def load_service(settings: Settings, embedder: Embedder | None = None) -> AnswerService:
    """``AnswerService.load`` plus one warm-up question (jieba and the model load lazily).

    ``embedder``: the live service's model, reused by reloads (one model in memory).
    """
    service = AnswerService.load(settings, embedder)
    service.ask("医保码怎么激活")
    return service


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
        loader: Builds a service from settings (startup and reindex); default ``load_service``.
        static_dir: Folder with ``index.html`` / ``widget.js`` (default ``api/static``).
    """

    def reload(current: Settings) -> AnswerService:  # reuses the live model, if any
        return load_service(current, embedder=state.live_embedder())

    state = ServiceState(settings, loader or reload, service=service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.answer_workers or os.cpu_count() or 1
        state.start_loading()
        state.start_watching()
        yield
        state.stop_watching()

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
    install_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    if Path(app.state.static_dir).is_dir():
        app.mount("/static", StaticFiles(directory=app.state.static_dir), name="static")
    install_middleware(
        app, settings, body_limits={admin_documents.UPLOAD_PATH: settings.max_upload_bytes}
    )
    app.openapi = lambda: openapi_document(app, settings)  # type: ignore[method-assign]
    return app
