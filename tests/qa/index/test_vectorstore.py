"""Vector stores: exact below a size, HNSW from it, with recall against the exact scan."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index import vectorstore
from qa.index.vectorstore import (
    build_store,
    is_ann,
    ranges_of,
    read_store,
    recall_at,
    search,
    vector,
    write_store,
)

DIM = 32


def _unit(rows: int, seed: int) -> np.ndarray:
    """Random unit vectors: no two near-duplicates, so recall is well defined."""
    x = np.random.default_rng(seed).normal(size=(rows, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> np.ndarray:
    return _unit(3000, 1)


@pytest.fixture(autouse=True)
def keep_graphs(monkeypatch):
    """Graphs stay graphs here, whatever share of these few rows they visit (see
    ``test_a_graph_visiting_many_of_its_rows_is_replaced_by_the_exact_scan``)."""
    monkeypatch.setattr(vectorstore, "ANN_MAX_VISITED", float("inf"))


def test_a_graph_visiting_many_of_its_rows_is_replaced_by_the_exact_scan(corpus, monkeypatch):
    graph = build_store(corpus, DIM, bits=8, ann_min_rows=1)
    probes = _unit(64, 6)
    share = vectorstore.visited_share(graph, probes)
    assert share > 0 and vectorstore.visited_share(build_store(corpus, DIM, 8), probes) == 0
    graph.hnsw.efSearch *= 4  # a wider search visits more rows
    assert vectorstore.visited_share(graph, probes) > share
    monkeypatch.setattr(vectorstore, "ANN_MAX_VISITED", share / 2)
    flat = build_store(corpus, DIM, bits=8, ann_min_rows=1, probes=probes)
    assert not is_ann(flat) and flat.ntotal == len(corpus)
    exact = build_store(corpus, DIM, bits=8)  # the same codes as the flat twin
    assert np.array_equal(ranges_of(flat), ranges_of(exact))
    for query in _unit(5, 7):
        assert search(flat, query, 30) == search(exact, query, 30)
    monkeypatch.setattr(vectorstore, "ANN_MAX_VISITED", float("inf"))
    assert is_ann(build_store(corpus, DIM, bits=8, ann_min_rows=1, probes=probes))


def test_the_kind_of_store_is_chosen_by_its_size(corpus):
    assert not is_ann(build_store(corpus[:999], DIM, ann_min_rows=1000))
    assert is_ann(build_store(corpus[:1000], DIM, ann_min_rows=1000))
    assert vectorstore.ANN_MIN_ROWS > 1000  # the seeds' few hundred rows stay exact


@pytest.mark.parametrize("bits", [16, 8])
def test_hnsw_recall_at_30_against_the_exact_scan_reaches_the_target(corpus, bits):
    store = build_store(corpus, DIM, bits=bits, ann_min_rows=1)
    queries = _unit(100, 2)  # not rows of the store
    assert recall_at(store, queries, 30) >= 0.98  # tuned to 0.99 on 64 probes: sampling noise
    assert store.hnsw.efSearch >= 2 * vectorstore.ANN_K  # chosen by calibration
    # the efSearch floor alone would miss some: the calibration is doing work
    assert recall_at(store, queries, 30, ef=8) < recall_at(store, queries, 30)


def test_a_flat_store_is_exact(corpus):
    store = build_store(corpus[:500], DIM)
    query = _unit(1, 3)[0]
    best = int(np.argmax(corpus[:500] @ query))
    assert search(store, query, 1)[0][0] == best
    assert recall_at(store, _unit(5, 4), 30) == 1.0


@pytest.mark.parametrize("bits", [16, 8])
def test_an_hnsw_store_round_trips_memory_mapped(corpus, bits, tmp_path):
    store = build_store(corpus, DIM, bits=bits, ann_min_rows=1)
    write_store(store, tmp_path / "s.faiss")
    loaded = read_store(tmp_path / "s.faiss")
    assert is_ann(loaded) and loaded.ntotal == len(corpus)
    assert loaded.hnsw.efSearch == store.hnsw.efSearch  # the calibration is saved
    query = _unit(1, 5)[0]
    assert search(loaded, query, 30) == search(store, query, 30)
    assert search(loaded, corpus[17], 1)[0][0] == 17
    tolerance = 1e-2 if bits == 8 else 1e-3
    assert np.abs(vector(loaded, 17) - corpus[17]).max() < tolerance


def test_fp16_codes_round_trip_exactly(corpus):
    """Reused vectors must not drift across ingestions: decode → encode → decode is stable."""
    store = build_store(corpus[:200].astype(np.float16), DIM)
    again = build_store(np.stack([vector(store, i) for i in range(200)]), DIM)
    assert all(np.array_equal(vector(store, i), vector(again, i)) for i in range(200))


@pytest.mark.parametrize("ann_min_rows", [10**9, 1])
def test_8bit_codes_do_not_drift_when_the_previous_ranges_are_kept(corpus, ann_min_rows):
    store = build_store(corpus, DIM, bits=8, ann_min_rows=ann_min_rows)
    decoded = np.stack([vector(store, i) for i in range(len(corpus))]).astype(np.float16)
    kept = build_store(decoded, DIM, bits=8, ann_min_rows=ann_min_rows, ranges=ranges_of(store))
    assert np.array_equal(ranges_of(kept), ranges_of(store))
    assert all(np.array_equal(vector(kept, i), vector(store, i)) for i in range(0, 3000, 7))
    wider = build_store(corpus * 1.5, DIM, bits=8, ranges=ranges_of(store))  # does not fit
    assert not np.array_equal(ranges_of(wider), ranges_of(store))
    assert ranges_of(build_store(corpus, DIM)) is None  # fp16 has no ranges


@pytest.mark.parametrize("bits", [8, 16])
def test_a_big_flat_store_is_searched_as_integers_with_the_same_results(
    corpus, bits, tmp_path, monkeypatch
):
    """From INTEGER_SCAN_MIN_ROWS rows a flat store is read as an IntegerScan: the same top k
    and scores as the plain scan (random unit vectors: no ties), vectors and files unchanged."""
    monkeypatch.setattr(vectorstore, "INTEGER_SCAN_MIN_ROWS", 1000)
    store = build_store(corpus, DIM, bits=bits)
    write_store(store, tmp_path / "s.faiss")
    loaded = read_store(tmp_path / "s.faiss")
    assert isinstance(loaded, vectorstore.IntegerScan) and not is_ann(loaded)
    assert loaded.ntotal == len(corpus) and loaded.d == DIM
    for seed in range(20):
        query = _unit(1, 100 + seed)[0]
        plain, integer = search(store, query, 30), search(loaded, query, 30)
        assert [r for r, _ in integer] == [r for r, _ in plain]
        assert np.allclose([s for _, s in integer], [s for _, s in plain], atol=1e-5)
    assert np.array_equal(vector(loaded, 17), vector(store, 17))
    if bits == 8:  # a later ingestion keeps the ranges of the wrapped store
        assert np.array_equal(ranges_of(loaded), ranges_of(store))
    else:
        assert ranges_of(loaded) is None
    write_store(loaded, tmp_path / "again.faiss")  # written as the store it wraps
    assert (tmp_path / "again.faiss").read_bytes() == (tmp_path / "s.faiss").read_bytes()


def test_a_small_store_is_read_as_it_was_written(corpus, tmp_path):
    store = build_store(corpus[:500], DIM, bits=8)
    write_store(store, tmp_path / "s.faiss")
    assert not isinstance(read_store(tmp_path / "s.faiss"), vectorstore.IntegerScan)


def _recall(found: list[tuple[int, float]], exact: list[tuple[int, float]]) -> float:
    return len({r for r, _ in found} & {r for r, _ in exact}) / len(exact)


@pytest.mark.parametrize("bits", [8, 16])
def test_a_store_written_with_a_prefilter_scans_it_first_and_scores_exactly(corpus, bits, tmp_path):
    """A store of prefilter_min_rows rows gets a fast-scan file beside it; read back, the
    integer scan reads only the rows the prefilter finds: recall@10 of the exact top 10 stays
    ≥ 0.99 and every score returned is the row's exact one."""
    store = build_store(corpus, DIM, bits=bits)
    write_store(store, tmp_path / "s.faiss", prefilter_min_rows=len(corpus))
    side = tmp_path / "s.faiss.fastscan"
    assert side.exists() and side.stat().st_size < (tmp_path / "s.faiss").stat().st_size
    loaded = read_store(tmp_path / "s.faiss")
    assert isinstance(loaded, vectorstore.IntegerScan) and loaded.prefilter is not None
    recalls = []
    for seed in range(40):
        query = _unit(1, 200 + seed)[0]
        found, exact = search(loaded, query, 10), search(store, query, 10)
        recalls.append(_recall(found, exact))
        assert all(abs(s - float(vector(store, r) @ query)) < 1e-5 for r, s in found)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert np.mean(recalls) >= 0.99
    write_store(loaded, tmp_path / "again.faiss")  # no prefilter asked: none written
    assert not (tmp_path / "again.faiss.fastscan").exists()


def test_a_store_below_the_prefilter_size_gets_none(corpus, tmp_path):
    write_store(build_store(corpus, DIM, bits=8), tmp_path / "s.faiss", len(corpus) + 1)
    assert not (tmp_path / "s.faiss.fastscan").exists()
    graph = build_store(corpus, DIM, bits=8, ann_min_rows=1)  # a graph needs no prefilter
    write_store(graph, tmp_path / "g.faiss", prefilter_min_rows=1)
    assert not (tmp_path / "g.faiss.fastscan").exists()


def test_a_prefilter_of_other_rows_is_refused_on_reading(corpus, tmp_path):
    """A prefilter left from another store (here: fewer rows) never answers for this one."""
    write_store(build_store(corpus[:2000], DIM, bits=8), tmp_path / "old.faiss", 1)
    write_store(build_store(corpus, DIM, bits=8), tmp_path / "s.faiss")
    (tmp_path / "old.faiss.fastscan").rename(tmp_path / "s.faiss.fastscan")
    with pytest.raises(ValueError, match="fastscan"):
        read_store(tmp_path / "s.faiss")
