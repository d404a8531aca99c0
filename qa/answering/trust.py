"""Trust notes added to answers in code: conflicting figures (the place the figures are for
and the sources' dates: :mod:`qa.answering.extractive`).

Conflicts are detected conservatively. A *reading* is one value a passage states for a
quantity, keyed by the cue right before the number in the same sentence:

* an insurance item (养老保险, 失业保险 …) with a role (个人/单位; unstated = 个人, as these
  pages list deductions) and a unit (``%`` or ``元``), e.g. ``失业保险 :个人缴费比例为0.3%``;
* a payer alone (个人/单位/财政) and ``元``, e.g. ``个人年缴标准为380元``;
* 缴费基数 bounds, e.g. ``基数范围为2850元…至14250元`` or ``上限 :22078元 下限 :4416元``;
* a 123xx service hotline named with 热线/客服/电话.

A reading may be for a group or year (:mod:`qa.text.cohorts`); only the first per key,
group and year in a passage counts. Rates and amounts are compared only between passages about
the same place, amounts only between passages whose titles state the same numbers, years aside
(a 基数15500 page and a 基数15700 page compute different cases). A conflict is distinct values
of one key from different passages, never for different known groups or years; values that
differ only by group or year are a *difference*, shown by label. Either is reported only when
on topic: the question names the quantity (or asks for money, for a payer's amount), or an
answer excerpt states one of the values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from qa.text.cohorts import cohort_of, same_cohort, without_years
from qa.text.figures import extract_figures
from qa.text.regions import province_of
from qa.types import Chunk

logger = logging.getLogger(__name__)

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_ITEMS: tuple[str, ...] = ("大病医疗保险", "养老保险", "医疗保险", "失业保险")
_ITEMS += ("工伤保险", "生育保险", "大病保险", "公积金")
_CUE = re.compile("|".join((*_ITEMS, "个人(?!账户)", "单位", "企业", "财政")))
_VALUE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|％|元)(?!\s*[×x*])")
_GAP_BREAK = re.compile(r"[,，。;；×*=+÷\d]|基数")  # a cue does not reach across these
_RESPECTIVELY = re.compile(
    r"(个人|单位)和(个人|单位)[^,，。]*?分别为?\s*(\d+(?:\.\d+)?)\s*(%|元)"
    r"\s*和\s*(\d+(?:\.\d+)?)\s*(%|元)"
)
_BOUND_RANGE = re.compile(
    r"基数[^,，。\d]{0,12}?(\d+)\s*元\s*(?:[(（][^)）]{0,12}[)）])?\s*[至到~\-–—]\s*(\d+)\s*元"
)
_UPPER = re.compile(r"上限\s*[:：]?\s*(\d+)\s*元")
_LOWER = re.compile(r"下限\s*[:：]?\s*(\d+)\s*元")
_MARKERS = re.compile(r"\s*(?:\d{1,2}[.、．)）](?!\d)\s*)?(?:[•·●○◦▪■◆►▶➢✓]\s*)?")
_HOTLINE = re.compile(r"(?<!\d)(123\d\d)(?!\d)")
_HOTLINE_CUE = re.compile(r"热线|客服|电话|拨打")
_ASKS_MONEY = re.compile(r"多少钱|交多少|缴多少|扣多少|费用|金额|标准|一年|每年|每月")
_MAX_CONFLICTS, _MAX_VALUES = 2, 3

BOUNDS, HOTLINE = "缴费基数上下限", "咨询电话"


@dataclass(frozen=True)
class Reading:
    """One value a passage states for a quantity.

    Attributes:
        key: Quantity key, e.g. ``失业保险|个人|%``, ``|财政|元``, ``缴费基数上下限``.
        label: Chinese name of the quantity, used in notes.
        value: The value as shown, e.g. ``0.3%``, ``2850元至14250元``, ``12333``.
        chunk: The passage stating it.
        start: Offset of the stating sentence in the document text.
        end: Offset just past that sentence.
        group: Group the value is for (``儿童``, ``普通居民``), or "" if unknown.
        year: Year the value is for (``2025``, ``2023-2024``), or "" if unknown.
    """

    key: str
    label: str
    value: str
    chunk: Chunk
    start: int
    end: int
    group: str = ""
    year: str = ""


@dataclass(frozen=True)
class Conflict:
    """Distinct values of one quantity, one reading per value, in passage order; a difference
    (not ``conflicting``) if they are for different groups or years."""

    label: str
    readings: tuple[Reading, ...]
    conflicting: bool = True


def _label(item: str, role: str, unit: str) -> str:
    what = "比例" if unit == "%" else "金额"
    return "财政补助金额" if role == "财政" and not item else f"{item}{role}缴费{what}"


def _keyed(sentence: str) -> list[tuple[str, str, int]]:
    """(key, value, offset of the value) for the readings of one sentence, in order."""
    found: list[tuple[str, str, int]] = []
    for m in _RESPECTIVELY.finditer(sentence):
        items = [c[0] for c in _CUE.finditer(sentence, 0, m.start()) if c[0] in _ITEMS]
        item = items[-1] if items else ""
        for role, value, unit in ((m[1], m[3], m[4]), (m[2], m[5], m[6])):
            if item:
                found.append((f"{item}|{role}|{unit}", value + unit, m.start()))
    if "分别" not in sentence:
        for m in _VALUE.finditer(sentence):
            cues = list(_CUE.finditer(sentence, 0, m.start()))
            last_item = next((c for c in reversed(cues) if c[0] in _ITEMS), None)
            last_role = next((c for c in reversed(cues) if c[0] not in _ITEMS), None)
            item = last_item[0] if last_item and _reaches(sentence, last_item, m) else ""
            role = last_role[0] if last_role and _reaches(sentence, last_role, m) else ""
            role = "单位" if role == "企业" else role
            unit = "%" if m[2] in "%％" else "元"
            if not item and (not role or unit == "%"):
                continue  # a payer's bare percentage is too ambiguous to compare
            role = role or "个人"
            found.append((f"{item}|{role}|{unit}", m[1] + unit, m.start()))
    if re.search("范围|上限|下限", sentence):
        bound = _BOUND_RANGE.search(sentence)
        low, high = _LOWER.search(sentence), _UPPER.search(sentence)
        pair = (bound[1], bound[2]) if bound else (low[1], high[1]) if low and high else None
        if pair and float(pair[0]) < float(pair[1]):
            at = cast("re.Match[str]", bound or low).start()
            found.append((BOUNDS, f"{pair[0]}元至{pair[1]}元", at))
    if _HOTLINE_CUE.search(sentence):
        found.extend((HOTLINE, m[1], m.start()) for m in _HOTLINE.finditer(sentence))
    return found


def _reaches(sentence: str, cue: re.Match[str], value: re.Match[str]) -> bool:
    """Whether ``cue`` qualifies ``value``: close, with no clause break or number between."""
    gap = sentence[cue.end() : value.start()]
    return len(gap) <= 12 and not _GAP_BREAK.search(gap)


def find_readings(chunk: Chunk) -> list[Reading]:
    """The first reading per quantity key, group and year stated in ``chunk``, in text order."""
    readings: dict[tuple[str, str, str], Reading] = {}
    for m in _SENTENCE.finditer(chunk.text):
        for key, value, at in _keyed(m[0]):
            marker = cast("re.Match[str]", _MARKERS.match(m[0]))  # all optional: always matches
            start, end = chunk.start + m.start() + marker.end(), chunk.start + m.end()
            group, year = cohort_of(m[0], at, chunk.title)
            label = _label(*key.split("|")) if "|" in key else key
            reading = Reading(key, label, value, chunk, start, end, group, year)
            readings.setdefault((key, group, year), reading)
    return list(readings.values())


def _on_topic(key: str, question: str) -> bool:
    if key == BOUNDS:
        return bool(re.search("上限|下限|上下限|范围|基数", question))
    if key == HOTLINE:
        return bool(re.search("热线|电话|客服|号码", question))
    item, _, unit = key.split("|")
    if item:
        return item[:2] in question
    return unit == "元" and bool(_ASKS_MONEY.search(question))


def find_conflicts(chunks: Sequence[Chunk], question: str, answer: str = "") -> list[Conflict]:
    """Quantities for which ``chunks`` give different values (at most two, three values each).

    Args:
        chunks: Passages to compare, best first (duplicates are ignored).
        question: The user's question (decides which quantities are on topic).
        answer: The answer text so far; a quantity one of whose values it states (every
            figure of the value) is on topic too.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[Reading]] = {}
    for chunk in {c.chunk_id: c for c in chunks}.values():
        place = (place_of(chunk.regions) or "",)
        premise = place + tuple(sorted(set(extract_figures(without_years(chunk.title)))))
        for reading in find_readings(chunk):
            scope: tuple[str, ...] = () if reading.key in (BOUNDS, HOTLINE) else place
            scope = premise if reading.key.endswith("|元") else scope
            groups.setdefault((reading.key, scope), []).append(reading)
    stated = set(extract_figures(answer))
    conflicts = []
    for (key, _), readings in groups.items():
        conflicting = bool(found := _conflict(readings))
        found = found or _difference(readings)
        in_answer = any(set(extract_figures(r.value)) <= stated for r in found)
        if found and (in_answer or _on_topic(key, question)):
            conflicts.append(Conflict(found[0].label, tuple(found[:_MAX_VALUES]), conflicting))
    conflicts.sort(key=lambda c: not c.conflicting)
    if conflicts:
        logger.debug("differing figures: %s", [c.label for c in conflicts])
    return conflicts[:_MAX_CONFLICTS]


