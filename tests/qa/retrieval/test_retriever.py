"""HybridRetriever with the fake embedder: over the real corpus, and over a tiny made-up one.

The retrieval tests run on both stores (``store`` fixture: the local files and milvus-lite,
written by one ingestion); the tests of the local files' own layout (title and sentence
files, fp16 storage, model check on the folder) use ``tiny_local`` only — Milvus stores the
same vectors in float32 collections, tested in tests/qa/stores/test_milvus.py.
"""

import json

import numpy as np
import pytest

from ingest.pipeline import run_ingest
from qa.embedders.fake import FakeEmbedder
from qa.index.hybrid import HybridIndex
from qa.index.rows import passage_input
from qa.index.versions import IndexLoadError, IndexMismatchError, current_version
from qa.retrieval.fusion import (
    asked_figures,
    collapse_near_duplicates,
    figure_affinity,
    names_elsewhere,
    region_affinity,
    rrf,
    weighted_rrf,
)
from qa.retrieval.question import understand
from qa.retrieval.retriever import HybridRetriever
from qa.service import load_retriever
from qa.types import Chunk
from tests.conftest import (
    QueryCountingEmbedder,
    corpus_index,
    indexed_on_both,
    make_settings,
    on_store,
)


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, store):
    return load_retriever(on_store(corpus_index(tmp_path_factory), store))


def test_rrf_formula():
    fused = rrf([[7, 3], [3, 9]], k=60)
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[7] == pytest.approx(1 / 61) and fused[9] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 3  # found by both signals


def test_embedding_input_prefixes_title_once():
    assert passage_input("标题", "正文") == "标题\n正文"
    assert passage_input("一、线上激活", "一、线上激活\n内容") == "一、线上激活\n内容"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_ranks_and_finds_the_city(retriever, mode):
    hits = retriever.search("合肥居民医保网上缴费", top_k=5, mode=mode)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("合肥" in h.chunk.title for h in hits)


def test_hybrid_scores_name_their_signals(retriever):
    hybrid = retriever.search("合肥居民医保网上缴费", top_k=5)
    signals = {"dense", "bm25", "title_bm25", "title_dense", "sentence_dense", "known", "region"}
    assert hybrid[0].scores and set(hybrid[0].scores) <= signals
    assert {"dense", "bm25"} <= set(hybrid[0].scores)
    assert hybrid[0].scores["region"] == 1.0  # 合肥 asked, 合肥 chunk
    # the ablation modes stay single-signal
    assert all(set(h.scores) == {"dense"} for h in retriever.search("合肥", mode="dense"))
    assert all(set(h.scores) == {"bm25"} for h in retriever.search("合肥", mode="bm25"))


def test_greeting_matches_nothing_lexically(retriever):
    assert retriever.search("你好", mode="bm25") == []
    assert retriever.search("   ", mode="hybrid") == []


@pytest.mark.parametrize("greeting", ["你好", "谢谢", "在吗", "您好!", "？？"])
def test_content_free_question_gets_no_hybrid_hits(retriever, greeting):
    result = retriever.retrieve(greeting)
    assert result.hits == [] and result.question is not None and result.question.is_small_talk


def test_real_question_after_a_greeting_keeps_its_hits(retriever):
    hits = retriever.search("你好,请问医保卡丢了去哪里补办?", top_k=3)
    assert any("补办" in h.chunk.title for h in hits)


def test_retrieval_carries_the_analysed_query(retriever):
    result = retriever.retrieve("請問合肥兒童醫保網上繳費", top_k=3)
    assert result.question is not None
    assert result.question.text == "合肥儿童医保网上缴费"
    assert result.question.regions == ("合肥",)
    assert result.hits and "合肥" in result.hits[0].chunk.title


def test_retrieve_reports_stage_timings(retriever):
    result = retriever.retrieve("异地就医备案后怎么看病", top_k=3)
    assert set(result.timings_ms) == {"embed", "search", "fuse"}
    assert all(v >= 0 for v in result.timings_ms.values())
    assert len(result.hits) == 3


def test_top_k_larger_than_index_is_safe(retriever):
    n = len(retriever.index.chunks)
    assert len(retriever.search("医保", top_k=n + 50, mode="dense")) == n


