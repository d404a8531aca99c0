"""``RequestLogMiddleware``: one INFO line per request, and its id in ``X-Request-ID``.

``request id=… method=… path=… status=… ms=… refused=… n_citations=…``; the question text
only when ``log_questions`` is set; ``disconnected=True`` when the client hung up first
(status 499 if no response had started).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Logged when the client hung up before any response (nginx's "client closed request").
CLIENT_CLOSED = 499


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
        status: int | None = None

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
            gone = bool(state.get("disconnected"))
            args = [
                request_id,
                scope["method"],
                scope["path"],
                status or (CLIENT_CLOSED if gone else 500),
                (time.perf_counter() - started) * 1000,
                state.get("refused", "-"),
                state.get("n_citations", "-"),
            ]
            line = "request id=%s method=%s path=%s status=%d ms=%.1f refused=%s n_citations=%s"
            if gone:
                line += " disconnected=True"
            if self.log_questions and "question" in state:
                line += " question=%r"
                args.append(state["question"])
            logger.info(line, *args)
