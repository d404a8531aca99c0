"""Wiring: build the embedder and load the index the settings describe."""

from __future__ import annotations

import logging

from qa.embedding import build_embedder, model_id_for
from qa.index import HybridIndex
from qa.retrieval import HybridRetriever
from qa.settings import Settings

logger = logging.getLogger(__name__)


def load_retriever(settings: Settings) -> HybridRetriever:
    """Load the live index (refusing a model mismatch before loading the model) and its embedder."""
    index = HybridIndex.load(settings.index_dir, model_id=model_id_for(settings))
    embedder = build_embedder(settings)
    return HybridRetriever(index, embedder, settings)