def test_weighted_rrf_ignores_zero_weights():
    fused = weighted_rrf({"a": [1, 2], "b": [2], "c": [3]}, {"a": 1.0, "b": 0.5, "c": 0.0}, k=5)
    assert fused[1] == pytest.approx(1 / 6)
    assert fused[2] == pytest.approx(1 / 7 + 0.5 / 6)
    assert 3 not in fused


# --- a tiny corpus where each behaviour is visible -------------------------------------------

RECORD = "跨省异地就医前需要先在参保地办理备案,可以在国家医保服务平台APP上申请。"
TINY = {
    "lost.txt": "医保卡丢了哪里去补办\n请尽快前往当地经办机构或银行网点办理,记得带上身份证原件。",
    "balance.txt": (
        "丢卡以后余额还在吗\n医保卡丢了卡里的钱不会丢,补办后余额还在。"
        "医保卡丢了先挂失再去补办,医保卡丢了不要慌。"
    ),
    "hefei.txt": "合肥医保\n合肥市每人每年400元。",
    "wuhu.txt": (
        "芜湖居民医保缴费标准是多少\n居民医保缴费标准是多少?芜湖市居民医保缴费标准为每人每年400元。"
    ),
    "record1.txt": "异地就医备案怎么办理\n" + RECORD,
    "record2.txt": "异地就医备案如何办理\n" + RECORD,  # same text: a near-duplicate
    "taizhou.txt": "泰州医保去上海看病能报销吗\n泰州参保去上海看病,办理异地就医备案后能报销。",
}


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory):
    """Settings over the tiny corpus, indexed once on both stores."""
    root = tmp_path_factory.mktemp("tiny")
    folder = root / "docs"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, "utf-8")
    return indexed_on_both(make_settings(root, corpus_dir=folder))


@pytest.fixture(scope="module")
def tiny(tiny_index, store):
    return load_retriever(on_store(tiny_index, store))


@pytest.fixture(scope="module")
def tiny_local(tiny_index):
    return load_retriever(tiny_index)


def _titles(retriever, question, **overrides):
    retriever = HybridRetriever(
        retriever.index, retriever.embedder, retriever.settings.model_copy(update=overrides)
    )
    return [h.chunk.title for h in retriever.search(question, top_k=6)]


def test_title_signal_lifts_the_snippet_whose_title_is_the_question(tiny):
    question = "医保卡丢了去哪补办"  # a paraphrase of the title 医保卡丢了哪里去补办
    without = _titles(tiny, question, title_bm25_weight=0, title_dense_weight=0)
    assert without[0] == "丢卡以后余额还在吗"  # its body repeats the question's words
    with_titles = _titles(tiny, question, title_bm25_weight=0.5, title_dense_weight=0.5)
    assert with_titles[0] == "医保卡丢了哪里去补办"
    top = tiny.search(question, top_k=2)
    lost = next(h for h in top if h.chunk.title == "医保卡丢了哪里去补办")
    assert lost.scores["title_bm25"] > 0 and lost.scores["title_dense"] > 0.5


def test_region_boost_prefers_the_asked_city(tiny):
    question = "合肥居民医保缴费标准是多少"
    assert _titles(tiny, question, region_boost=0)[0] == "芜湖居民医保缴费标准是多少"
    assert _titles(tiny, question)[0] == "合肥医保"
    # no region asked: no boost, no "region" score
    hits = tiny.search("居民医保缴费标准是多少", top_k=6)
    assert all("region" not in h.scores for h in hits)


def test_chunks_about_other_places_rank_below_general_ones(tiny):
    question = "在深圳参保去广州看病能报销吗"  # the corpus knows neither city
    assert _titles(tiny, question, region_elsewhere_factor=1.0)[0] == "泰州医保去上海看病能报销吗"
    lowered = _titles(tiny, question, region_elsewhere_factor=0.5)
    assert lowered[0] in {"异地就医备案怎么办理", "异地就医备案如何办理"}


