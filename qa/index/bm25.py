"""bm25s indexes built and stored the one way both the body and the title index need."""

from __future__ import annotations

import json
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
ARRAYS = "arrays.npz"
VOCAB = "vocab.json"


def build_bm25(token_lists: Iterable[Sequence[str]]) -> bm25s.BM25:
    """A ``bm25s.BM25`` with one row per token list (empty lists allowed), the same as
    ``bm25s.BM25().index(token_lists)`` (method ``lucene``, k1 1.5, b 0.75), built as the
    lists stream past: each document is kept only as token ids and counts, never as strings.
    """
    vocab: dict[str, int] = {}
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    lengths: list[int] = []
    for tokens in token_lists:
        row = list(tokens) or [PLACEHOLDER]
        tally = Counter(vocab.setdefault(t, len(vocab)) for t in row)
        ids.append(np.fromiter(tally.keys(), dtype=np.int32, count=len(tally)))
        counts.append(np.fromiter(tally.values(), dtype=np.int32, count=len(tally)))
        lengths.append(len(row))
    if not lengths:  # an empty corpus: one placeholder row, as before
        return build_bm25([[]])
    doc = np.repeat(np.arange(len(lengths), dtype=np.int32), [len(a) for a in ids])
    term = np.concatenate(ids)
    tf = np.concatenate(counts)
    del ids, counts
    order = np.lexsort((doc, term))  # column (term) major, rows ascending: CSC
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=len(vocab)), out=indptr[1:])
    indices, tf = doc[order], tf[order]
    del doc, term, order  # peak memory: only the sorted copies go on
    return _assemble(vocab, indptr, indices, tf, np.asarray(lengths, dtype=np.int64))


def _assemble(
    vocab: dict[str, int],
    indptr: np.ndarray,
    indices: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
) -> bm25s.BM25:
    """A ``bm25s.BM25`` (method ``lucene``) from a CSC matrix of term counts (columns = terms,
    rows = documents) and the documents' lengths: the scores are computed here, the same on
    build and on load, so an index stores counts (1–2 bytes) instead of float32 scores."""
    import bm25s

    bm25 = bm25s.BM25()
    k1, b = bm25.k1, bm25.b
    n_docs, n_vocab = len(lengths), len(indptr) - 1
    term = np.repeat(np.arange(n_vocab, dtype=np.int32), np.diff(indptr))
    tf = counts.astype(np.float32)
    doc_len = lengths.astype(np.float64)
    df = np.diff(indptr).astype(np.float64)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    tfc = tf / (k1 * ((1 - b) + b * doc_len[indices] / doc_len.mean()) + tf)
    bm25.scores = {
        "data": (idf[term] * tfc).astype(np.float32),
        "indices": indices.astype(np.int32, copy=False),
        "indptr": indptr.astype(np.int64, copy=False),
        "num_docs": n_docs,
        "counts": _smallest_uint(counts),  # for save_bm25 (bm25s reads the keys above)
        "lengths": _smallest_uint(lengths),
    }
    vocab = dict(vocab)
    vocab.setdefault("", n_vocab)  # bm25s's empty token, as ``index`` adds it
    bm25.vocab_dict = vocab
    bm25.unique_token_ids_set = set(vocab.values())
    bm25.nonoccurrence_array = None
    return bm25


def _smallest_uint(values: np.ndarray) -> np.ndarray:
    top = int(values.max()) if len(values) else 0
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.uint32
    return values.astype(dtype)


def save_bm25(bm25: bm25s.BM25, folder: Path) -> None:
    """Write ``folder/arrays.npz`` (deflated, no pickle: term counts, row gaps within each
    column, column pointers, document lengths) and ``folder/vocab.json``."""
    scores = bm25.scores
    indices, indptr = scores["indices"].astype(np.int64), scores["indptr"]
    gaps = indices.copy()
    gaps[1:] -= indices[:-1]
    starts = indptr[:-1][np.diff(indptr) > 0]
    gaps[starts] = indices[starts]  # each column starts from row 0
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        folder / ARRAYS,
        counts=scores["counts"],
        gaps=_smallest_uint(gaps),
        indptr=indptr,
        lengths=scores["lengths"],
    )
    vocab = {t: i for t, i in bm25.vocab_dict.items() if i < len(indptr) - 1}
    (folder / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")


def load_bm25(folder: Path) -> bm25s.BM25:
    """Read an index written by :func:`save_bm25`; never unpickles."""
    with np.load(folder / ARRAYS, allow_pickle=False) as arrays:
        counts, gaps = arrays["counts"], arrays["gaps"].astype(np.int64)
        indptr, lengths = arrays["indptr"].astype(np.int64), arrays["lengths"].astype(np.int64)
    vocab = json.loads((folder / VOCAB).read_text("utf-8"))
    if not isinstance(vocab, dict) or len(vocab) != len(indptr) - 1 or len(gaps) != len(counts):
        raise ValueError("BM25 词表与矩阵不一致")
    if len(indptr) and (int(indptr[0]) != 0 or int(indptr[-1]) != len(gaps)):
        raise ValueError("BM25 矩阵长度不一致")
    total = np.cumsum(gaps)  # undo the gaps column by column: minus the sum before each
    before = np.concatenate([[0], total])[indptr[:-1]]
    indices = total - np.repeat(before, np.diff(indptr))
    return _assemble(vocab, indptr, indices, counts, lengths)


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
