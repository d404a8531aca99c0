"""The one place that picks an embedder from settings (``YIBAO_EMBEDDER``).

``sentence-transformers`` (default: the bundled multilingual-e5-small, converted on first use)
or ``fake`` (hashed character bigrams, for tests). Both return L2-normalised float32 rows.

Example:
    >>> embedder = build_embedder(Settings(embedder="fake"))
    >>> embedder.embed_queries(["怎么激活医保码"]).shape
    (1, 256)
"""

from __future__ import annotations

from qa.embedders.base import Embedder
from qa.embedders.bundled import ensure_bundled_model
from qa.embedders.fake import FakeEmbedder
from qa.embedders.sentence_transformer import SentenceTransformerEmbedder
from qa.settings import BUNDLED_MODEL, Settings


def model_id_for(settings: Settings) -> str:
    """The ``model_id`` the configured embedder will report, without loading it."""
    if settings.embedder == "fake":
        return FakeEmbedder(settings.fake_dim).model_id
    return settings.embedding_model


def build_embedder(settings: Settings) -> Embedder:
    """Create the embedder the settings ask for (converting the bundled model if needed)."""
    match settings.embedder:
        case "fake":
            return FakeEmbedder(settings.fake_dim)
        case "sentence-transformers":
            model_path = settings.embedding_model
            if model_path == BUNDLED_MODEL:
                model_path = str(ensure_bundled_model(settings.models_dir))
            return SentenceTransformerEmbedder(
                model_path,
                model_id=settings.embedding_model,
                query_prompt=settings.query_prompt,
                passage_prompt=settings.passage_prompt,
                batch_size=settings.embedding_batch_size,
                max_seq_length=settings.max_seq_length,
            )
    raise ValueError(f"unknown embedder {settings.embedder!r}")
