"""``yibao serve``: run the HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer

from qa.settings import Settings


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="监听端口")] = 8000,
) -> None:
    """启动 HTTP 接口(问答、流式、OpenAI 兼容接口、聊天小部件)。"""
    from api.server import run_server

    run_server(Settings(), host=host, port=port)
