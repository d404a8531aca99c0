"""Middleware: API keys, per-client rate limit, one log line per request, CORS.

Open paths (``/healthz``, ``/readyz``, ``/``, ``/widget.js``, ``/static``, ``/docs``) pass the key
check and the limit untouched; admin routes check their own key (``api.deps.require_admin``).

Example:
    >>> install_middleware(app, settings)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import bearer_token
from api.errors import error_payload
from qa.settings import Settings

logger = logging.getLogger(__name__)

GUARDED_PREFIXES = ("/api/", "/v1/")
ADMIN_PATHS = ("/api/admin/", "/api/feedback/export")
UNAUTHORIZED = (
    "缺少或无效的 API 密钥,请在请求头中提供 Authorization: Bearer <密钥> / "
    "Missing or invalid API key (send Authorization: Bearer <key>)."
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def split_csv(value: str) -> list[str]:
    """Non-empty, stripped items of a comma-separated setting."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def is_guarded(path: str) -> bool:
    """True for paths that need an API key (when keys are set) and count toward the limit."""
    return path.startswith(GUARDED_PREFIXES) and not path.startswith(ADMIN_PATHS)


class SlidingWindowLimiter:
    """At most ``limit`` hits per client within any ``window`` seconds.

    Example:
        >>> limiter = SlidingWindowLimiter(60)
        >>> limiter.hit("ip:127.0.0.1")  # 0.0 = allowed, else seconds until allowed
        0.0
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, client: str) -> float:
        """Record a hit; 0.0 when allowed, else the seconds to wait (the hit is not counted)."""
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault(client, deque())
            self._hits.move_to_end(client)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            if len(self._hits) > self.max_clients:
                self._hits.popitem(last=False)  # least recently seen client
            return 0.0


class AccessMiddleware:
    """Checks ``Authorization: Bearer`` against ``api_keys`` (401) and the rate limit (429)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, limiter: SlidingWindowLimiter | None = None
    ) -> None:
        self.app = app
        self.keys = [k.encode() for k in split_csv(settings.api_keys)]
        limit = settings.rate_limit_per_minute
        self.limiter = limiter or (SlidingWindowLimiter(limit) if limit > 0 else None)

    def _valid_key(self, token: str) -> bool:
        given = token.encode()
        return any(hmac.compare_digest(given, key) for key in self.keys)  # no early exit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        token = bearer_token(request)
        valid = bool(token) and self._valid_key(token)
        if self.keys and not valid:
            body = error_payload(path, 401, UNAUTHORIZED)
            await JSONResponse(body, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if self.limiter is not None:
            client = (
                "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]
                if valid
                else "ip:" + (request.client.host if request.client else "unknown")
            )
            wait = self.limiter.hit(client)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                logger.warning("rate limited client=%s retry_after=%d", client, seconds)
                message = (
                    f"请求过于频繁,请 {seconds} 秒后再试 / Too many requests, retry in {seconds} s."
                )
                response = JSONResponse(
                    error_payload(path, 429, message), 429, {"Retry-After": str(seconds)}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
        scope.setdefault("state", {})["request_id"] = request_id
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


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """CORS (when origins are set) wraps the request log, which wraps keys + rate limit."""
    app.add_middleware(AccessMiddleware, settings=settings)  # added innermost first
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
