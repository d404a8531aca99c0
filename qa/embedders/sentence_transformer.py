"""Any sentence-transformers model, loaded offline, as an embedder."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)


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