@pytest.mark.parametrize(
    ("asked", "named", "elsewhere"),
    [
        (("深圳", "广州"), ("泰州", "上海"), True),
        (("深圳",), ("广东",), False),  # the asked city's province
        (("广东",), ("深圳",), False),  # a city of the asked province
        (("深圳",), ("深圳", "上海"), False),
        ((), ("上海",), False),  # no place asked
        (("深圳",), (), False),  # a general passage
    ],
)
def test_names_elsewhere(asked, named, elsewhere):
    assert names_elsewhere(asked, named) is elsewhere


def test_near_duplicates_are_collapsed(tiny):
    titles = _titles(tiny, "异地就医备案怎么弄")
    assert titles[0] in {"异地就医备案怎么办理", "异地就医备案如何办理"}
    assert len({"异地就医备案怎么办理", "异地就医备案如何办理"} & set(titles)) == 1


@pytest.mark.parametrize(
    ("asked", "named", "affinity"),
    [
        (("合肥",), ("合肥",), 1.0),
        (("合肥", "安徽"), ("安徽",), 0.5),  # the city's province, no other city
        (("合肥",), ("芜湖", "安徽"), 0.0),  # another city of the same province
        (("合肥",), ("深圳",), 0.0),
        (("安徽",), ("合肥",), 0.5),  # a question about the province may prefer its cities
        (("安徽",), ("安徽",), 1.0),
        ((), ("合肥",), 0.0),  # no region asked, no boost
        (("合肥",), (), 0.0),
    ],
)
def test_region_affinity(asked, named, affinity):
    assert region_affinity(asked, named) == affinity


def _chunk(doc, start, end, text):
    return Chunk(f"{doc}-{start}", doc, "s.txt", "file", "标题", text, start, end)


def test_collapse_keeps_the_best_of_overlapping_spans_and_identical_texts():
    chunks = [
        _chunk("d1", 0, 100, "甲" * 100),
        _chunk("d1", 40, 140, "乙" * 100),  # 60% of d1[0:100]: near-duplicate
        _chunk("d1", 90, 190, "丙" * 100),  # 10% overlap with the first: kept
        _chunk("d2", 0, 30, "异地就医备案需要先在参保地办理,可以在线上申请。"),
        _chunk("d3", 0, 30, "异地就医备案需要先在参保地办理,可以在线上申请"),  # same text
    ]
    assert collapse_near_duplicates([0, 1, 2, 3, 4], chunks) == [0, 2, 3]
    assert collapse_near_duplicates([1, 0, 2], chunks) == [1, 2]  # the better-ranked one stays
    assert collapse_near_duplicates([0, 1, 2, 3, 4], chunks, limit=2) == [0, 2]


class FakeCrossEncoder:
    """Scores a pair by how often a keyword occurs in the passage; records every call."""

    def __init__(self, keyword):
        self.keyword = keyword
        self.calls = []

    def predict(self, sentences, **kwargs):
        self.calls.append(list(sentences))
        return [float(passage.count(self.keyword)) for _, passage in sentences]


def test_reranker_reorders_the_top_candidates(tiny):
    question = "居民医保缴费标准是多少"
    settings = tiny.settings.model_copy(update={"rerank_candidates": 3})
    fused = HybridRetriever(tiny.index, tiny.embedder, settings).search(question, top_k=6)
    third = fused[2].chunk
    scorer = FakeCrossEncoder(third.text[:8])  # the reranker likes the fused number 3 best
    reranked = HybridRetriever(tiny.index, tiny.embedder, settings, reranker=scorer)
    result = reranked.retrieve(question, top_k=6)
    (pairs,) = scorer.calls
    assert len(pairs) == 3 and all(q == "居民医保缴费标准是多少" for q, _ in pairs)
    assert pairs[2][1] == passage_input(third.title, third.text)
    order = [h.chunk.chunk_id for h in result.hits]
    # number 3 moves up; ties keep the fused order; the rest follow untouched
    expected = [2, 0, 1, *range(3, len(fused))]
    assert len(fused) >= 4 and order == [fused[i].chunk.chunk_id for i in expected]
    assert result.hits[0].score == result.hits[0].scores["rerank"] == 1.0
    assert all("rerank" in h.scores for h in result.hits[:3])
    assert all("rerank" not in h.scores for h in result.hits[3:])
    assert set(result.timings_ms) == {"embed", "search", "fuse", "rerank"}


