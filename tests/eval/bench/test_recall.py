"""Recall of the pooled piece ranking against the exact scan of every piece (fake embedder)."""

from eval.bench.recall import pooled_piece_recall
from qa.service import load_retriever
from tests.conftest import corpus_index

QUESTIONS = ["怎么激活医保码", "家庭共济怎么绑定家人", "合肥居民医保一年交多少钱", "医保卡丢了"]


def test_pooled_piece_recall_is_whole_only_when_the_pool_holds_every_chunk(tmp_path_factory):
    retriever = load_retriever(corpus_index(tmp_path_factory))
    n = len(retriever.store.chunks)
    everything = retriever.settings.model_copy(update={"piece_pool_k": n})
    retriever_all = type(retriever)(retriever.index, retriever.embedder, everything)
    assert pooled_piece_recall(retriever_all, QUESTIONS) == 1.0
    assert 0.5 < pooled_piece_recall(retriever, QUESTIONS) < 1.0  # the pool misses a few