def _contradicts(a: Reading, b: Reading) -> bool:
    """Whether passages differ on one case: other values, no different known group or year."""
    same = same_cohort((a.group, a.year), (b.group, b.year))
    return same and a.value != b.value and a.chunk.chunk_id != b.chunk.chunk_id


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
    """The first reading per known group and year, if their values and passages differ."""
    first: dict[tuple[str, str], Reading] = {}
    for r in readings:
        if r.group or r.year:
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
            parts.append(conflict.label + ",".join(f"有的为{r.value}[{n}]" for n, r in pairs))
            continue
        groups = len({r.group for r in conflict.readings if r.group}) > 1
        years = len({r.year for r in conflict.readings if r.year}) > 1
        by |= {w for w, differ in (("人群", groups), ("年份", years)) if differ}
        what = conflict.label.removesuffix("金额")
        for n, r in pairs:  # a year is shown only where the cited sentence states it
            sentence = r.chunk.text[r.start - r.chunk.start : r.end - r.chunk.start]
            year = f"{r.year}年" if years and r.year and r.year in sentence else ""
            label = year + (r.group if groups else "")
            labelled.setdefault(label, []).append((n, what + r.value))
    notes = [f"注意:不同资料给出的数字不一致:{';'.join(parts)},以当地医保部门核定为准。"]
    shown = [label + _runs(v) for label, v in labelled.items()]  # labels as first met
    notes.append(f"注意:不同{'、'.join(sorted(by))}标准不同:{';'.join(shown)}。")
    return "".join(note for note, some in zip(notes, (parts, shown), strict=True) if some) or None


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
