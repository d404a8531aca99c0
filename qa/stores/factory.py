"""Choose the store from settings: one ``match``, the Milvus client imported only when asked."""

from __future__ import annotations

from qa.index.hybrid import HybridIndex
from qa.settings import Settings
from qa.stores.base import IndexStore
from qa.stores.milvus import MilvusStore


def load_index(
    settings: Settings, model_id: str | None = None, backend: str | None = None
) -> HybridIndex | IndexStore:
    """The live index for ``settings.store``, refusing one built by another model or backend.

    ``local`` returns the ``HybridIndex`` itself (the retriever wraps it in ``LocalStore``), so
    code that reads its files' objects keeps working.
    """
    match settings.store:
        case "local":
            return HybridIndex.load(settings.index_dir, model_id=model_id, backend=backend)
        case "milvus":
            return MilvusStore.open(
                settings.milvus_target,
                settings.milvus_token,
                settings.milvus_collection,
                model_id=model_id,
                backend=backend,
            )
    raise ValueError(f"unknown store {settings.store!r}")


def publish_to_store(index: HybridIndex, settings: Settings, version: str = "") -> None:
    """Write a freshly saved index to the configured external store (nothing for ``local``)."""
    if settings.store == "milvus":
        MilvusStore.write(
            index,
            settings.milvus_target,
            settings.milvus_token,
            settings.milvus_collection,
            version=version or index.version,
        )
