"""The Milvus store on milvus-lite, built from the same index as the local store (fake embedder).

Dense rankings must agree with the local store (same vectors, exact FLAT search), and so must
BM25: the Milvus store holds sparse vectors computed from the project's own tokens and bm25s
statistics (qa/stores/milvus_lexical.py), so rows and scores equal the local store's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from ingest.pipeline import run_ingest  # noqa: E402
from qa.embedders.fake import FakeEmbedder  # noqa: E402
from qa.index.hybrid import HybridIndex  # noqa: E402
from qa.index.versions import IndexMismatchError, IndexNotFoundError  # noqa: E402
from qa.retrieval.question import understand  # noqa: E402
from qa.retrieval.retriever import HybridRetriever  # noqa: E402
from qa.service import load_retriever  # noqa: E402
from qa.stores.local import LocalStore  # noqa: E402
from qa.stores.milvus import MilvusStore  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

GOLD = [
    json.loads(line)["question"]
    for line in (Path(__file__).parents[3] / "eval" / "gold.jsonl").read_text("utf-8").splitlines()
    if line.strip()
][:60]
QUESTIONS = [
    "怎么激活医保码",
    "异地就医备案需要什么材料",
    "医保卡丢了怎么补办",
    "门诊慢特病怎么申请",
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("milvus")
    settings = make_settings(tmp, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    local = LocalStore(HybridIndex.load(settings.index_dir))
    milvus = MilvusStore.open(settings.milvus_target, "", "chunks")
    yield settings, local, milvus
    milvus.close()


def test_the_milvus_store_holds_the_local_index_records(stores):
    _, local, milvus = stores
    assert list(milvus.chunks) == list(local.chunks)  # a full write keeps the local rows
    assert len(milvus.chunks) == len(local.chunks)
    by_id = sorted(milvus.documents, key=lambda d: d.doc_id)
    assert by_id == sorted(local.documents, key=lambda d: d.doc_id)
    assert len(milvus.documents) == len(local.documents)
    assert milvus.version == local.version != ""
    for row in (0, len(local.chunks) // 2, len(local.chunks) - 1):
        assert milvus.chunk(row) == local.chunk(row)
        doc_id = local.chunk(row).doc_id
        assert milvus.document(doc_id) == local.document(doc_id)
    assert milvus.document("no-such-document") is None
    with pytest.raises(IndexError):
        milvus.chunk(10_000)


@pytest.mark.parametrize("field", ["passage", "title", "piece"])
def test_dense_rankings_match_the_local_store(stores, field):
    _, local, milvus = stores
    embedder = FakeEmbedder()
    for question in QUESTIONS:
        vector = embedder.embed_queries([question])[0]
        ours, theirs = local.dense_top(field, vector, 10), milvus.dense_top(field, vector, 10)
        assert theirs[0][0] == ours[0][0], question
        assert theirs[0][1] == pytest.approx(ours[0][1], abs=2e-3)  # fp16 vs fp32 storage
        assert len({r for r, _ in ours[:5]} & {r for r, _ in theirs[:5]}) >= 4, question


@pytest.mark.parametrize("field", ["text", "title"])
def test_bm25_rankings_equal_the_local_store(stores, field):
    settings, local, milvus = stores
    for question in [*QUESTIONS, *GOLD]:
        q = understand(question)
        extra = [t for t in q.expanded if t not in q.terms]
        args = (q.terms, extra, settings.synonym_weight, 10, settings.min_bm25_score)
        ours, theirs = local.lexical_top(field, *args), milvus.lexical_top(field, *args)
        assert [r for r, _ in theirs] == [r for r, _ in ours], question
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], rel=1e-5)


def test_lexical_top_respects_k_and_floor(stores):
    _, _, milvus = stores
    q = understand("医保卡丢了怎么补办")
    ranked = milvus.lexical_top("text", q.terms, [], 0.0, 3)
    scores = [s for _, s in ranked]
    assert len(ranked) == 3 and scores == sorted(scores, reverse=True)
    assert milvus.lexical_top("text", q.terms, [], 0.0, 3, floor=ranked[0][1]) == []
    assert milvus.lexical_top("text", [], [], 0.0, 3) == []


def test_the_retriever_answers_through_the_milvus_store(stores):
    settings, local, milvus = stores
    via_milvus = HybridRetriever(milvus, FakeEmbedder(), settings)
    via_local = HybridRetriever(local, FakeEmbedder(), settings)
    for question in QUESTIONS:
        assert via_milvus.search(question, top_k=3, mode="dense")[0].chunk == (
            via_local.search(question, top_k=3, mode="dense")[0].chunk
        )
    for question in [*QUESTIONS, *GOLD[:30]]:
        ours, theirs = via_local.search(question, top_k=5), via_milvus.search(question, top_k=5)
        assert [h.chunk for h in theirs] == [h.chunk for h in ours], question


def test_load_retriever_opens_the_configured_store(stores):
    settings, _, _ = stores
    retriever = load_retriever(settings, FakeEmbedder())
    try:
        assert isinstance(retriever.store, MilvusStore)
        assert retriever.search("怎么激活医保码", top_k=1)
    finally:
        retriever.store.close()


def test_open_refuses_a_missing_collection_and_another_model(stores):
    settings, _, _ = stores
    with pytest.raises(IndexNotFoundError):
        MilvusStore.open(settings.milvus_target, "", "nothing_here")
    with pytest.raises(IndexMismatchError):
        MilvusStore.open(settings.milvus_target, "", "chunks", model_id="another-model")


def test_a_rewrite_switches_aliases_so_queries_never_see_a_half_written_index(
    tmp_path, monkeypatch
):
    import qa.stores.milvus_write as module
    from qa.stores.milvus import connect

    settings = make_settings(tmp_path, store="milvus", milvus_collection="live")
    run_ingest(settings)  # the first version, written through the alias
    index = HybridIndex.load(settings.index_dir)
    n = len(index.chunks)
    seen_before_switch = []
    real_switch = module.switch_aliases

    def checked_switch(client, alias, target):
        # The new collections are full, and the alias still serves the previous version whole.
        seen_before_switch.append(len(client.query(alias, filter="row >= 0", limit=n + 10)))
        assert len(client.query(target, filter="row >= 0", limit=n + 10)) == n
        real_switch(client, alias, target)

    monkeypatch.setattr(module, "switch_aliases", checked_switch)
    pinned = MilvusStore.open(settings.milvus_target, "", "live")  # opened before the switch
    assert MilvusStore.write(index, settings.milvus_target, "", "live") == "unchanged"
    assert MilvusStore.write(index, settings.milvus_target, "", "live", full=True) == "full"
    try:  # it still answers from the version it loaded, which the write kept
        assert pinned.dense_top("passage", index.vector_of(0), 1)[0][0] == 0
        assert pinned.lexical_top("text", ["医保"], [], 0.0, 3)
    finally:
        pinned.close()
    for _ in range(2):
        MilvusStore.write(index, settings.milvus_target, "", "live", full=True)
    assert seen_before_switch == [n, n, n]
    client = connect(settings.milvus_target)
    try:
        versions = {
            c.removesuffix("_pieces").removesuffix("_records") for c in client.list_collections()
        }
        assert len(versions) == 2  # the live version and the one before it; older ones dropped
        assert set(client.list_aliases()["aliases"]) == {"live", "live_pieces", "live_records"}
    finally:
        client.close()
    store = MilvusStore.open(settings.milvus_target, "", "live")
    try:
        assert list(store.chunks) == list(index.chunks)
        assert store.dense_top("passage", index.vector_of(0), 1)[0][0] == 0
    finally:
        store.close()
