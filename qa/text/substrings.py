"""Document frequencies of any string: character and character-pair postings, built at ingest.

``SubstringIndex.count(token)`` is how many documents hold ``fold(token)`` as a substring of
their searchable text ``fold(title + "\\n" + text)`` (:func:`searchable`): exactly what a scan
of every document counts, without the scan. A one-character token's count is the length of
its character's postings, a two-character token's that of its pair's; a longer token's
candidates are the documents holding all its pairs (the postings intersected, shortest first),
and only those are read to confirm the substring. The composer's IDF weights and the refusal
check for words no document mentions (``qa.refusal.decision.unknown_terms``) both count here.

Files, inside an index version folder (plain ``.npy`` arrays, no pickle; read memory-mapped)::

    substrings/keys.npy    uint64 (n_lists,): sorted ``gram << part_bits | part``: a gram is
                           a character ``c`` as ``c`` or a pair ``ab`` as ``(a + 1) << 21 | b``;
                           the part is an ordinal's bits above the low 16 (``part_bits`` = 0 up
                           to 65,536 documents, then as many as the document count needs)
    substrings/starts.npy  int64 (n_lists + 1,): list ``i`` is ``low[starts[i]:starts[i + 1]]``
    substrings/low.npy     uint16 (n_postings,): the low 16 bits of document ordinals (the
                           index's document order), ascending within a list

About 2.3 bytes per document character (103,264 synthetic chunks: 69,537 documents, 20.7M
characters, 24.2M postings, 49 MB); built in a few seconds at that size.

Example:
    >>> index = SubstringIndex.of(documents)
    >>> index.count("医保码")  # == sum(fold("医保码") in searchable(d) for d in documents)
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Mapping, Sequence
from itertools import islice, repeat
from pathlib import Path

import numpy as np

from qa.text.normalize import fold
from qa.types import Document

logger = logging.getLogger(__name__)

FOLDER = "substrings"
_CHAR_BITS = 21  # code points are below 0x110000 < 2 ** 21; a gram code takes 42 bits
_LOW_BITS = 16  # a document ordinal is stored as its low 16 bits; its part (the rest) in a key
_BLOCK = 1 << 20  # characters (and at most documents) per build step: bounds its temporaries


class SubstringIndexError(ValueError):
    """The substring files are missing or do not fit the documents (message for users)."""


def searchable(document: Document) -> str:
    """The text a document frequency counts in: the folded title and text."""
    return fold(f"{document.title}\n{document.text}")


def _pair(a: str, b: str) -> int:
    return (ord(a) + 1) << _CHAR_BITS | ord(b)


def _part_bits(n_documents: int) -> int:
    """Bits of an ordinal above ``_LOW_BITS`` (0 up to 65,536 documents)."""
    return max(max(n_documents - 1, 1).bit_length() - _LOW_BITS, 0)


class SubstringIndex:
    """Postings of every character and character pair of the documents' searchable texts.

    A posting list is the documents of one gram whose ordinals share their high bits (the
    part: one list per gram up to 65,536 documents), so ordinals are stored in 16 bits.

    Attributes:
        keys: Sorted ``gram << part_bits | part`` of each list (``uint64``).
        starts: List ``i`` is ``low[starts[i]:starts[i + 1]]`` (``int64``, one more than keys).
        low: The low 16 bits of the ordinals, ascending within each list (``uint16``).
        n_documents: How many documents were indexed.
    """

    def __init__(
        self,
        keys: np.ndarray,
        starts: np.ndarray,
        low: np.ndarray,
        texts: Sequence[str],
    ) -> None:
        """``texts``: the documents' searchable texts, kept to confirm candidates."""
        self.keys, self.starts, self.low = keys, starts, low
        self.n_documents = len(texts)
        self._bits = _part_bits(len(texts))
        self._texts = list(texts)

    @classmethod
    def build(cls, texts: Sequence[str]) -> SubstringIndex:
        """Index the searchable texts ``texts`` (document ``i`` = ``texts[i]``).

        Raises:
            ValueError: More than 4,194,304 documents (a gram and an ordinal share 64 bits).
        """
        doc_bits = _part_bits(len(texts)) + _LOW_BITS
        if 2 * _CHAR_BITS + doc_bits > 64:
            raise ValueError(f"too many documents for substring postings: {len(texts)}")
        runs, batch, size = [], [], 0
        for i, t in enumerate(texts):
            batch.append((i, t))
            size += len(t)
            if size >= _BLOCK or len(batch) >= _BLOCK:
                runs.append(_block_keys(batch, doc_bits))
                batch, size = [], 0
        if batch:
            runs.append(_block_keys(batch, doc_bits))
        keys, starts, low = _merge(runs)
        return cls(keys, starts, low, texts)

    @classmethod
    def of(cls, documents: Sequence[Document]) -> SubstringIndex:
        """Index ``documents`` (ordinal = position)."""
        return cls.build([searchable(d) for d in documents])

    def count(self, token: str, limit: int | None = None) -> int:
        """How many documents hold ``fold(token)`` (every document for an empty string), or
        at most ``limit`` of them (``limit=1``: does any? — stops at the first it confirms)."""
        token = fold(token)
        if not token:
            found = self.n_documents
        elif len(token) <= 2:  # the postings are exact: their length
            lo, hi = self._lists(ord(token) if len(token) == 1 else _pair(*token))
            found = int(self.starts[hi] - self.starts[lo])
        else:
            found = self._confirmed(token, limit)
        return found if limit is None else min(found, limit)

    def _confirmed(self, token: str, limit: int | None) -> int:
        """Documents holding all pairs of ``token`` (postings intersected, shortest first)
        that hold ``token`` itself."""
        pairs = sorted(
            (self._postings(_pair(a, b)) for a, b in set(zip(token, token[1:], strict=False))),
            key=len,
        )
        candidates = pairs[0]
        for postings in pairs[1:]:
            if not len(candidates):
                return 0
            at = np.minimum(np.searchsorted(postings, candidates), len(postings) - 1)
            candidates = candidates[postings[at] == candidates]
        texts = map(self._texts.__getitem__, candidates.tolist())
        held = map(operator.contains, texts, repeat(token))  # C loops, no Python per document
        return sum(held) if limit is None else sum(islice(filter(None, held), limit))

    def _lists(self, gram: int) -> tuple[int, int]:
        """The range of lists holding ``gram``."""
        lo = int(np.searchsorted(self.keys, gram << self._bits))
        return lo, int(np.searchsorted(self.keys, (gram + 1) << self._bits))

    def _postings(self, gram: int) -> np.ndarray:
        """The ordinals of the documents holding ``gram``, ascending (int64)."""
        lo, hi = self._lists(gram)
        mask = (1 << self._bits) - 1
        return np.concatenate(
            [
                (int(self.keys[i]) & mask) << _LOW_BITS
                | self.low[self.starts[i] : self.starts[i + 1]].astype(np.int64)
                for i in range(lo, hi)
            ]
            or [np.zeros(0, np.int64)]
        )

    def save(self, folder: Path) -> None:
        """Write ``folder/substrings/`` (inside an index version folder)."""
        (folder / FOLDER).mkdir(parents=True, exist_ok=True)
        for name, array in (("keys", self.keys), ("starts", self.starts), ("low", self.low)):
            np.save(folder / FOLDER / f"{name}.npy", array, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, documents: Sequence[Document]) -> SubstringIndex | None:
        """Read ``folder/substrings/`` memory-mapped for ``documents`` (the index's, in order);
        refuse files that do not fit them. None for a version saved before them
        (``yibao ingest --if-stale`` stores them: ``ingest.freshness.PIPELINE_VERSION`` 3)."""
        if not (folder / FOLDER).exists():
            logger.info("index version=%s has no %s/: built at load", folder.name, FOLDER)
            return None
        try:
            keys, starts, low = (
                np.load(folder / FOLDER / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                for name in ("keys", "starts", "low")
            )
        except (OSError, ValueError) as exc:
            raise SubstringIndexError(f"子串索引缺失或损坏({exc})。") from exc
        n, parts = len(documents), _part_bits(len(documents))
        fits = (
            (keys.dtype, starts.dtype, low.dtype) == (np.uint64, np.int64, np.uint16)
            and keys.ndim == starts.ndim == low.ndim == 1
            and len(starts) == len(keys) + 1
            and int(starts[0]) == 0
            and int(starts[-1]) == len(low)
            and bool(np.all(np.diff(starts) > 0) and np.all(keys[1:] > keys[:-1]))
            and (not len(keys) or int((keys & np.uint64((1 << parts) - 1)).max()) << 16 < n)
        )
        if not fits:
            raise SubstringIndexError(f"子串索引与 {n} 个文档不一致。")
        index = cls(keys, starts, low, [searchable(d) for d in documents])
        logger.debug("loaded substring index lists=%d postings=%d", len(keys), len(low))
        return index


def substrings_of(documents: Mapping[str, Document]) -> SubstringIndex:
    """The index's own postings when ``documents`` carries them (``DocumentLookup`` over a
    store), else postings built from ``documents`` (a plain mapping: tests, baselines)."""
    own = getattr(documents, "substrings", None)
    if isinstance(own, SubstringIndex):
        return own
    return SubstringIndex.of(list(documents.values()))


def _merge(runs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, starts and low bits of the sorted union of ``runs`` (sorted ``gram << doc_bits |
    ordinal`` of disjoint documents), merged a slice of the key space at a time: the merged
    whole is never held, only its 16-bit ordinals."""
    runs = [r for r in runs if len(r)] or [np.zeros(0, np.uint64)]
    low = np.empty(sum(len(r) for r in runs), np.uint16)
    sample = np.sort(np.concatenate([r[:: _BLOCK // 8] for r in runs]))[:: len(runs)]
    cuts = np.unique(sample >> np.uint64(_LOW_BITS)).tolist()[1:]  # slices end between lists
    keys, starts, done, begin = [], [], 0, [0] * len(runs)
    for cut in [*cuts, None]:
        end = [len(r) if cut is None else int(np.searchsorted(r, cut << _LOW_BITS)) for r in runs]
        merged = np.concatenate([r[a:b] for r, a, b in zip(runs, begin, end, strict=True)])
        merged.sort()
        low[done : done + len(merged)] = merged & np.uint64((1 << _LOW_BITS) - 1)
        merged >>= np.uint64(_LOW_BITS)  # gram << part_bits | part: the list's key
        first = np.flatnonzero(np.r_[True, merged[1:] != merged[:-1]][: len(merged)])
        keys.append(merged[first])
        starts.append(first + done)
        done, begin = done + len(merged), end
    return np.concatenate(keys), np.append(np.concatenate(starts), done).astype(np.int64), low


def _block_keys(batch: list[tuple[int, str]], doc_bits: int) -> np.ndarray:
    """Distinct ``gram << doc_bits | ordinal`` of a block of documents, sorted."""
    joined = "".join(t for _, t in batch)
    if not joined:
        return np.zeros(0, np.uint64)
    chars = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.array([len(t) for _, t in batch], dtype=np.int64)
    owner = np.repeat(np.array([i for i, _ in batch], dtype=np.uint64), lengths)
    same = owner[1:] == owner[:-1]  # pairs inside one document only
    shift = np.uint64(doc_bits)
    pairs = ((chars[:-1] + np.uint64(1)) << np.uint64(_CHAR_BITS) | chars[1:])[same]
    packed = np.concatenate([chars << shift | owner, pairs << shift | owner[1:][same]])
    packed.sort()
    return packed[np.r_[True, packed[1:] != packed[:-1]]]
