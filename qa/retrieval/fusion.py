"""Fusion helpers for hybrid search: weighted RRF, region affinity, near-duplicate collapse.

Example:
    >>> weighted_rrf({"dense": [7, 3], "bm25": [3, 9]}, {"dense": 1.0, "bm25": 0.5}, k=60)
    {7: 0.0164, 3: 0.0243, 9: 0.0081}   # rounded
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from qa.text.regions import province_of
from qa.types import Chunk

logger = logging.getLogger(__name__)

#: Two chunks of one document overlapping by more than this share of the shorter one are
#: near-duplicates; so are any two chunks whose character-bigram Jaccard reaches NEAR_SAME.
SPAN_OVERLAP = 0.5
NEAR_SAME = 0.9


def weighted_rrf(
    rankings: Mapping[str, Sequence[int]], weights: Mapping[str, float], k: int
) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: ``score(d) = Σ_s w_s / (k + rank_s(d))``, ranks 1-based.

    Signals with weight 0 (or no weight) are ignored.
    """
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 0.0)
        if weight <= 0:
            continue
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def _is_province(name: str) -> bool:
    return province_of(name) == name


def region_affinity(asked: Sequence[str], named: Sequence[str]) -> float:
    """How well a chunk's regions fit the regions a question asks about, in [0, 1].

    * 1.0 — the chunk names an asked city (or, when only provinces are asked, the province);
    * 0.5 — the chunk names the asked city's province and no other city of it, or a city of
      an asked province (a question about 安徽 may prefer 合肥);
    * 0.0 — no region asked, nothing in common, or the chunk is about *another* city of the
      asked city's province (never boosted for it).
    """
    if not asked or not named:
        return 0.0
    asked_cities = {r for r in asked if not _is_province(r)}
    asked_provinces = {province_of(r) for r in asked} - {None}
    named_cities = {r for r in named if not _is_province(r)}
    named_provinces = {r for r in named if _is_province(r)}
    if asked_cities:
        if named_cities & asked_cities:
            return 1.0
        if any(province_of(c) in asked_provinces for c in named_cities):
            return 0.0  # another city of the same province
        return 0.5 if named_provinces & asked_provinces else 0.0
    if named_provinces & asked_provinces:
        return 1.0
    return 0.5 if any(province_of(c) in asked_provinces for c in named_cities) else 0.0


def _bigrams(text: str) -> frozenset[str]:
    chars = [c for c in text if not c.isspace()]
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


def _near_same(x: frozenset[str], y: frozenset[str]) -> bool:
    return bool(x and y) and len(x & y) / len(x | y) >= NEAR_SAME


def _overlapping(a: Chunk, b: Chunk) -> bool:
    if a.doc_id != b.doc_id:
        return False
    overlap = min(a.end, b.end) - max(a.start, b.start)
    shorter = min(a.end - a.start, b.end - b.start)
    return shorter > 0 and overlap / shorter > SPAN_OVERLAP


def are_near_duplicates(a: Chunk, b: Chunk) -> bool:
    """Same document with heavily overlapping spans, or near-identical text."""
    return _overlapping(a, b) or _near_same(_bigrams(a.text), _bigrams(b.text))


def collapse_near_duplicates(
    rows: Sequence[int], chunks: Sequence[Chunk], limit: int | None = None
) -> list[int]:
    """Keep the first (best-ranked) of each group of near-duplicate chunks, in order.

    Args:
        rows: Chunk rows, best first.
        chunks: The index's chunks.
        limit: Stop once this many rows are kept.
    """
    kept: list[int] = []
    grams: dict[int, frozenset[str]] = {}
    for row in rows:
        if limit is not None and len(kept) >= limit:
            break
        grams[row] = _bigrams(chunks[row].text)
        if any(
            _overlapping(chunks[row], chunks[k]) or _near_same(grams[row], grams[k]) for k in kept
        ):
            logger.debug("collapsed near-duplicate chunk=%s", chunks[row].chunk_id)
            continue
        kept.append(row)
    return kept
