"""Retrieval timed with the real query encoder inside it, on an index of any embedder.

The scale bench (``eval.bench.scale``) builds its synthetic indexes with the fake embedder;
this puts the configured real encoder in the retriever for a while so a size's query time
includes the encode a user waits for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.embedders.factory import build_embedder
from qa.service import AnswerService
from qa.settings import Settings

logger = logging.getLogger(__name__)


def with_real_encode(
    service: AnswerService, questions: Sequence[str], count: int = 60
) -> dict[str, Any]:
    """Retrieval with the configured real query encoder inside it (the fake one's vectors
    still search the fake index: the time, not the ranking, is measured), interleaved with
    the bare encode of the same question: ``encoded_retrieval_over_encode`` compares sizes
    measured in different processes (a slower machine moment scales both). Empty fields when
    the model is not installed. ``count`` of ``questions`` are asked."""
    try:
        real = build_embedder(Settings())
        if real.dim != service.retriever.embedder.dim:
            raise ValueError(f"the encoder has {real.dim} dimensions, the index 384")
    except Exception as exc:  # no model here: the fake-embedder numbers stand alone
        logger.warning("no real encoder for the scale bench: %s", exc)
        return {"encode_p50_ms": None, "encoded_retrieval_p50_ms": None}
    fake, asked = service.retriever.embedder, list(questions)[:count]
    service.retriever.embedder = real
    real.embed_queries(asked[:3])
    encode_ms, retrieval_ms = [], []
    try:
        for question in asked:
            t = time.perf_counter_ns()
            real.embed_queries([question])
            encode_ms.append((time.perf_counter_ns() - t) / 1e6)
            understood = service.understand(question)
            t = time.perf_counter_ns()
            service.retriever.retrieve(understood)
            retrieval_ms.append((time.perf_counter_ns() - t) / 1e6)
    finally:
        service.retriever.embedder = fake
    encode, retrieval = float(np.median(encode_ms)), float(np.median(retrieval_ms))
    return {
        "encode_p50_ms": round(encode, 2),
        "encoded_retrieval_p50_ms": round(retrieval, 2),
        "encoded_retrieval_over_encode": round(retrieval / encode, 3),
    }
