"""A deterministic, similarity-preserving embedder for fast tests (no model)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from qa.embedders.base import unit_rows
from qa.text.normalize import fold


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
        return unit_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)
