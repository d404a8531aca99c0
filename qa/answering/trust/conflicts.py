"""Trust notes added to answers in code: conflicting figures (the place the figures are for
and the sources' dates: :mod:`qa.answering.extractive`).

Conflicts are detected conservatively, between the readings of
:mod:`qa.answering.trust.readings`. Readings are compared only between passages about the same
place (bounds and hotlines anywhere). Amounts are compared between passages whose titles state
the same numbers, or numbers within 5% of each other (基数15500 vs 基数15700; a number only one
title states, such as 20年, is a condition unknown for the other) when the amounts differ by
more than 20% beyond that ratio (0元 vs 310元; not 310元 vs 316元 for 15800). A
conflict is distinct values of one key from different passages, never for different known
groups or years; values that differ only by group or year (on pages with the same numbers) are
a *difference*, shown by label. Either is reported only when on topic: the question names the
quantity (or asks for money, for a payer's amount), or an answer excerpt states one of the
values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from qa.answering.trust.readings import (
    ASKED_ONLY,
    BOUNDS,
    HOTLINE,
    Reading,
    find_readings,
    on_topic,
)
from qa.text.cohorts import group_words, same_cohort
from qa.text.figures import extract_figures
from qa.text.regions import province_of
from qa.types import Chunk

logger = logging.getLogger(__name__)

_MAX_CONFLICTS, _MAX_VALUES = 2, 3
_NEAR, _BEYOND = 0.05, 0.2  # premises this close are one case unless amounts differ this much
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Conflict:
    """Distinct values of one quantity, one reading per value, in passage order; a difference
    (not ``conflicting``) if they are for different groups or years."""

    label: str
    readings: tuple[Reading, ...]
    conflicting: bool = True


def find_conflicts(
    chunks: Sequence[Chunk],
    question: str,
    answer: str = "",
    regions: Sequence[str] = (),
    asked_groups: Sequence[str] = (),
) -> list[Conflict]:
    """Quantities for which ``chunks`` give different values (at most two, three values each).

    Args:
        chunks: Passages to compare, best first (duplicates are ignored).
        question: The user's question (decides which quantities are on topic).
        answer: The answer text so far; a quantity one of whose values it states (every
            figure of the value) is on topic too, unless only a question asking for it is
            (``ASKED_ONLY``: a waiting period or account credit quoted in passing).
        regions: Places the question names; values for another place are left out.
        asked_groups: Groups the question asks about (``ASKED_GROUPS`` keys); values none of
            whose sentences or titles name one of them are left out. A question about 居民医保
            that asks about no group leaves out values for 灵活就业人员 and 退休人员.
    """
    groups: dict[tuple[str, str], list[Reading]] = {}
    resident = bool(_RESIDENT.search(question)) and not asked_groups
    for chunk in {c.chunk_id: c for c in chunks}.values():
        place = place_of(chunk.regions) or ""
        for reading in find_readings(chunk):
            if resident and reading.group in _EMPLOYED:
                continue  # 灵活就业人员's 2个月 is not a 居民医保 figure
            scope = "" if reading.key in (BOUNDS, HOTLINE) else place
            groups.setdefault((reading.key, scope), []).append(reading)
    stated = set(extract_figures(answer))
    conflicts: list[tuple[bool, bool, Conflict]] = []
    for (key, place), readings in groups.items():
        if place and regions and not any(r in place for r in regions):
            continue  # values for another place than the one asked
        conflicting = bool(found := _conflict(readings))
        found = found or _difference(readings)
        if not found or not _for_groups(found, asked_groups):
            continue
        in_answer = any(set(extract_figures(r.value)) <= stated for r in found)
        if (asked := on_topic(key, question)) or (in_answer and key not in ASKED_ONLY):
            conflict = Conflict(found[0].label, tuple(found[:_MAX_VALUES]), conflicting)
            conflicts.append((not conflicting, not asked, conflict))
    conflicts.sort(key=lambda c: c[:2])  # conflicts first, those asked about first
    if conflicts:
        logger.debug("differing figures: %s", [c.label for *_, c in conflicts])
    return [c for *_, c in conflicts[:_MAX_CONFLICTS]]


#: A question about 居民医保, and the groups insured as employees instead.
_RESIDENT = re.compile(r"居民医保|城乡居民")
_EMPLOYED = frozenset(("灵活就业人员", "退休人员"))


def _for_groups(readings: Sequence[Reading], asked: Sequence[str]) -> bool:
    """Whether some reading's sentence or title names a group asked (or none is asked)."""
    words = group_words(asked)
    stated = [r.chunk.title + r.sentence for r in readings]
    return not words or any(w in text for text in stated for w in words)


def _contradicts(a: Reading, b: Reading) -> bool:
    """Whether passages differ on one case: other values, no different known group or year,
    and the same premise or a near one that does not explain the difference."""
    same = same_cohort((a.group, a.year), (b.group, b.year))
    if not same or a.value == b.value or a.chunk.chunk_id == b.chunk.chunk_id:
        return False
    return a.premise == b.premise or _unexplained(a, b)


def _numbers(texts: Sequence[str]) -> list[float]:
    return [float(n) for t in texts for n in _NUMBER.findall(t)[:1]]


