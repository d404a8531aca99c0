"""Optional cross-encoder reranking of the best fused hits (off unless configured).

Any sentence-transformers ``CrossEncoder`` folder or model id can be set as
``YIBAO_RERANKER_MODEL``; it scores (question, title + passage) pairs for the top
``YIBAO_RERANK_CANDIDATES`` fused hits, which are then ordered by that score. No Chinese
reranker ships offline, so the default pipeline does without one. sentence-transformers is
imported only when a reranker is actually loaded.

Example:
    >>> reranker = load_cross_encoder("/models/bge-reranker-base")
    >>> order = rerank_order("医保码怎么激活", ["医保码激活方法……", "异地就医……"], reranker)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

logger = logging.getLogger(__name__)


class PairScorer(Protocol):
    """Anything with a CrossEncoder-like ``predict``: one relevance score per (query, text)."""

    def predict(self, sentences: list[tuple[str, str]], **kwargs: object) -> Sequence[float]: ...


def load_cross_encoder(model: str) -> PairScorer:
    """Load a sentence-transformers ``CrossEncoder`` on the CPU, offline by default.

    Args:
        model: A local folder or a model id already in the Hugging Face cache.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import CrossEncoder

    logger.info("loading reranker model=%s", model)
    return CrossEncoder(model, device="cpu")


def rerank_order(
    query: str, passages: Sequence[str], scorer: PairScorer
) -> list[tuple[int, float]]:
    """Indexes of ``passages`` ordered by the scorer's relevance, best first, with the scores.

    Ties keep the incoming order, so an indifferent scorer leaves the fused order as it is.
    """
    if not passages:
        return []
    scores = scorer.predict([(query, p) for p in passages], show_progress_bar=False)
    scored = [(i, float(s)) for i, s in enumerate(scores)]
    if len(scored) != len(passages):
        raise ValueError(f"reranker returned {len(scored)} scores for {len(passages)} passages")
    return sorted(scored, key=lambda item: (-item[1], item[0]))
