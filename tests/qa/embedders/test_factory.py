import numpy as np

from qa.embedders.factory import build_embedder, model_id_for
from qa.embedders.fake import FakeEmbedder
from tests.conftest import make_settings


def test_fake_embedder_is_deterministic_and_normalised():
    a = FakeEmbedder(64).embed_passages(["怎么激活医保码", "家庭共济怎么绑定"])
    b = FakeEmbedder(64).embed_passages(["怎么激活医保码", "家庭共济怎么绑定"])
    assert a.dtype == np.float32 and a.shape == (2, 64)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)


def test_fake_embedder_preserves_similarity():
    emb = FakeEmbedder(256)
    q = emb.embed_queries(["医保码怎么激活"])[0]
    near, far = emb.embed_passages(["激活医保码的方法", "合肥居民医保缴费标准"])
    assert q @ near > q @ far + 0.2


def test_empty_text_gives_zero_vector_not_nan():
    v = FakeEmbedder(32).embed_passages([""])
    assert not np.isnan(v).any()


def test_build_embedder_fake_and_model_id(tmp_path):
    settings = make_settings(tmp_path, fake_dim=48)
    emb = build_embedder(settings)
    assert emb.dim == 48
    assert emb.model_id == model_id_for(settings)
    assert model_id_for(make_settings(tmp_path, embedder="sentence-transformers")) == (
        "bundled:multilingual-e5-small"
    )