def test_reranker_is_loaded_lazily_from_settings(tiny, monkeypatch):
    import qa.retrieval.retriever as retrieval

    loaded = []

    def fake_loader(name):
        loaded.append(name)
        return FakeCrossEncoder("芜湖")

    monkeypatch.setattr(retrieval, "load_cross_encoder", fake_loader)
    settings = tiny.settings.model_copy(update={"reranker_model": "/models/my-reranker"})
    lazy = HybridRetriever(tiny.index, tiny.embedder, settings)
    assert loaded == []
    assert lazy.search("居民医保缴费标准", top_k=2)[0].chunk.title.startswith("芜湖")
    lazy.search("异地就医备案", top_k=2, mode="dense")  # ablation modes never rerank
    assert loaded == ["/models/my-reranker"]


# --- the index keeps the title and sentence data ---------------------------------------------


def test_index_round_trip_keeps_title_and_sentence_data(tiny_local):
    tiny = tiny_local
    settings = tiny.settings
    folder = current_version(settings.index_dir)
    names = {p.name for p in folder.iterdir()}
    assert {"title_bm25", "title_vectors.faiss", "title_keys.json"} <= names
    assert {"sentence_vectors.faiss", "sentence_spans.npy", "sentence_keys.json"} <= names
    loaded = HybridIndex.load(settings.index_dir, model_id="fake-char-bigram-256")
    n = len(loaded.chunks)
    titles = loaded.titles.vectors
    assert (titles.ntotal, titles.d) == (n, 256) and len(loaded.titles.keys) == n
    embedder = FakeEmbedder(256)
    for row, chunk in enumerate(loaded.chunks):  # row i is chunk i's title, as a query
        expected = embedder.embed_queries([chunk.title])[0]
        kept = loaded.titles.vector_of(row)
        np.testing.assert_array_equal(kept, tiny.index.titles.vector_of(row))
        # stored in half precision: the float32 value rounded to float16, exactly
        np.testing.assert_array_equal(kept, expected.astype(np.float16).astype(np.float32))
    spans = loaded.sentences.spans
    assert len(spans) >= n and set(spans[:, 0]) == set(range(n))
    for row, start, end in spans:
        assert loaded.chunks[row].text[start:end].strip()
    assert loaded.titles.bm25_scores(["补办"]).argmax() == next(
        i for i, c in enumerate(loaded.chunks) if c.title == "医保卡丢了哪里去补办"
    )
    assert json.loads((folder / "title_keys.json").read_text("utf-8")) == loaded.titles.keys


def test_index_with_title_data_still_refuses_another_model(tiny_local):
    with pytest.raises(IndexMismatchError, match="yibao ingest --rebuild"):
        HybridIndex.load(tiny_local.settings.index_dir, model_id="bundled:multilingual-e5-small")


def test_missing_title_data_asks_for_a_rebuild(tmp_path):
    settings = make_settings(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TINY["lost.txt"], "utf-8")
    run_ingest(settings, paths=[docs])
    (current_version(settings.index_dir) / "title_vectors.faiss").unlink()
    with pytest.raises(IndexLoadError, match="yibao ingest --rebuild"):
        HybridIndex.load(settings.index_dir)


