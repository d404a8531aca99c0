"""Unit vectors kept as faiss inner-product indexes, memory-mapped on load, exact or HNSW by size.

Passages, titles and sentence pieces each live in one faiss index, chosen by its row count:

- below ``ANN_MIN_ROWS`` rows, an exact ``IndexScalarQuantizer`` (a flat scan of the codes —
  faster than any graph at this size, and exact);
- from ``ANN_MIN_ROWS`` rows, an ``IndexHNSWSQ`` graph (approximate). Its search breadth
  (``efSearch``) is chosen when it is built: the smallest power of two whose recall@30 against
  the exact scan of the same codes reaches ``ANN_RECALL`` on a sample of the stored vectors
  used as queries (:func:`calibrate`); it is saved with the index. A graph that needs to
  compute distances to more than ``ANN_MAX_VISITED`` of its rows per query at that breadth
  (:func:`visited_share`) is hardly faster than the exact scan, so the exact scan of the
  same codes is kept instead (near-random vectors, e.g. the fake embedder's at 100k rows).

Codes are ``QT_fp16`` (exact round trip: decode → encode gives the same codes, so vectors
reused by a later ingestion do not drift) or, with ``bits=8``, ``QT_8bit`` (per-dimension
ranges: half the bytes again).

From ``INTEGER_SCAN_MIN_ROWS`` rows a flat store is read as an ``IntegerScan``
(``qa.stores.integer_scan``: the same rows as 8-bit integers, scanned 2.3× faster at 100k rows
for a pool the store then scores exactly; the top 30 differ from the plain scan's only by rows
tied with the 30th score on the README's 100k benchmark). Searches use one OpenMP thread (a
team's spinning threads cost a lot when the other core is busy); stores are memory-mapped
(``IO_FLAG_MMAP | IO_FLAG_MMAP_IFC``): codes and graph stay in the page cache. Passage and
title stores of ``PREFILTER_MIN_ROWS`` rows or more are written with a fast-scan prefilter
(:func:`write_store`), which the integer scan reads first.

Example:
    >>> store = build_store(vectors, dim=384)
    >>> search(store, query_vector, k=5)
    [(12, 0.91), (3, 0.88), …]
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from qa.stores.integer_scan import (
    IntegerScan,
    integer_scan,
    prefilter_path,
    write_prefilter,
)

Store = Any  # a faiss.IndexScalarQuantizer or faiss.IndexHNSWSQ

logger = logging.getLogger(__name__)
_thread = threading.local()  # per thread: whether its OpenMP team is set to one thread

_ADD_ROWS = 16_384  # rows converted to float32 at a time while building
ANN_MIN_ROWS = 50_000  # from this many rows a store is an HNSW graph (below, a flat scan is faster)
ANN_M = 24  # HNSW links per node (level 0 has 2 × M)
ANN_EF_CONSTRUCTION = 100
ANN_RECALL = 0.99  # recall@ANN_K on the probes (vs the exact scan) that efSearch must reach
ANN_K = 30  # = the default candidate_k: the depth each signal is fused at
ANN_PROBES = 64  # sample queries for the calibration
ANN_MAX_EF = 2048
INTEGER_SCAN_MIN_ROWS = 10_000  # flat stores this big are searched as integers (IntegerScan)
ANN_MAX_VISITED = 0.05  # a graph computing more distances than this share of rows: flat
VECTOR_BITS = 8  # passage and piece stores (titles: titles.TITLE_BITS): dev answers unchanged


def _quantizer(bits: int) -> int:
    import faiss

    return faiss.ScalarQuantizer.QT_8bit if bits == 8 else faiss.ScalarQuantizer.QT_fp16


def _rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)


def build_store(
    vectors: np.ndarray,
    dim: int,
    bits: int = 16,
    ann_min_rows: int | None = None,
    probes: np.ndarray | None = None,
    ranges: np.ndarray | None = None,
) -> Store:
    """An inner-product index over ``vectors`` (rows in order): flat below ``ann_min_rows``
    (default ``ANN_MIN_ROWS``) rows, else HNSW with ``efSearch`` calibrated on ``probes``
    (query-like vectors, e.g. titles embedded as queries; default: see :func:`calibrate`).
    ``ranges``: 8-bit ranges to keep (:func:`ranges_of` the previous store)."""
    import faiss

    threshold = ANN_MIN_ROWS if ann_min_rows is None else ann_min_rows
    sq: Any = _quantizer(bits)
    store: Store
    if len(vectors) < threshold:
        store = faiss.IndexScalarQuantizer(dim, sq, faiss.METRIC_INNER_PRODUCT)
    else:
        store = faiss.IndexHNSWSQ(dim, sq, ANN_M, faiss.METRIC_INNER_PRODUCT)
        store.hnsw.efConstruction = ANN_EF_CONSTRUCTION
    if not store.is_trained:  # 8-bit codes: per-dimension ranges
        _set_ranges(store, vectors, dim, ranges)
    for start in range(0, len(vectors), _ADD_ROWS):  # float32 one slice at a time
        store.add(_rows(vectors[start : start + _ADD_ROWS], dim))
    if is_ann(store):
        store.hnsw.efSearch = calibrate(store, vectors, dim, probes)
        share = visited_share(store, _probe_queries(vectors, dim, probes))
        if share > ANN_MAX_VISITED:  # slower than the exact scan it approximates
            logger.info("hnsw rows=%d visits %.3f of them per query: flat", store.ntotal, share)
            return _flat_copy(store, vectors, dim)
    return store


def _flat_copy(store: Store, vectors: np.ndarray, dim: int) -> Store:
    """The exact index of ``store``'s codes (same quantizer and ranges, rows in order)."""
    import faiss

    codes: Any = _flat_of(store)
    flat = faiss.IndexScalarQuantizer(dim, codes.sq.qtype, faiss.METRIC_INNER_PRODUCT)
    faiss.copy_array_to_vector(faiss.vector_to_array(codes.sq.trained), flat.sq.trained)
    flat.is_trained = True
    for start in range(0, len(vectors), _ADD_ROWS):
        flat.add(_rows(vectors[start : start + _ADD_ROWS], dim))
    return flat


