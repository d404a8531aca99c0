"""Client hang-ups: noticed between streamed chunks and logged once at DEBUG, never as errors.

After each chunk of a streamed body the app gives the event loop a turn, so a hang-up reaches
uvicorn (which then drops further writes) before the next chunk is written. Without that
turn a stream written in one go keeps writing to the dead socket, and asyncio warns
``socket.send() raised exception.`` for every write past the fifth.
"""

from __future__ import annotations

import logging

import anyio.lowlevel
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class DisconnectMiddleware:
    """Yields after each streamed chunk; notes a hang-up in ``scope["state"]["disconnected"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        completed = False

        def hung_up() -> None:
            if not state.get("disconnected"):
                state["disconnected"] = True
                request_id = state.get("request_id", "-")
                logger.debug("client disconnected id=%s path=%s", request_id, scope["path"])

        async def receive_noting_hangup() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect" and not completed:
                hung_up()
            return message

        async def send_yielding(message: Message) -> None:
            nonlocal completed
            await send(message)
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    await anyio.lowlevel.checkpoint()  # let a hang-up be seen first
                else:
                    completed = True

        try:
            await self.app(scope, receive_noting_hangup, send_yielding)
        except ClientDisconnect:
            hung_up()
