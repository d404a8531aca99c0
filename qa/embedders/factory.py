"""The one place that picks an embedder from settings (``YIBAO_EMBEDDER``, ``_BACKEND``).

``sentence-transformers`` (default: the bundled multilingual-e5-small, converted on first use)
runs on ``torch`` or, with ``YIBAO_EMBEDDING_BACKEND=openvino``, on an OpenVINO export of the
same folder (exported on first use or by ``yibao model``); ``fake`` is hashed character
bigrams, for tests. All return L2-normalised float32 rows.

Example:
    >>> embedder = build_embedder(Settings(embedder="fake"))
    >>> embedder.embed_queries(["怎么激活医保码"]).shape
    (1, 256)
"""

from __future__ import annotations

from pathlib import Path

from qa.embedders.base import Embedder
from qa.embedders.bundled import ensure_bundled_model
from qa.embedders.fake import FakeEmbedder
from qa.embedders.openvino_encoder import OpenVinoEmbedder, ensure_openvino_model
from qa.embedders.sentence_transformer import SentenceTransformerEmbedder
from qa.settings import BUNDLED_MODEL, Settings


def model_id_for(settings: Settings) -> str:
    """The ``model_id`` the configured embedder will report, without loading it.

    The same for both backends: their vectors agree to cosine >= 0.9999. The index records
    the backend separately (see :func:`backend_for`).
    """
    if settings.embedder == "fake":
        return FakeEmbedder(settings.fake_dim).model_id
    return settings.embedding_model


def backend_for(settings: Settings) -> str:
    """The runtime that computes the vectors, recorded in and checked against the index."""
    return settings.embedding_backend


def model_folder(settings: Settings) -> str:
    """The sentence-transformers folder (or model id) of the configured model."""
    if settings.embedding_model == BUNDLED_MODEL:
        return str(ensure_bundled_model(settings.models_dir))
    return settings.embedding_model


def prepare_model(settings: Settings) -> Path | None:
    """Convert and export now whatever the configured embedder needs (``yibao model``).

    Returns the folder the embedder will load, or None when nothing needs preparing.
    """
    if settings.embedder == "fake":
        return None
    folder = model_folder(settings)
    if settings.embedding_backend == "openvino":
        return ensure_openvino_model(Path(folder), settings.models_dir)
    return Path(folder) if settings.embedding_model == BUNDLED_MODEL else None


def build_ingest_embedder(settings: Settings) -> Embedder:
    """The embedder ingestion uses: the configured one, on ``ingest_threads`` (batches)."""
    return build_embedder(settings.model_copy(update={"encoder_threads": settings.ingest_threads}))


def build_embedder(settings: Settings) -> Embedder:
    """Create the embedder the settings ask for (converting / exporting the model if needed)."""
    match settings.embedder, settings.embedding_backend:
        case "fake", _:
            return FakeEmbedder(settings.fake_dim)
        case "sentence-transformers", "openvino":
            return OpenVinoEmbedder(
                ensure_openvino_model(Path(model_folder(settings)), settings.models_dir),
                model_id=settings.embedding_model,
                query_prompt=settings.query_prompt,
                passage_prompt=settings.passage_prompt,
                batch_size=settings.embedding_batch_size,
                max_seq_length=settings.max_seq_length,
                threads=settings.encoder_threads,
            )
        case "sentence-transformers", "torch":
            if settings.encoder_threads > 0:
                import torch

                torch.set_num_threads(settings.encoder_threads)
            return SentenceTransformerEmbedder(
                model_folder(settings),
                model_id=settings.embedding_model,
                query_prompt=settings.query_prompt,
                passage_prompt=settings.passage_prompt,
                batch_size=settings.embedding_batch_size,
                max_seq_length=settings.max_seq_length,
            )
    raise ValueError(f"unknown embedder {settings.embedder!r} / {settings.embedding_backend!r}")
