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
    from api.cli.console import fail
    from api.middleware.access import split_csv
    from api.middleware.clients import TrustedProxies
    from api.server import run_server

    settings = Settings()
    try:
        TrustedProxies.parse(split_csv(settings.trusted_proxies))
    except ValueError as exc:
        fail(str(exc))
    run_server(settings, host=host, port=port)
