"""BM25 on Milvus computed with the project's own tokens and bm25s statistics, client-side.

bm25s (the local store) precomputes ``score(t, d) = idf(t) · tfc(t, d)`` (Lucene variant:
``idf = ln(1 + (N − df + 0.5) / (df + 0.5))``, ``tfc = tf / (tf + k1·(1 − b + b·dl/avgdl))``)
and a query's score is the sum over its tokens (repeats counted). Milvus's own
``Function(BM25)`` cannot: its jieba analyzer has no project dictionary, normalisation or
synonyms, and milvus-lite keeps IDF per segment. So the Milvus store holds, per chunk, a
sparse vector ``{dim(t): tfc(t, d)}`` (read back from the bm25s matrix: ``score / idf``) and
builds each query's sparse vector ``{dim(t): idf(t) × repeats}`` from term statistics (N, df)
kept in the records collection; an inner product (``IP``) then equals bm25s's score, up to
float32 rounding.

``dim(t)`` is a 32-bit hash of the term, so rows written at different times share dimensions
without a shared vocabulary; two terms colliding (≈ V²/2³³ pairs for a vocabulary of V) share
a dimension.

Example:
    >>> rows = doc_weights(index.bm25)           # one {dim: weight} per chunk row
    >>> stats = term_stats(index.bm25)           # N and df per term, for queries
    >>> query_vector(stats, ["医保码", "激活"], [], 0.0)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.index.bm25 import PLACEHOLDER

if TYPE_CHECKING:
    import bm25s

SPARSE_DIMS = 2**32 - 1  # Milvus sparse indices are uint32 below 2³²−1


def dim(term: str) -> int:
    """The sparse dimension of ``term`` (stable across processes and writes)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little") % SPARSE_DIMS


def idf(df: int, n: int) -> float:
    """bm25s's Lucene IDF."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class TermStats:
    """What a query needs to weight its terms: the number of rows and each term's df."""

    n: int
    df: dict[str, int]

    def to_json(self) -> dict:
        return {"n": self.n, "df": self.df}

    @classmethod
    def from_json(cls, raw: dict) -> TermStats:
        return cls(int(raw["n"]), {str(k): int(v) for k, v in raw["df"].items()})


def _columns(bm25: bm25s.BM25) -> list[tuple[str, int, int]]:
    """``(term, start, end)`` of each real term's column in the CSC score matrix."""
    indptr = bm25.scores["indptr"]
    out = []
    for term, col in bm25.vocab_dict.items():
        if term in ("", PLACEHOLDER) or col + 1 >= len(indptr):
            continue
        out.append((term, int(indptr[col]), int(indptr[col + 1])))
    return out


def term_stats(bm25: bm25s.BM25) -> TermStats:
    """N and df per term of a bm25s index (df = the rows a term's column touches)."""
    df = {term: end - start for term, start, end in _columns(bm25) if end > start}
    return TermStats(int(bm25.scores["num_docs"]), df)


def doc_weights(bm25: bm25s.BM25) -> list[dict[int, float]]:
    """Per row, ``{dim(term): tfc}``: bm25s's stored score divided by the term's IDF."""
    n = int(bm25.scores["num_docs"])
    data, indices = bm25.scores["data"], bm25.scores["indices"]
    rows: list[dict[int, float]] = [{} for _ in range(n)]
    for term, start, end in _columns(bm25):
        if end <= start:
            continue
        weight = 1.0 / idf(end - start, n)
        d = dim(term)
        for row, score in zip(indices[start:end].tolist(), data[start:end].tolist(), strict=True):
            rows[row][d] = rows[row].get(d, 0.0) + float(score) * weight
    return rows


def query_vector(
    stats: TermStats, terms: Sequence[str], extra: Sequence[str], extra_weight: float
) -> dict[int, float]:
    """``{dim: weight}`` whose inner product with a row's weights is
    ``bm25(terms) + extra_weight × bm25(extra)``; terms absent from the corpus are skipped."""
    out: dict[int, float] = {}
    weighted = [(t, 1.0) for t in terms]
    if extra_weight > 0:
        weighted += [(t, extra_weight) for t in extra]
    for term, weight in weighted:
        df = stats.df.get(term, 0)
        if df:
            d = dim(term)
            out[d] = out.get(d, 0.0) + weight * idf(df, stats.n)
    return out


def as_sparse(weights: dict[int, float]) -> dict[int, float]:
    """A row's weights as Milvus takes them (positive float32 values; never empty)."""
    kept = {d: float(np.float32(w)) for d, w in weights.items() if w > 0}
    return kept or {SPARSE_DIMS - 1: 1e-9}  # Milvus refuses an empty sparse row
