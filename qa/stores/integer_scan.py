"""Integer scans: a flat faiss store searched through signed 8-bit codes of its rows.

An 8-bit store (``QT_8bit``, per-dimension ranges) is read a second time, memory-mapped, and
its bytes reinterpreted as ``QT_8bit_direct_signed`` (``c − 128``); an fp16 store gets 8-bit
codes of its rows made once in memory. faiss's integer kernel scans them with the query
rounded to 8 bits (2.3× faster than decoding ranges at 100k rows) for a pool of
``POOL_FACTOR × k`` rows, which the store itself then scores exactly. A code ``c`` decodes to
``vmin + (c + ½) · vdiff / 255``, so ``Σ (q · vdiff / 255) c`` ranks rows as ``q · x̂``
does: only the query's (and, for fp16 rows, the codes') rounding can move a row, past 3k
others to be lost. Read by ``qa.index.vectorstore.read_store``; searched by its ``search``.

:func:`row_scorer` scores rows chosen by number (the pooled piece search) from the same 8-bit
codes viewed in place as a numpy array: ``c · (q ∘ step) + q · (vmin + step/2)``, 0.03 ms for
410 rows of 384 dimensions where faiss's ``reconstruct_batch`` (one decode per row) took 1.2 ms.

A store of ``PREFILTER_MIN_ROWS`` rows or more is written with a **prefilter** beside it
(``<file>.fastscan``, :func:`write_prefilter`): faiss's ``IndexPQFastScan``, 192 sub-quantizers
of 4 bits (96 bytes per row: a quarter of the 8-bit codes, so a scan right after the query
encode has evicted the caches reads 10 MB instead of 38 at 100k rows). The integer scan then
reads only the ``PREFILTER_POOL × k`` rows it finds (README "Benchmark": recall@30 0.992 of
the passages' and 0.998 of the titles' exact top 30 at 103,264 chunks of near-random fake
vectors).

Example:
    >>> scan = integer_scan(store, path)  # None for a store without codes for it
    >>> scan.search_exact(query_vector, 30)[:2]
    [(12, 0.91), (3, 0.88)]
    >>> row_scorer(store)(np.array([3, 17]), query_vector)
    array([0.88, 0.41], dtype=float32)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

RowScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (rows, query) → scores
POOL_FACTOR = 4  # candidates of the integer scan per row asked
PREFILTER_MIN_ROWS = 50_000  # a store this big is written with a fast-scan prefilter
PREFILTER_SUFFIX = ".fastscan"
PREFILTER_DIMS = 2  # dimensions per 4-bit sub-quantizer (192 of them at 384 dimensions)
PREFILTER_POOL = 40  # prefilter candidates per row asked (then the integer scan, then exact)
_TRAIN_ROWS = 65_536  # rows sampled to train the prefilter's sub-quantizers
_SLICE = 16_384  # rows decoded at a time while quantizing an fp16 store


@dataclass(frozen=True)
class IntegerScan:
    """A flat store searched through signed 8-bit integer codes of its rows.

    Attributes:
        store: The store as written (scores the pool exactly; any other attribute is its).
        codes: The same rows as a flat ``QT_8bit_direct_signed`` store.
        step: ``vdiff / 255`` of the codes' per-dimension ranges.
        prefilter: An ``IndexPQFastScan`` of the same rows, or None (every row is scanned).
        view: The integer codes as a ``(rows, d)`` uint8 array (with a prefilter).
    """

    store: Any
    codes: Any
    step: np.ndarray
    prefilter: Any = None
    view: np.ndarray | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def search_exact(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The exact top ``k`` of the pool the integer scan finds (best first, ties by row)."""
        folded = query * self.step  # ranks rows as q · x̂ does (the offset term is constant)
        pool = min(POOL_FACTOR * k, self.codes.ntotal)
        if self.prefilter is not None and self.view is not None:
            wide = min(PREFILTER_POOL * k, self.codes.ntotal)
            _, found = self.prefilter.search(query.reshape(1, -1).astype(np.float32), wide)
            rows = found[0][found[0] >= 0]
            coarse = self.view[rows].astype(np.float32) @ folded  # a code is its byte − 128
            if len(rows) > pool:
                rows = rows[np.argpartition(-coarse, pool - 1)[:pool]]
        else:
            peak = float(np.abs(folded).max()) or 1.0
            rounded = np.rint(folded * (127 / peak)).astype(np.float32).reshape(1, -1)
            _, found = self.codes.search(rounded, pool)
            rows = found[0][found[0] >= 0]
        scores = self.store.reconstruct_batch(rows) @ query  # exact, in two C calls
        order = np.lexsort((rows, -scores))[:k]
        return [(int(rows[i]), float(scores[i])) for i in order]