def _midpoint(value: str) -> float | None:
    """The value's number, or the middle of its range (``2400-3000元`` → 2700)."""
    numbers = [float(n) for n in _NUMBER.findall(value)]
    return sum(numbers) / len(numbers) if numbers else None


def _premise_ratio(a: Sequence[float], b: Sequence[float]) -> float | None:
    """a / b for near premises, or None: every number of the shorter premise is within
    ``_NEAR`` of one of the longer's (a condition only one title states, such as 20年, is
    unknown for the other, like an unknown group); the first such pair gives the ratio."""
    flipped = len(a) > len(b)
    short, long = (b, a) if flipped else (a, b)
    pairs = [(x, next((y for y in long if y > 0 and abs(x / y - 1) <= _NEAR), None)) for x in short]
    if not pairs or any(y is None for _, y in pairs):
        return None
    x, y = pairs[0]
    ratio = x / cast("float", y)
    return 1 / ratio if flipped else ratio


def _unexplained(a: Reading, b: Reading) -> bool:
    """Whether near premises fail to explain the two amounts: their ratio (of range
    midpoints) is more than ``_BEYOND`` off the premises' ratio, or one of them is 0."""
    ratio = _premise_ratio(_numbers(a.premise), _numbers(b.premise))
    va, vb = _midpoint(a.value), _midpoint(b.value)
    if ratio is None or va is None or vb is None:
        return False
    if not va or not vb:
        return va != vb
    return abs((va / vb) / ratio - 1) > _BEYOND


def _conflict(readings: Sequence[Reading]) -> list[Reading]:
    """The first reading another passage contradicts, and those contradicting it and each other."""
    for i, first in enumerate(readings):
        found = [first]
        for other in readings[i + 1 :]:
            if all(_contradicts(other, r) for r in found):
                found.append(other)
        if len(found) > 1:
            return found
    return []


def _difference(readings: Sequence[Reading]) -> list[Reading]:
    """The first reading per known group and year, if their values and passages differ (only
    among readings with the first such reading's premise)."""
    first: dict[tuple[str, str], Reading] = {}
    labelled = [r for r in readings if r.group or r.year]
    for r in labelled:
        if r.premise == labelled[0].premise:
            first.setdefault((r.group, r.year), r)
    found = list(first.values())
    differ = len({r.value for r in found}) > 1 < len({r.chunk.chunk_id for r in found})
    return found if differ else []


def conflict_note(conflicts: Sequence[Conflict], numbers: Sequence[Sequence[int]]) -> str | None:
    """The values of each conflict, then of each difference by label, with ``[n]`` markers.

    Args:
        conflicts: As returned by :func:`find_conflicts`.
        numbers: Per conflict, the citation number of each reading.
    """
    parts, by, labelled = [], set(), dict[str, list[tuple[int, str]]]()
    for conflict, marks in zip(conflicts, numbers, strict=True):
        pairs = sorted(zip(marks, conflict.readings, strict=True), key=lambda pair: pair[0])
        if conflict.conflicting:
            several = len({r.premise for r in conflict.readings}) > 1
            said = (f"有的为{r.value}{_basis(r) if several else ''}[{n}]" for n, r in pairs)
            parts.append(conflict.label + ",".join(said))
            continue
        groups = len({r.group for r in conflict.readings if r.group}) > 1
        years = len({r.year for r in conflict.readings if r.year}) > 1
        by |= {w for w, differ in (("人群", groups), ("年份", years)) if differ}
        what = conflict.label.removesuffix("金额")
        for n, r in pairs:  # a year is shown only where the cited sentence states it
            year = f"{r.year}年" if years and r.year and r.year in r.sentence else ""
            label = year + (r.group if groups else "")
            labelled.setdefault(label, []).append((n, what + r.value))
    notes = [f"注意:不同资料给出的数字不一致:{';'.join(parts)},以当地医保部门核定为准。"]
    shown = [label + _runs(v) for label, v in labelled.items()]  # labels as first met
    notes.append(f"注意:不同{'、'.join(sorted(by))}标准不同:{';'.join(shown)}。")
    return "".join(note for note, some in zip(notes, (parts, shown), strict=True) if some) or None


def _basis(reading: Reading) -> str:
    """``(基数15700元时)`` when the reading's sentence states its title's 基数, else ""."""
    for figure in reading.premise:
        if re.search(rf"基数(?:为)?\s*{re.escape(figure)}(?![\d.])", reading.sentence):
            return f"(基数{figure}元时)"
    return ""


def _runs(values: Sequence[tuple[int, str]]) -> str:
    """``values`` joined by 、, each run from one source ended by its ``[n]``: ``a、b[1]、c[2]``."""
    ends = [i + 1 == len(values) or values[i + 1][0] != n for i, (n, _) in enumerate(values)]
    return "、".join(v + f"[{n}]" * end for (n, v), end in zip(values, ends, strict=True))


def place_of(regions: Sequence[str]) -> str | None:
    """The one place a passage is about, as shown (``山东德州``), or None if none or several."""
    if not regions:
        return None
    place, province = regions[0], province_of(regions[0])
    if any(r not in (place, province) for r in regions[1:]):
        return None
    return f"{province}{place}" if province and province != place and province in regions else place
