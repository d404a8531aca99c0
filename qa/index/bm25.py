"""bm25s indexes built and stored the one way both the body and the title index need."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import bm25s

#: Stands in for an empty token list: bm25s cannot index an empty document (or corpus), and
#: the placeholder keeps rows aligned without matching any real query token.
PLACEHOLDER = "\x00"


def build_bm25(token_lists: Iterable[Sequence[str]]) -> bm25s.BM25:
    """A ``bm25s.BM25`` with one row per token list (empty lists allowed), the same as
    ``bm25s.BM25().index(token_lists)`` (method ``lucene``, k1 1.5, b 0.75), built as the
    lists stream past: each document is kept only as token ids and counts, never as strings.
    """
    import bm25s

    vocab: dict[str, int] = {}
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    lengths: list[int] = []
    for tokens in token_lists:
        row = list(tokens) or [PLACEHOLDER]
        tally = Counter(vocab.setdefault(t, len(vocab)) for t in row)
        ids.append(np.fromiter(tally.keys(), dtype=np.int32, count=len(tally)))
        counts.append(np.fromiter(tally.values(), dtype=np.float32, count=len(tally)))
        lengths.append(len(row))
    if not lengths:  # an empty corpus: one placeholder row, as before
        return build_bm25([[]])
    bm25 = bm25s.BM25()
    k1, b = bm25.k1, bm25.b
    n_docs, n_vocab = len(lengths), len(vocab)
    doc = np.repeat(np.arange(n_docs, dtype=np.int32), [len(a) for a in ids])
    term = np.concatenate(ids)
    tf = np.concatenate(counts)
    del ids, counts
    doc_len = np.asarray(lengths, dtype=np.float64)
    df = np.bincount(term, minlength=n_vocab).astype(np.float64)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    tfc = tf / (k1 * ((1 - b) + b * doc_len[doc] / doc_len.mean()) + tf)
    scores = (idf[term] * tfc).astype(np.float32)
    order = np.lexsort((doc, term))  # column (term) major, rows ascending: CSC
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=n_vocab), out=indptr[1:])
    bm25.scores = {
        "data": scores[order],
        "indices": doc[order],
        "indptr": indptr,
        "num_docs": n_docs,
    }
    vocab[""] = n_vocab  # bm25s's empty token, as ``index`` adds it
    bm25.vocab_dict = vocab
    bm25.unique_token_ids_set = set(vocab.values())
    bm25.nonoccurrence_array = None
    return bm25


def save_bm25(bm25: bm25s.BM25, folder: Path) -> None:
    """Write the arrays (``.npy`` without pickle) and vocab/params JSON into ``folder``."""
    bm25.save(str(folder), show_progress=False)


def load_bm25(folder: Path) -> bm25s.BM25:
    """Read an index written by :func:`save_bm25`; never unpickles."""
    import bm25s

    return bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)


def check_bm25(bm25: bm25s.BM25, n_rows: int) -> None:
    """Raise ``ValueError`` unless the arrays are a consistent CSC matrix over ``n_rows`` rows.

    A damaged file that still parses (flipped bytes, arrays from another index) would
    otherwise fail later, inside a query.
    """
    scores = bm25.scores
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    if int(scores.get("num_docs", -1)) != n_rows:
        raise ValueError(f"BM25 行数 {scores.get('num_docs')} 与段落数 {n_rows} 不一致")
    if not len(bm25.vocab_dict) <= len(indptr) <= len(bm25.vocab_dict) + 1:  # "" has no column
        raise ValueError("BM25 词表与矩阵不一致")
    if len(data) != len(indices) or (len(indptr) and int(indptr[-1]) != len(indices)):
        raise ValueError("BM25 矩阵长度不一致")
    if len(indptr) and (int(indptr[0]) != 0 or np.any(np.diff(indptr) < 0)):
        raise ValueError("BM25 矩阵的列指针不是递增的")
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= n_rows):
        raise ValueError("BM25 矩阵引用了不存在的段落")
    if not np.all(np.isfinite(data)):
        raise ValueError("BM25 分数不是有限数")
