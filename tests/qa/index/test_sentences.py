"""Sentence pieces: the global best-piece search and the pooled one (``pool_top``)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index import vectorstore
from qa.index.sentences import SentenceIndex
from qa.index.vectorstore import is_ann, read_store, write_store
from qa.stores.integer_scan import row_scorer

DIM = 16


def _unit(rows: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _index(vectors: np.ndarray, owners: list[int], **kwargs) -> SentenceIndex:
    spans = [(row, 0, 1) for row in owners]
    return SentenceIndex.build(vectors, spans, [f"k{i}" for i in range(len(owners))], **kwargs)


def _exact_best(vectors: np.ndarray, owners: list[int], query: np.ndarray) -> dict[int, float]:
    best: dict[int, float] = {}
    for piece, row in enumerate(owners):
        best[row] = max(best.get(row, -2.0), float(vectors[piece] @ query))
    return best


def test_a_pooled_chunk_gets_the_score_of_its_best_piece():
    """Chunk 2's third piece is the query itself: in the pool, chunk 2 ranks first with that
    piece's score, not its other pieces'; chunks outside the pool are not ranked."""
    vectors = _unit(12, 0)
    owners = [0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 4, 5]
    query = vectors[7]  # chunk 2's last piece
    index = _index(vectors, owners)
    ranked = index.pool_top(query, [4, 2, 0, 2], k=10)
    assert [row for row, _ in ranked][0] == 2 and {row for row, _ in ranked} == {0, 2, 4}
    exact = _exact_best(vectors, owners, query)
    for row, score in ranked:  # 8-bit codes: close to the float vectors' best piece
        assert score == pytest.approx(exact[row], abs=0.03)
    assert ranked[0][1] == pytest.approx(1.0, abs=0.03)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert index.pool_top(query, [4, 2, 0], k=1) == ranked[:1]


def test_pooled_scores_equal_the_global_search_when_the_pool_holds_every_chunk():
    vectors = _unit(60, 1)
    owners = sorted(np.random.default_rng(2).integers(0, 20, size=60).tolist())
    index = _index(vectors, owners)
    for query in _unit(5, 3):
        everything = index.pool_top(query, range(20), k=8)
        best = index.best_top(query, 8)
        assert [r for r, _ in everything] == [r for r, _ in best]
        assert [s for _, s in everything] == pytest.approx([s for _, s in best], abs=1e-5)


def test_pieces_out_of_chunk_order_and_rows_without_pieces():
    """Spans not grouped by chunk still find each chunk's pieces; a pooled row without pieces
    (or past the last chunk with any) is left out, not an error."""
    vectors = _unit(6, 4)
    owners = [3, 0, 3, 1, 0, 3]
    index = _index(vectors, owners)
    query = vectors[5]
    ranked = index.pool_top(query, [0, 1, 2, 3, 99], k=5)
    assert [row for row, _ in ranked][0] == 3 and {row for row, _ in ranked} == {0, 1, 3}
    exact = _exact_best(vectors, owners, query)
    assert dict(ranked) == pytest.approx({r: exact[r] for r, _ in ranked}, abs=0.03)
    assert index.pool_top(query, [], k=5) == [] and index.pool_top(query, [2], k=5) == []


def test_a_graph_store_and_an_integer_scan_are_read_by_row_too(tmp_path, monkeypatch):
    """Pooled scores do not depend on how the pieces are stored: HNSW (its codes under the
    graph), flat, or a big flat store read back as an integer scan."""
    monkeypatch.setattr(vectorstore, "ANN_MAX_VISITED", float("inf"))
    monkeypatch.setattr(vectorstore, "INTEGER_SCAN_MIN_ROWS", 100)
    vectors = _unit(400, 5)
    owners = [i // 4 for i in range(400)]
    flat = _index(vectors, owners, graph=True)  # below ANN_MIN_ROWS: flat anyway
    monkeypatch.setattr(vectorstore, "ANN_MIN_ROWS", 100)  # a graph from 100 rows on
    graph = _index(vectors, owners, graph=True)
    no_graph = _index(vectors, owners, graph=False)
    assert is_ann(graph.vectors) and not is_ann(no_graph.vectors) and not is_ann(flat.vectors)
    write_store(no_graph.vectors, tmp_path / "pieces.faiss")
    scan = SentenceIndex(read_store(tmp_path / "pieces.faiss"), flat.spans, flat.keys)
    assert type(scan.vectors).__name__ == "IntegerScan"
    pool = range(0, 100, 3)
    for query in _unit(3, 6):
        want = flat.pool_top(query, pool, k=10)
        for other in (graph, no_graph, scan):
            got = other.pool_top(query, pool, k=10)
            assert [r for r, _ in got] == [r for r, _ in want]
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


@pytest.mark.parametrize("bits", [8, 16])
def test_row_scores_equal_the_decoded_vectors_products(bits):
    """8-bit codes are scored in place (folded ranges), fp16 ones decoded by faiss: both give
    the products of the rows faiss decodes with the query."""
    vectors = _unit(50, 7)
    store = vectorstore.build_store(vectors, DIM, bits=bits)
    rows, query = np.array([49, 0, 7, 7, 23]), _unit(1, 8)[0]
    decoded = np.stack([vectorstore.vector(store, int(r)) for r in rows])
    assert row_scorer(store)(rows, query) == pytest.approx(decoded @ query, abs=1e-5)
    if bits == 8:  # the 8-bit codes differ from the floats (so the test above can fail)
        assert np.abs(decoded @ query - vectors[rows] @ query).max() > 1e-5