def test_reingest_embeds_only_the_changed_titles_and_sentences(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TINY.items():
        (docs / name).write_text(text, "utf-8")
    settings = make_settings(tmp_path, corpus_dir=docs)
    first = QueryCountingEmbedder()
    run_ingest(settings, embedder=first)
    index = HybridIndex.load(settings.index_dir)
    assert first.queries == len({c.title for c in index.chunks}) + len(index.sentences.keys)
    (docs / "hefei.txt").write_text("合肥医保缴费\n合肥市每人每年400元。", "utf-8")
    again = QueryCountingEmbedder()
    run_ingest(settings, embedder=again)
    assert again.queries == 2  # the new title and the one sentence of the edited file


def test_top_k_by_partition_matches_a_full_stable_sort():
    from qa.stores.local import top_rows as _top

    rng = np.random.default_rng(7)
    for trial in range(500):
        n, k = int(rng.integers(1, 80)), int(rng.integers(0, 90))
        scores = rng.integers(0, 4, n).astype(float) if trial % 2 else rng.random(n)
        if trial % 5 == 0:  # few rows above zero; every third trial negatives too
            scores = rng.integers(-1 if trial % 3 == 0 else 0, 2, n) * rng.random(n)
        full = [(int(r), float(scores[r])) for r in np.argsort(-scores, kind="stable")[:k]]
        assert _top(scores, k) == full
    assert _top(np.array([0.5, 0.1, 0.9]), 2, floor=0.4) == [(2, 0.9), (0, 0.5)]


def test_each_distinct_title_is_stored_once_and_ranks_like_one_per_chunk():
    from qa.index.titles import TitleIndex
    from qa.index.vectorstore import build_store, search

    embedder = FakeEmbedder(256)
    names = [
        "医保卡丢了哪里去补办",
        "医保码怎么激活",
        "医保卡丢了哪里去补办",
        "家庭共济",
        "医保码怎么激活",
    ]
    names = names * 3  # chunks of one section or snippet share their title
    titles = TitleIndex.build(
        [list(t) for t in names], embedder.embed_queries(names), [f"k:{t}" for t in names]
    )
    n = len(names)
    assert titles.vectors.ntotal == 3 and len(titles.owner) == n
    per_row = np.stack([titles.vector_of(r) for r in range(n)])  # one vector per chunk again
    assert np.array_equal(per_row[0], per_row[2]) and not np.array_equal(per_row[0], per_row[1])
    flat = build_store(per_row, per_row.shape[1])
    query = embedder.embed_queries(["医保卡丢了去哪补"])[0]
    for k in (1, 3, 7, n, n + 5):
        full = sorted(search(flat, query, n), key=lambda item: (-item[1], item[0]))[:k]
        assert titles.dense_top(query, k) == full


def test_chunk_text_is_stored_once_and_rebuilt_from_its_document(tiny):
    folder = current_version(tiny.settings.index_dir)
    records = [json.loads(line) for line in (folder / "chunks.jsonl").open(encoding="utf-8")]
    assert records and not any({"text", "source", "kind", "date"} & set(rec) for rec in records)
    loaded = HybridIndex.load(tiny.settings.index_dir)
    docs = {d.doc_id: d for d in loaded.documents}
    for chunk, original in zip(loaded.chunks, tiny.index.chunks, strict=True):
        assert chunk.text == original.text == docs[chunk.doc_id].text[chunk.start : chunk.end]
        assert chunk == original and chunk.source == docs[chunk.doc_id].source


def _with(retriever, **overrides):
    return HybridRetriever(
        retriever.index, retriever.embedder, retriever.settings.model_copy(update=overrides)
    )


QUESTIONS = ("合肥居民医保网上缴费", "医保码怎么激活", "家庭共济绑定家人", "异地就医备案")


@pytest.mark.parametrize("question", QUESTIONS)
def test_helper_threads_change_no_hit(retriever, question):
    """Signals searched side by side (BM25 during the encode) rank exactly as one thread does."""
    alone = _with(retriever, search_threads=1).retrieve(question, top_k=10).hits
    helped = _with(retriever, search_threads=2, search_threads_min_chunks=0)
    assert helped._helpers() is not None
    helped = helped.retrieve(question, top_k=10).hits
    assert [(h.chunk.chunk_id, h.score, h.scores) for h in helped] == [
        (h.chunk.chunk_id, h.score, h.scores) for h in alone
    ]


def test_a_busy_helper_never_makes_a_retrieval_wait(retriever):
    """The only helper thread is blocked: the caller runs the signals itself and returns."""
    import threading

    busy = _with(retriever, search_threads=2, search_threads_min_chunks=0)
    pool = busy._helpers()
    assert pool is not None
    release = threading.Event()
    blocker = pool.submit(release.wait, 30)
    try:
        hits = busy.retrieve("医保码怎么激活", top_k=5).hits
        assert not blocker.done()  # the helper was busy the whole time
    finally:
        release.set()
    alone = _with(retriever, search_threads=1).retrieve("医保码怎么激活", top_k=5).hits
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in alone]
    assert set(hits[0].scores) >= {"dense", "bm25", "title_dense", "sentence_dense"}


