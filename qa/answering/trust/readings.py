"""Readings: the values passages state for a quantity, found in code (no model).

A *reading* is one value a passage states for a quantity, keyed by the cue right before the
number in the same sentence:

* an insurance item (养老保险, 失业保险 …) with a role (个人/单位; unstated = 个人, as these
  pages list deductions) and a unit (``%`` or ``元``), e.g. ``失业保险 :个人缴费比例为0.3%``;
* a payer alone (个人/单位/财政) and ``元``, e.g. ``个人年缴标准为380元``;
* 缴费基数 bounds, e.g. ``基数范围为2850元…至14250元`` or ``上限 :22078元 下限 :4416元``;
* a 123xx service hotline named with 热线/客服/电话;
* the monthly credit to a 医保个人账户, e.g. ``医保卡每月返还金额约为310元``;
* a waiting period before benefits, e.g. ``补缴后需等待2个月`` or ``3个月的待遇享受等待期``;
* a monthly pension range, e.g. ``退休工资约为2800-3500元/月``.

A reading may be for a group or year (:mod:`qa.text.cohorts`); only the first per key,
group and year in a passage counts. An amount also records its *premise*: the numbers its
passage title states, years aside (a 基数15500 page computes another case than a 基数15700
page). :mod:`qa.answering.trust.conflicts` compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from qa.text.cohorts import cohort_of, without_years
from qa.text.figures import extract_figures
from qa.types import Chunk

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_ITEMS: tuple[str, ...] = ("大病医疗保险", "养老保险", "医疗保险", "失业保险")
_ITEMS += ("工伤保险", "生育保险", "大病保险", "公积金")
_SHORT_ITEMS = ("养老", "医疗", "失业", "工伤", "生育")
_SHORT = rf"(?:{'|'.join(_SHORT_ITEMS)})(?=\s*\d)"  # 养老776元+医疗194元+失业19.4元
_BOTH = r"工伤(?:保险)?/生育(?:保险)?"  # one amount for the two: 工伤/生育146元
_CUE = re.compile("|".join((_BOTH, *_ITEMS, _SHORT, "个人(?!账户)", "单位", "企业", "财政")))
_VALUE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|％|元)(?!\s*[×x*])")
_OPEN = re.compile(r"[(（][^()（）]*$")  # the parenthesis a value is listed in, if open
_BREAK = re.compile(r"[,，。;；]")
_RATE_THEN_SUM = re.compile(r"\s*[:：]?\s*\d+(?:\.\d+)?\s*[%％]\s*[(（]")
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
_ACCOUNT = re.compile(
    r"(?:医保卡|个人账户)[^,，。;；\d]{0,10}?(?:划入|返还|返款|划拨|到账)[^,，。;；\d]{0,8}?"
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*元(?!\s*[×x*/])"
)
_MONTHS = r"(\d+(?:\s*[-–~至]\s*\d+)?)\s*个月(?!以上|以下|内)"
_WAIT = re.compile(
    rf"等待期?[^,，。;；\d]{{0,10}}?{_MONTHS}"
    rf"|{_MONTHS}的?(?:待遇)?(?:享受)?等待期"
    rf"|{_MONTHS}(?:后|可|才能)+(?:正常使用|享受|恢复)"
)
_PENSION = re.compile(
    r"(?:养老金|退休工资|退休金|社保待遇)[^。;；\d]{0,48}?(?<![\d.])(\d+)\s*元?\s*[-–~至到]\s*(\d+)\s*元"
)
_ASKS_PENSION = re.compile(r"退休(?:后|以后)?(?:工资|金|待遇)|养老金|能拿多少|能领多少|拿多少钱")
_ASKS_MONEY = re.compile(r"多少钱|交多少|缴多少|扣多少|费用|金额|标准|一年|每年|每月")
_ASKS_WAIT = re.compile(r"多久|多长时间|等待|几个月|什么时候(?:能|可以|才能|才)")
_ASKS_ACCOUNT = re.compile(
    r"(?:医保卡|个人账户)[^,，。？?]{0,12}(?:每月|每个月|划|进钱|进多少|返|打钱|到账)"
    r"|(?:每月|每个月|划|返)[^,，。？?]{0,12}(?:医保卡|个人账户)"
)

BOUNDS, HOTLINE = "缴费基数上下限", "咨询电话"
ACCOUNT, WAIT, PENSION = "医保个人账户每月划入金额", "待遇等待期", "退休后每月养老金"
#: Often quoted in passing: compared only when the question asks for them.
ASKED_ONLY = frozenset((ACCOUNT, WAIT, PENSION))
#: What a question says when it asks for a quantity not keyed by an item and payer.
_ASKS = {
    BOUNDS: re.compile("上限|下限|上下限|范围|基数"),
    HOTLINE: re.compile("热线|电话|客服|号码"),
    WAIT: _ASKS_WAIT,
    ACCOUNT: _ASKS_ACCOUNT,
    PENSION: _ASKS_PENSION,
}


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
        premise: For an amount, the numbers its passage title states, years aside.
    """

    key: str
    label: str
    value: str
    chunk: Chunk
    start: int
    end: int
    group: str = ""
    year: str = ""
    premise: tuple[str, ...] = ()

    @property
    def sentence(self) -> str:
        """The stating sentence (without its list marker)."""
        return self.chunk.text[self.start - self.chunk.start : self.end - self.chunk.start]


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
        found.extend(r for m in _VALUE.finditer(sentence) if (r := _item_reading(sentence, m)))
    if re.search("范围|上限|下限", sentence):
        bound = _BOUND_RANGE.search(sentence)
        low, high = _LOWER.search(sentence), _UPPER.search(sentence)
        pair = (bound[1], bound[2]) if bound else (low[1], high[1]) if low and high else None
        if pair and float(pair[0]) < float(pair[1]):
            at = cast("re.Match[str]", bound or low).start()
            found.append((BOUNDS, f"{pair[0]}元至{pair[1]}元", at))
    if _HOTLINE_CUE.search(sentence):
        found.extend((HOTLINE, m[1], m.start()) for m in _HOTLINE.finditer(sentence))
    found.extend((ACCOUNT, m[1] + "元", m.start(1)) for m in _ACCOUNT.finditer(sentence))
    found.extend((PENSION, f"{m[1]}-{m[2]}元", m.start(1)) for m in _PENSION.finditer(sentence))
    for m in _WAIT.finditer(sentence):
        at = next(i for i in (1, 2, 3) if m[i])
        found.append((WAIT, re.sub(r"\s", "", m[at]).replace("至", "-") + "个月", m.start(at)))
    return found


