"""The demo chat page (``/``), the embeddable widget script (``/widget.js``), the icon and the
admin page (``/admin``, ``/admin.js``: the page is open, its calls need the admin key).

``/favicon.ico`` is ``favicon.svg`` (browsers ask for it on every page; SVG is accepted there).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from api.errors import ApiError

router = APIRouter(tags=["页面"], include_in_schema=False)

NOT_FOUND_FILE = "页面不存在 / Not found."


def _static_file(request: Request, name: str, media_type: str | None = None) -> FileResponse:
    path = Path(request.app.state.static_dir) / name
    if not path.is_file():
        raise ApiError(404, NOT_FOUND_FILE)
    return FileResponse(path, media_type=media_type)


@router.get("/", summary="聊天页面")
def index_page(request: Request) -> FileResponse:
    return _static_file(request, "index.html")


@router.get("/widget.js", summary="可嵌入的聊天小部件脚本")
def widget(request: Request) -> FileResponse:
    return _static_file(request, "widget.js")


@router.get("/favicon.ico", summary="网站图标")
def favicon(request: Request) -> FileResponse:
    return _static_file(request, "favicon.svg", media_type="image/svg+xml")


@router.get("/admin", summary="管理页面")
def admin_page(request: Request) -> FileResponse:
    return _static_file(request, "admin.html")


@router.get("/admin.js", summary="管理页面脚本")
def admin_script(request: Request) -> FileResponse:
    return _static_file(request, "admin.js")