def visited_share(store: Store, queries: np.ndarray) -> float:
    """Distances an HNSW search at its ``efSearch`` computes per query of ``queries``, as a
    share of the rows (faiss's count, upper levels included: above 1 on a tiny graph; 0.0
    for a flat store). A graph's distance costs about eight of a flat scan's (random access;
    measured at 100k rows, README "Benchmark"): from ``ANN_MAX_VISITED`` (5%) the graph saves
    at most ~60% of the exact scan's time, and the exact scan is kept instead."""
    import faiss

    if not is_ann(store) or not len(queries):
        return 0.0
    stats = _lib(faiss).cvar.hnsw_stats
    stats.reset()
    _search_many(store, queries, min(ANN_K, store.ntotal), store.hnsw.efSearch)
    return float(stats.ndis) / len(queries) / max(store.ntotal, 1)


def _set_ranges(store: Store, vectors: np.ndarray, dim: int, ranges: np.ndarray | None) -> None:
    """Train 8-bit codes: ``ranges`` (``[vmin…, vdiff…]`` of a previous store) when every
    vector fits them — decoded vectors then encode to the same codes, so vectors reused
    across ingestions do not drift — else each dimension's min and max over all rows."""
    import faiss

    low = np.full(dim, np.inf, dtype=np.float32)
    high = np.full(dim, -np.inf, dtype=np.float32)
    for start in range(0, len(vectors), _ADD_ROWS):
        part = _rows(vectors[start : start + _ADD_ROWS], dim)
        low, high = np.minimum(low, part.min(axis=0)), np.maximum(high, part.max(axis=0))
    fits = ranges is not None and ranges.shape == (2 * dim,)
    if (
        ranges is not None and fits and len(vectors)
    ):  # a decoded code lies up to half a step past its range
        step = ranges[dim:] / 255
        below, above = ranges[:dim] - step, ranges[:dim] + ranges[dim:] + step
        fits = bool(np.all(low >= below) and np.all(high <= above))
    if fits and ranges is not None:
        trained = np.asarray(ranges, dtype=np.float32)
    else:
        if not len(vectors):
            low, high = np.zeros(dim, np.float32), np.ones(dim, np.float32)
        trained = np.concatenate([low, np.maximum(high - low, 1e-6)]).astype(np.float32)
    flat: Store = faiss.downcast_index(store.storage) if is_ann(store) else store
    faiss.copy_array_to_vector(trained, flat.sq.trained)
    flat.is_trained = True
    store.is_trained = True


def ranges_of(store: Store | None) -> np.ndarray | None:
    """The trained ``[vmin…, vdiff…]`` of an 8-bit store (None for fp16 or no store)."""
    import faiss

    if store is None:
        return None
    flat: Store = faiss.downcast_index(store.storage) if is_ann(store) else store
    if flat.sq.qtype != faiss.ScalarQuantizer.QT_8bit:
        return None
    return faiss.vector_to_array(flat.sq.trained).astype(np.float32)


def _lib(module: Any) -> Any:
    """faiss as ``Any``: its type stubs lack the HNSW search parameters."""
    return module


