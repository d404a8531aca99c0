"""Choose the store from settings: one ``match``, the Milvus client imported only when asked."""

from __future__ import annotations

import logging

from qa.index.hybrid import HybridIndex
from qa.index.versions import live_name
from qa.settings import Settings
from qa.stores.base import IndexStore
from qa.stores.milvus import MilvusStore, connect
from qa.stores.milvus_manifest import read_manifest

logger = logging.getLogger(__name__)


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


def catch_up_store(settings: Settings) -> bool:
    """Write the live local version to the external store when the store is behind it (say,
    ``YIBAO_STORE=milvus`` set after a local ingest: the local index is up to date, Milvus is
    empty). True when something was written."""
    live = live_name(settings.index_dir)
    if settings.store != "milvus" or not live or _stored_version(settings) == live:
        return False
    publish_to_store(HybridIndex.load(settings.index_dir), settings, live)
    return True


def store_behind(settings: Settings) -> bool:
    """True when the configured store serves another version than the local ``CURRENT`` (a
    Milvus write that failed after the local version was saved); never for ``local``."""
    if settings.store == "local":
        return False
    live, served = live_name(settings.index_dir), served_version(settings)
    if served != live:
        logger.info("store=%s serves version=%r, local version=%s", settings.store, served, live)
    return served != live


def check_store(settings: Settings) -> None:
    """Fail before any work when the configured store cannot be written (another process holds
    the milvus-lite file: ``MilvusBusyError``); nothing for ``local``."""
    if settings.store == "milvus":
        connect(settings.milvus_target, settings.milvus_token).close()


def served_version(settings: Settings) -> str:
    """The version a load would serve now ("" when none or unreachable; never raises).

    ``local``: the name ``CURRENT`` points at. ``milvus``: the version behind the collection
    alias, so a server sees a write by another process or machine (a cluster's ingest job),
    and not a local version whose Milvus write has not switched the alias yet.
    """
    if settings.store != "milvus":
        return live_name(settings.index_dir)
    try:
        return _stored_version(settings)
    except Exception as exc:  # the live service stays; the next poll tries again
        logger.warning("milvus version not read: %s", exc)
        return ""


def _stored_version(settings: Settings) -> str:
    """The version of the Milvus store's newest manifest ("" when none); raises when the store
    cannot be reached."""
    client = connect(settings.milvus_target, settings.milvus_token)
    try:
        manifest = read_manifest(client, settings.milvus_collection)
    finally:
        client.close()
    return manifest.version if manifest is not None else ""
