"""HybridRetriever over the real corpus with the fake embedder."""

import pytest

from ingest.pipeline import run_ingest
from qa.retrieval import embedding_input, rrf
from qa.service import load_retriever


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("retrieval"))
    run_ingest(settings)
    return load_retriever(settings)


def test_rrf_formula():
    fused = rrf([[7, 3], [3, 9]], k=60)
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[7] == pytest.approx(1 / 61) and fused[9] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 3  # found by both signals


def test_embedding_input_prefixes_title_once():
    assert embedding_input("标题", "正文") == "标题\n正文"
    assert embedding_input("一、线上激活", "一、线上激活\n内容") == "一、线上激活\n内容"


def test_modes_rank_and_score(retriever):
    for mode in ("dense", "bm25", "hybrid"):
        hits = retriever.search("合肥居民医保网上缴费", top_k=5, mode=mode)
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert any("合肥" in h.chunk.title for h in hits)
    hybrid = retriever.search("合肥居民医保网上缴费", top_k=5)
    assert set(hybrid[0].scores) <= {"dense", "bm25"} and hybrid[0].scores


def test_greeting_matches_nothing_lexically(retriever):
    assert retriever.search("你好", mode="bm25") == []
    assert retriever.search("   ", mode="hybrid") == []


def test_retrieve_reports_stage_timings(retriever):
    result = retriever.retrieve("异地就医备案后怎么看病", top_k=3)
    assert set(result.timings_ms) == {"embed", "search", "fuse"}
    assert all(v >= 0 for v in result.timings_ms.values())
    assert len(result.hits) == 3


def test_top_k_larger_than_index_is_safe(retriever):
    n = len(retriever.index.chunks)
    assert len(retriever.search("医保", top_k=n + 50, mode="dense")) == n