def test_a_small_index_searches_in_the_callers_thread_only(retriever):
    assert len(retriever.store.chunks) < 10_000
    assert _with(retriever, search_threads=2)._helpers() is None  # the default threshold
    assert _with(retriever, search_threads=1, search_threads_min_chunks=0)._helpers() is None


# --- pooled piece search (YIBAO_PIECE_SEARCH=pool) ------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS)
def test_pooled_pieces_equal_the_global_search_when_the_pool_holds_every_chunk(retriever, question):
    """Every chunk in the pool (the passage signal returns all of them): the pooled piece
    ranking is the global one, and so are the hits."""
    n = len(retriever.store.chunks)
    everything = _with(retriever, piece_search="pool", piece_pool_k=n)
    glob = _with(retriever, piece_search="global")
    pooled, whole = everything.signals(question), glob.signals(question)
    assert len({r for r, _ in everything.signals(question, n)["dense"]}) == n
    assert [r for r, _ in pooled["sentence_dense"]] == [r for r, _ in whole["sentence_dense"]]
    assert [s for _, s in pooled["sentence_dense"]] == pytest.approx(
        [s for _, s in whole["sentence_dense"]], abs=1e-5
    )
    assert {k: v for k, v in pooled.items() if k != "sentence_dense"} == {
        k: v for k, v in whole.items() if k != "sentence_dense"
    }
    hits, want = everything.search(question, top_k=10), glob.search(question, top_k=10)
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in want]


def test_a_pooled_chunk_gets_its_best_piece_score_whichever_signal_found_it(retriever):
    """The pooled ranking holds only chunks another signal found, each with the score of its
    best piece (as the global search scores it); a chunk only BM25 found gets one too."""
    pooled = _with(retriever, piece_search="pool")
    n, k = len(retriever.store.chunks), retriever.settings.candidate_k
    lexical_only = 0
    for question in (*QUESTIONS, "门诊慢特病怎么申请", "医保卡丢了怎么补办"):
        signals = pooled.signals(question)
        others = {r for n, found in signals.items() if n != "sentence_dense" for r, _ in found}
        info = understand(question)
        vector = retriever.embedder.embed_queries([info.embedding_text or info.text])[0]
        best = dict(retriever.store.dense_top("piece", vector, n))  # every chunk's best piece
        ranked = signals["sentence_dense"]
        assert 0 < len(ranked) <= k and {r for r, _ in ranked} <= others
        for row, score in ranked:
            assert score == pytest.approx(best[row], abs=1e-5)
        kept = [best[r] for r in others if r in best]
        assert ranked[-1][1] >= sorted(kept, reverse=True)[min(k, len(kept)) - 1] - 1e-5
        dense = {r for name in ("dense", "title_dense") for r, _ in signals.get(name, [])}
        lexical_only += len({r for r, _ in ranked} - dense)
    assert lexical_only > 0  # some BM25-only candidates were scored by their pieces


@pytest.mark.parametrize(
    ("question", "figures"),
    [
        ("廊坊社保基数9700,养老保险个人一个月扣多少", {"9700"}),
        ("德州15800的基数,养老那块个人每月交多少", {"15800"}),
        ("2025年居民医保交多少", set()),  # a year singles nothing out
        ("社保交满15年了", set()),  # nor a two-digit count
    ],
)
def test_a_question_states_figures(question, figures):
    assert asked_figures(understand(question).text) == figures


def test_a_passage_stating_the_asked_figure_is_preferred_and_another_base_scored_down():
    asked = asked_figures("廊坊社保基数9700养老保险个人一个月扣多少")
    assert figure_affinity(asked, "河北廊坊社保基数9700每月交多少", "养老776元") == (True, False)
    assert figure_affinity(asked, "河北廊坊社保基数9500每个月扣多少", "9500×8%=760元") == (
        False,
        True,  # its title names another base
    )
    assert figure_affinity(asked, "社保缴费比例", "养老保险个人8%") == (False, False)
    assert figure_affinity(frozenset(), "河北廊坊社保基数9500", "") == (False, False)