def _item_reading(sentence: str, m: re.Match[str]) -> tuple[str, str, int] | None:
    """The (key, value, offset) of an item's or payer's amount or rate at ``m``, or None."""
    cues = [c for c in _CUE.finditer(sentence) if c.end() <= m.start()]
    last_item = next((c for c in reversed(cues) if _item(c[0])), None)
    last_role = next((c for c in reversed(cues) if not _item(c[0])), None)
    item = _item(last_item[0]) if last_item and _reaches(sentence, last_item, m) else ""
    role = last_role[0] if last_role and _reaches(sentence, last_role, m) else ""
    opened = _OPEN.search(sentence, 0, m.start())  # 单位合计缴纳约2426.5元(养老1552元…)
    if not role and last_role and opened and opened.start() > last_role.end():
        role = last_role[0] if not _BREAK.search(sentence, last_role.end(), opened.start()) else ""
    role = "单位" if role == "企业" else role
    unit = "%" if m[2] in "%％" else "元"
    if not item and (not role or unit == "%"):
        return None  # a payer's bare percentage is too ambiguous to compare
    return f"{item}|{role or '个人'}|{unit}", m[1] + unit, m.start()


def _item(cue: str) -> str:
    """The insurance item a cue names (``失业`` → ``失业保险``), or "" for a payer."""
    if "/" in cue:
        return "工伤/生育保险"
    return cue if cue in _ITEMS else f"{cue}保险" if cue in _SHORT_ITEMS else ""


def _reaches(sentence: str, cue: re.Match[str], value: re.Match[str]) -> bool:
    """Whether ``cue`` qualifies ``value``: close, with no clause break or number between, or
    only its rate with the sum in brackets (失业保险1%(157元))."""
    gap = sentence[cue.end() : value.start()]
    return len(gap) <= 12 and not _GAP_BREAK.search(gap) or bool(_RATE_THEN_SUM.fullmatch(gap))


def find_readings(chunk: Chunk) -> list[Reading]:
    """The first reading per quantity key, group and year stated in ``chunk``, in text order."""
    readings: dict[tuple[str, str, str], Reading] = {}
    premise = tuple(sorted(set(extract_figures(without_years(chunk.title)))))
    for m in _SENTENCE.finditer(chunk.text):
        for key, value, at in _keyed(m[0]):
            marker = cast("re.Match[str]", _MARKERS.match(m[0]))  # all optional: always matches
            start, end = chunk.start + m.start() + marker.end(), chunk.start + m.end()
            group, year = cohort_of(m[0], at, chunk.title)
            label = _label(*key.split("|")) if "|" in key else key
            amount = key.endswith("|元") or key in (ACCOUNT, PENSION)
            reading = Reading(
                key, label, value, chunk, start, end, group, year, premise if amount else ()
            )
            readings.setdefault((key, group, year), reading)
    return list(readings.values())


def on_topic(key: str, question: str) -> bool:
    """Whether ``question`` asks about the quantity ``key`` names."""
    if asks := _ASKS.get(key):
        return bool(asks.search(question))
    item, _, unit = key.split("|")
    if item:
        return item[:2] in question
    return unit == "元" and bool(_ASKS_MONEY.search(question))
