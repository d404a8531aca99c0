"""``BodyLimitMiddleware``: a request body over ``max_body_bytes`` is answered 413.

The bytes are counted as they arrive, so a chunked body (no ``Content-Length``) or one that
understates its length is cut off too; a declared length over the limit is refused unread.
The app receives the body only once it is known to fit. A path may have its own limit
(``limits``: the document upload accepts ``max_upload_bytes``); every other path has
``max_bytes``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_payload


def too_large_message(max_bytes: int) -> str:
    """The 413 message (Chinese / English)."""
    zh = f"请求体太大(最多 {max_bytes} 字节)"
    return f"{zh} / Request body too large (at most {max_bytes} bytes)."


def _declared_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None


class BodyLimitMiddleware:
    """Reads the whole body (at most the path's limit) before the app runs; 413 past it.

    ``limits`` maps exact paths to their own limit; other paths have ``max_bytes``.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = dict(limits or {})

    def limit_for(self, path: str) -> int:
        """The body limit of ``path``."""
        return self.limits.get(path, self.max_bytes)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"])
        body = error_payload(scope["path"], 413, too_large_message(limit))
        # The rest of the body stays unread: close the connection rather than reuse it.
        await JSONResponse(body, 413, {"Connection": "close"})(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client hung up before sending it all: no one to answer
            body += message.get("body", b"")
            if len(body) > limit:
                await self._too_large(scope, receive, send)
                return
            more = bool(message.get("more_body"))
        first: Message | None = {"type": "http.request", "body": bytes(body), "more_body": False}

        async def replay() -> Message:
            nonlocal first
            if first is None:
                return await receive()  # later calls wait for the disconnect, as usual
            message, first = first, None
            return message

        await self.app(scope, replay, send)
