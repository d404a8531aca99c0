"""Fusion helpers for hybrid search: weighted RRF, region affinity, near-duplicate collapse.

Example:
    >>> weighted_rrf({"dense": [7, 3], "bm25": [3, 9]}, {"dense": 1.0, "bm25": 0.5}, k=60)
    {7: 0.0164, 3: 0.0243, 9: 0.0081}   # rounded
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from qa.settings import Settings, default
from qa.text.normalize import char_bigrams
from qa.text.regions import province_of
from qa.types import Chunk, Question

logger = logging.getLogger(__name__)


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


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    """Reciprocal-rank fusion: ``score(d) = Σ_r 1 / (k + rank_r(d))`` with 1-based ranks."""
    named = {str(i): ranking for i, ranking in enumerate(rankings)}
    return weighted_rrf(named, dict.fromkeys(named, 1.0), k)


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


#: A figure a question can single a passage out by: 3+ digits, not a year (基数9700, 1536元).
_FIGURE = re.compile(r"(?<![\d.])(?!(?:19|20)\d\d(?!\d))\d{3,}(?:\.\d+)?(?![\d.])")


def asked_figures(text: str) -> frozenset[str]:
    """The figures a question states (``廊坊社保基数9700`` → ``{"9700"}``)."""
    return frozenset(_FIGURE.findall(text))


def figure_affinity(asked: frozenset[str], title: str, text: str) -> tuple[bool, bool]:
    """(the chunk states an asked figure, its title states figures and none asked): a
    ``基数9500`` snippet answers no ``基数9700`` question."""
    if not asked:
        return False, False
    states = any(f in title or f in text for f in asked)
    titled = set(_FIGURE.findall(title))
    return states, bool(titled) and not titled & asked


def names_elsewhere(asked: Sequence[str], named: Sequence[str]) -> bool:
    """True when a chunk names places and none of them is, holds or lies in an asked place."""
    if not asked or not named:
        return False
    wanted = {*asked, *(p for p in map(province_of, asked) if p)}
    return not any(place in wanted or province_of(place) in wanted for place in named)


def _near_same(x: frozenset[str], y: frozenset[str], jaccard: float) -> bool:
    return bool(x and y) and len(x & y) / len(x | y) >= jaccard


def _overlapping(a: Chunk, b: Chunk, span_overlap: float) -> bool:
    if a.doc_id != b.doc_id:
        return False
    overlap = min(a.end, b.end) - max(a.start, b.start)
    shorter = min(a.end - a.start, b.end - b.start)
    return shorter > 0 and overlap / shorter > span_overlap


def are_near_duplicates(
    a: Chunk,
    b: Chunk,
    span_overlap: float = default("duplicate_span_overlap"),
    jaccard: float = default("duplicate_jaccard"),
) -> bool:
    """Same document with heavily overlapping spans, or near-identical text."""
    return _overlapping(a, b, span_overlap) or _near_same(
        char_bigrams(a.text), char_bigrams(b.text), jaccard
    )


def collapse_near_duplicates(
    rows: Sequence[int],
    chunks: Sequence[Chunk],
    limit: int | None = None,
    span_overlap: float = default("duplicate_span_overlap"),
    jaccard: float = default("duplicate_jaccard"),
) -> list[int]:
    """Keep the first (best-ranked) of each group of near-duplicate chunks, in order.

    Args:
        rows: Chunk rows, best first.
        chunks: The index's chunks.
        limit: Stop once this many rows are kept.
        span_overlap: Settings ``duplicate_span_overlap``.
        jaccard: Settings ``duplicate_jaccard``.
    """
    kept: list[int] = []
    grams: dict[int, frozenset[str]] = {}
    for row in rows:
        if limit is not None and len(kept) >= limit:
            break
        grams[row] = char_bigrams(chunks[row].text)
        if any(
            _overlapping(chunks[row], chunks[k], span_overlap)
            or _near_same(grams[row], grams[k], jaccard)
            for k in kept
        ):
            logger.debug("collapsed near-duplicate chunk=%s", chunks[row].chunk_id)
            continue
        kept.append(row)
    return kept


def fitted_score(
    score: float, query: Question, figures: frozenset[str], chunk: Chunk, s: Settings
) -> float:
    """A fused score fitted to what the question names: its places (a bonus, or a factor for
    a chunk about other places), its figures (:func:`figure_affinity`), and thin chunks (an
    intro matches its title and answers nothing)."""
    affinity = 0.0 if query.cross_region else region_affinity(query.regions, chunk.regions)
    score += s.region_boost * affinity / (s.rrf_k + 1)
    if not affinity and names_elsewhere(query.regions, chunk.regions):
        score *= s.region_elsewhere_factor  # about other places than those asked
    states, other = figure_affinity(figures, chunk.title, chunk.text)
    score += s.figure_boost * states / (s.rrf_k + 1)
    if other:
        score *= s.figure_elsewhere_factor  # 基数9500's snippet for 基数9700
    if len(chunk.text.strip()) < s.thin_chunk_chars:
        score *= s.thin_chunk_factor
    return score