def is_ann(store: Store) -> bool:
    """Whether ``store`` is an approximate (HNSW) index."""
    return hasattr(store, "hnsw")


def _flat_of(store: Store) -> Store:
    """The exact index inside an HNSW ``store``: a flat scan of the same codes."""
    import faiss

    return faiss.downcast_index(store.storage)


def recall_at(store: Store, queries: np.ndarray, k: int, ef: int | None = None) -> float:
    """Share of the exact top ``k`` (same codes, flat scan) that ``store`` finds for
    ``queries``; 1.0 for a flat store."""
    if not is_ann(store) or not len(queries):
        return 1.0
    k = min(k, store.ntotal)
    _, truth = _flat_of(store).search(queries, k)
    found = _search_many(store, queries, k, ef or store.hnsw.efSearch)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(truth, found, strict=True)]))


def _search_many(store: Store, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
    import faiss

    params = _lib(faiss).SearchParametersHNSW()
    params.efSearch = max(ef, k)
    return store.search(queries, k, params=params)[1]


def calibrate(store: Store, vectors: np.ndarray, dim: int, probes: np.ndarray | None = None) -> int:
    """The smallest ``efSearch`` (from 2 × ``ANN_K``, growing by half) reaching
    ``ANN_RECALL`` at ``ANN_K`` for ``probes`` (at most ``ANN_PROBES`` of them); without
    probes, each query is the normalised sum of two stored vectors (between rows: harder
    than a row itself). ``ANN_MAX_EF`` at most."""
    queries = _probe_queries(vectors, dim, probes)
    ef = 2 * ANN_K
    while True:
        recall = recall_at(store, queries, ANN_K, ef)
        if recall >= ANN_RECALL or ef >= ANN_MAX_EF:
            logger.info("hnsw rows=%d efSearch=%d recall@%d=%.3f", store.ntotal, ef, ANN_K, recall)
            return ef
        ef = min(ef * 3 // 2, ANN_MAX_EF)


def _probe_queries(vectors: np.ndarray, dim: int, probes: np.ndarray | None) -> np.ndarray:
    """At most ``ANN_PROBES`` of ``probes`` (unit rows), or normalised sums of two stored
    vectors when there are none; the same ones on each call."""
    rng = np.random.default_rng(0)
    if probes is not None and len(probes):
        picked = rng.choice(len(probes), min(ANN_PROBES, len(probes)), replace=False)
        queries = _rows(probes[np.sort(picked)], dim)
    else:
        pairs = rng.integers(0, len(vectors), size=(ANN_PROBES, 2))
        queries = _rows(vectors[pairs[:, 0]], dim) + _rows(vectors[pairs[:, 1]], dim)
    return queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)


def search(store: Store, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` rows with the highest inner product with ``query``, best first."""
    import faiss

    k = min(k, store.ntotal)
    if k <= 0:
        return []
    if not getattr(_thread, "single", False):  # once per thread: each call may wait for the GIL
        faiss.omp_set_num_threads(1)  # this thread's team: one query needs none
        _thread.single = True
    q = np.asarray(query, dtype=np.float32).reshape(1, -1)
    if isinstance(store, IntegerScan):
        return store.search_exact(q[0], k)
    if is_ann(store):
        params = _lib(faiss).SearchParametersHNSW()
        params.efSearch = max(store.hnsw.efSearch, k)
        scores, rows = store.search(q, k, params=params)
    else:
        scores, rows = store.search(q, k)
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def vector(store: Store, row: int) -> np.ndarray:
    """Row ``row`` decoded to float32."""
    out = np.empty(store.d, dtype=np.float32)
    store.reconstruct(row, out)
    return out


def write_store(store: Store, path: Path, prefilter_min_rows: int | None = None) -> None:
    """Write ``store`` to ``path``; a flat one of ``prefilter_min_rows`` rows or more (None:
    never) with its fast-scan prefilter beside it (``qa.stores.integer_scan``)."""
    import faiss

    plain = store.store if isinstance(store, IntegerScan) else store
    faiss.write_index(plain, str(path))
    if prefilter_min_rows is not None and not is_ann(plain) and plain.ntotal >= prefilter_min_rows:
        write_prefilter(plain, path)


def read_store(path: Path) -> Store:
    """Read a store memory-mapped (codes and graph stay in the page cache, not in this
    process); a big flat one as an :class:`IntegerScan` (see the module docstring)."""
    import faiss

    store = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_MMAP_IFC)
    small = store.ntotal < INTEGER_SCAN_MIN_ROWS and not prefilter_path(path).exists()
    if small or is_ann(store):
        return store  # a graph's time goes to memory access: integer distances were slower
    return integer_scan(store, path) or store
