"""The OpenVINO export of the bundled model gives the torch backend's vectors and rankings.

Texts: the gold dev questions (queries; never the sealed split) and every corpus chunk
(passages, from the torch-built index's chunks). Both backends embed the passages here: the
index stores 8-bit passage codes, not the encoder's float vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from eval.gold import load_gold, split_items
from ingest.pipeline import run_ingest
from qa.embedders.factory import build_embedder
from qa.embedders.openvino_encoder import OpenVinoEmbedder
from qa.index.hybrid import HybridIndex
from qa.index.rows import passage_input

pytestmark = pytest.mark.slow


@dataclass
class Vectors:
    torch_queries: np.ndarray
    ov_queries: np.ndarray
    torch_passages: np.ndarray
    ov_passages: np.ndarray


@pytest.fixture(scope="module")
def torch_settings(real_settings, tmp_path_factory):
    """The torch backend with its own index folder (the shared one is built on OpenVINO)."""
    data = tmp_path_factory.mktemp("torch-index")
    (data / "models").symlink_to(real_settings.models_dir.resolve(), target_is_directory=True)
    return real_settings.model_copy(update={"embedding_backend": "torch", "data_dir": data})


@pytest.fixture(scope="module")
def torch_embedder(torch_settings):
    return build_embedder(torch_settings)


@pytest.fixture(scope="module")
def ov_embedder(real_settings):
    settings = real_settings.model_copy(update={"embedding_backend": "openvino"})
    embedder = build_embedder(settings)  # exports into the shared .yibao/models once
    assert isinstance(embedder, OpenVinoEmbedder)
    return embedder


@pytest.fixture(scope="module")
def vectors(torch_settings, torch_embedder, ov_embedder) -> Vectors:
    run_ingest(torch_settings, embedder=torch_embedder)
    index = HybridIndex.load(torch_settings.index_dir, model_id=torch_embedder.model_id)
    assert index.meta.embedding_backend == "torch"
    questions = [item.question for item in split_items(load_gold(), "dev")]
    passages = [passage_input(c.title, c.text) for c in index.chunks]
    return Vectors(
        torch_embedder.embed_queries(questions),
        ov_embedder.embed_queries(questions),
        torch_embedder.embed_passages(passages),  # not the index's: it keeps 8-bit codes
        ov_embedder.embed_passages(passages),
    )


def test_openvino_vectors_match_torch(vectors, torch_embedder, ov_embedder):
    assert ov_embedder.model_id == torch_embedder.model_id and ov_embedder.dim == 384
    cosines = np.concatenate(
        [
            (vectors.torch_queries * vectors.ov_queries).sum(axis=1),
            (vectors.torch_passages * vectors.ov_passages).sum(axis=1),
        ]
    )
    assert len(cosines) >= 150
    assert cosines.min() >= 0.9999, (cosines.min(), cosines.mean())
    assert vectors.ov_passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors.ov_passages, axis=1), 1.0, rtol=1e-5)


def test_openvino_ranks_like_torch(vectors):
    torch_top = (vectors.torch_queries @ vectors.torch_passages.T).argmax(axis=1)
    ov_top = (vectors.ov_queries @ vectors.ov_passages.T).argmax(axis=1)
    assert np.mean(torch_top == ov_top) == 1.0


def test_batching_padding_and_truncation(torch_embedder, ov_embedder):
    texts = ["医保码", "异地就医怎么备案？需要哪些材料？", "门诊慢特病" * 300]  # ~1500 chars
    together = ov_embedder.embed_passages(texts)
    alone = np.concatenate([ov_embedder.embed_passages([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    cosines = (together * torch_embedder.embed_passages(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines  # the long text is truncated at 512 tokens alike
    assert ov_embedder.embed_queries([]).shape == (0, 384)


def test_concurrent_callers_get_their_own_vectors(ov_embedder):
    """One compiled model serves many threads: each call gets its own infer request."""
    from concurrent.futures import ThreadPoolExecutor

    questions = [item.question for item in split_items(load_gold(), "dev")][:24]
    alone = [ov_embedder.embed_queries([q])[0] for q in questions]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda q: ov_embedder.embed_queries([q])[0], questions * 3))
    for i, vector in enumerate(together):
        assert np.allclose(vector, alone[i % len(questions)], atol=1e-5), questions[i % 24]


def test_one_stream_per_core_with_one_thread_each(ov_embedder, real_settings):
    import os

    assert real_settings.encoder_threads == 1  # the measured default
    streams = ov_embedder._model.get_property("NUM_STREAMS")
    assert int(streams) == (os.cpu_count() or 1)
    assert ov_embedder._model.get_property("INFERENCE_NUM_THREADS") == int(streams)
