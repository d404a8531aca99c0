"""Text embedders: the real sentence-transformers one and a fake one for fast tests.

Both return L2-normalised float32 rows, so inner product = cosine similarity.

Example:
    >>> embedder = build_embedder(Settings(embedder="fake"))
    >>> embedder.embed_queries(["怎么激活医保码"]).shape
    (1, 256)
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from qa.settings import BUNDLED_MODEL, Settings
from qa.text.normalize import fold

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit vectors; ``model_id`` names the vector space."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


class FakeEmbedder:
    """Deterministic, similarity-preserving embedder: hashed character uni- and bigrams.

    Texts sharing characters and character pairs get similar vectors, so retrieval tests
    behave like retrieval (unlike random fakes). The hash is SHA-256, so vectors are the
    same across processes and machines.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"fake-char-bigram-{dim}"

    def _features(self, text: str) -> list[str]:
        chars = [c for c in fold(text) if not c.isspace()]
        return chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.sha256(feature.encode("utf-8")).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign * (2.0 if len(feature) == 2 else 1.0)
        return _normalise_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, loaded offline from a folder or the local HF cache.

    Args:
        model_path: Folder or model id passed to ``SentenceTransformer``.
        model_id: Name recorded in the index metadata (defaults to ``model_path``).
        query_prompt: Prefix for queries (``"query: "`` for e5 models).
        passage_prompt: Prefix for passages (``"passage: "`` for e5 models).
        batch_size: Passages per forward pass.
        max_seq_length: Token limit; longer passages are truncated by the model.
    """

    def __init__(
        self,
        model_path: str,
        model_id: str | None = None,
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        batch_size: int = 32,
        max_seq_length: int = 512,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in the CLI or logs

        self._model = SentenceTransformer(model_path, device="cpu")
        self._model.max_seq_length = min(max_seq_length, self._model.max_seq_length or 512)
        self.model_id = model_id or model_path
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._batch_size = batch_size
        logger.info("loaded embedding model id=%s dim=%d", self.model_id, self.dim)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


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
                from qa.embedders.bundled import ensure_bundled_model

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