def integer_scan(store: Any, path: Path) -> IntegerScan | None:
    """``store`` (flat, read from ``path``) as an :class:`IntegerScan`, or None when its codes
    are neither 8-bit nor fp16; with the prefilter written beside ``path`` if there is one.

    Raises:
        ValueError: The prefilter does not hold ``store``'s rows.
    """
    import faiss

    qtype = store.sq.qtype
    scan: IntegerScan
    if qtype == faiss.ScalarQuantizer.QT_8bit:  # its own bytes, through a second map
        codes: Any = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_MMAP_IFC)
        codes.sq.qtype = faiss.ScalarQuantizer.QT_8bit_direct_signed
        trained = faiss.vector_to_array(store.sq.trained)
        scan = IntegerScan(store, codes, (trained[store.d :] / 255).astype(np.float32))
    elif qtype == faiss.ScalarQuantizer.QT_fp16:
        scan = _quantized(store)
    else:
        return None
    side = prefilter_path(path)
    if not side.exists():
        return scan
    prefilter = faiss.read_index(str(side))
    if prefilter.ntotal != store.ntotal or prefilter.d != store.d:
        raise ValueError(f"{side.name}: {prefilter.ntotal} × {prefilter.d} ≠ {store.ntotal}")
    return replace(scan, prefilter=prefilter, view=_code_view(scan.codes))


def prefilter_path(path: Path) -> Path:
    """Where the prefilter of the store at ``path`` is written."""
    return path.with_name(path.name + PREFILTER_SUFFIX)


def write_prefilter(store: Any, path: Path) -> None:
    """Write the fast-scan prefilter of flat ``store`` beside ``path`` (its sub-quantizers
    trained on at most ``_TRAIN_ROWS`` rows, a fixed sample)."""
    import faiss

    d, n = store.d, store.ntotal
    m = d // PREFILTER_DIMS if d % PREFILTER_DIMS == 0 else d
    prefilter = faiss.IndexPQFastScan(d, m, 4, faiss.METRIC_INNER_PRODUCT)
    sample = np.sort(np.random.default_rng(0).choice(n, min(n, _TRAIN_ROWS), replace=False))
    prefilter.train(np.asarray(store.reconstruct_batch(sample.astype(np.int64)), np.float32))
    for start in range(0, n, _SLICE):
        prefilter.add(store.reconstruct_n(start, min(_SLICE, n - start)))
    faiss.write_index(prefilter, str(prefilter_path(path)))
    logger.info("prefilter written rows=%d bytes=%d", n, prefilter_path(path).stat().st_size)


def _code_view(codes: Any) -> np.ndarray:
    """The codes of a flat 8-bit store as a ``(rows, d)`` uint8 array over its memory (the
    array does not hold the store: its owner must outlive it)."""
    import faiss

    view = faiss.rev_swig_ptr(codes.codes.data(), codes.ntotal * codes.code_size)
    return view.reshape(codes.ntotal, codes.code_size)


def _quantized(store: Any) -> IntegerScan:
    """An fp16 ``store`` with 8-bit codes of its rows (faiss's encoding:
    ``c = ⌊255 · (x − vmin) / vdiff⌋``, kept as ``c − 128``)."""
    import faiss

    d, n = store.d, store.ntotal
    low = np.full(d, np.inf, dtype=np.float32)
    high = np.full(d, -np.inf, dtype=np.float32)
    for start in range(0, n, _SLICE):
        part = store.reconstruct_n(start, min(_SLICE, n - start))
        low, high = np.minimum(low, part.min(axis=0)), np.maximum(high, part.max(axis=0))
    diff = np.maximum(high - low, 1e-6)
    codes = faiss.IndexScalarQuantizer(
        d, faiss.ScalarQuantizer.QT_8bit_direct_signed, faiss.METRIC_INNER_PRODUCT
    )
    for start in range(0, n, _SLICE):
        part = store.reconstruct_n(start, min(_SLICE, n - start))
        codes.add(np.floor(255 * np.clip((part - low) / diff, 0.0, 1.0)) - 128)
    logger.debug("integer codes made for an fp16 store rows=%d", n)
    return IntegerScan(store, codes, (diff / 255).astype(np.float32))


def row_scorer(store: Any) -> RowScorer:
    """A function scoring rows of ``store`` (flat, HNSW or :class:`IntegerScan`) against a
    query exactly: an 8-bit store's codes read in place (a code ``c`` decodes to
    ``vmin + (c + ½) · step``), others decoded by faiss. The function holds ``store``, whose
    memory it reads."""
    import faiss

    plain = store.store if isinstance(store, IntegerScan) else store
    flat: Any = faiss.downcast_index(plain.storage) if hasattr(plain, "hnsw") else plain
    if flat.sq.qtype != faiss.ScalarQuantizer.QT_8bit or not flat.ntotal:
        return lambda rows, query: _decoded(flat, rows) @ np.asarray(query, np.float32)
    codes = _code_view(flat)
    trained = faiss.vector_to_array(flat.sq.trained).astype(np.float32)
    step = trained[flat.d :] / 255
    middle = trained[: flat.d] + step / 2

    def score(rows: np.ndarray, query: np.ndarray, _owner: Any = store) -> np.ndarray:
        q = np.asarray(query, np.float32)
        return codes[rows].astype(np.float32) @ (q * step) + np.float32(q @ middle)

    return score


def _decoded(flat: Any, rows: np.ndarray) -> np.ndarray:
    if not len(rows):
        return np.zeros((0, flat.d), dtype=np.float32)
    return np.asarray(flat.reconstruct_batch(np.asarray(rows, dtype=np.int64)))
