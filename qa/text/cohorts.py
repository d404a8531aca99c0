"""Whom and which year a figure is for: 儿童 or 普通居民, 2024 or 2025.

A figure's *group* and *year* are the ones named last before it in its sentence, else the first
right after it in its clause, else the only one its passage title names. Several words name one
group (少儿, 未成年人 → 儿童; 成年居民 → 普通居民; 60岁以上 → 老年人). Figures for different
known groups or years are for different cases, so they never conflict.

Example:
    >>> cohort_of("2025年合肥儿童医保个人年缴标准为380元", 18, "")
    ('儿童', '2025')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.types import Question

_GROUPS = {  # a group word → the name of the group
    **dict.fromkeys("儿童 少儿 小孩 未成年人 未成年 婴幼儿".split(), "儿童"),
    **dict.fromkeys("普通居民 成年居民 一般居民 成年人 成人 成年".split(), "普通居民"),
    **dict.fromkeys("老年人 老年 老人".split(), "老年人"),
    **{w: w for w in "大学生 中小学生 学生 新生儿 特困人员 低保对象 残疾人 退休人员".split()},
    **dict.fromkeys("灵活就业人员 灵活就业".split(), "灵活就业人员"),
    **{w[:2]: w for w in "特困人员 低保对象 残疾人 退休人员".split()},
}
#: Groups a question may ask a figure for, by name, with the words by which a passage is
#: about that group (a 职工 figure sits in 社保基数 / 社保缴费基数 / 单位 / 在职 passages).
ASKED_GROUPS: dict[str, tuple[str, ...]] = {
    "低保户": ("低保",),
    "职工": ("职工", "在职", "单位", "企业", "社保基数", "缴费基数"),
    "灵活就业人员": ("灵活就业",),
    "学生": ("学生",),
    "儿童": ("儿童", "少儿", "小孩", "孩子", "未成年", "婴幼儿", "新生儿", "0-18岁"),
    "退休人员": ("退休",),
    "特困人员": ("特困",),
    "残疾人": ("残疾",),
}
_ASKED_GROUP = re.compile(  # not after a negation: 35岁没上班 names no 职工
    r"(?<![没不非未无])(?<!不是)(?<!没有)"
    r"(低保|职工|在职|上班|灵活就业|学生|儿童|少儿|小孩|孩子|未成年|婴幼儿|新生儿|退休|特困|残疾)"
)
_GROUP_OF_WORD = {
    **dict.fromkeys(("低保",), "低保户"),
    **dict.fromkeys(("职工", "在职", "上班"), "职工"),
    "灵活就业": "灵活就业人员",
    "学生": "学生",
    **dict.fromkeys(("儿童", "少儿", "小孩", "孩子", "未成年", "婴幼儿", "新生儿"), "儿童"),
    "退休": "退休人员",
    "特困": "特困人员",
    "残疾": "残疾人",
}


def asked_groups(question: str) -> tuple[str, ...]:
    """The groups a question names (合肥低保户交多少 → 低保户), in order, as ASKED_GROUPS keys."""
    return tuple(dict.fromkeys(_GROUP_OF_WORD[m] for m in _ASKED_GROUP.findall(question)))


#: Who else pays, as a question asks it (公司那边每个月替我交多少, 政府每年补贴多少), with the
#: words a passage about that payer's share holds.
PAYERS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "单位": (
        re.compile(
            r"(?:公司|单位|企业|老板)(?:那边|那头|方面)?[^,，。？?]{0,6}(?:交|缴|出|承担|扣)"
            r"|(?:公司|单位|企业|老板)[^,，。？?]{0,10}(?:给我|替我|帮我)(?:交|缴|出)"
        ),
        ("单位", "企业", "公司"),
    ),
    "财政": (
        re.compile(r"(?:政府|财政|国家)[^,，。？?]{0,6}(?:补贴|补助|给|补)|补贴多少|补助多少"),
        ("财政", "补助", "补贴", "政府"),
    ),
}


def group_words(groups: Sequence[str]) -> list[str]:
    """The words by which a passage is about any of ``groups`` (``ASKED_GROUPS`` keys)."""
    return [w for group in groups for w in ASKED_GROUPS.get(group, ())]


def asked_payers(question: str) -> tuple[str, ...]:
    """Other payers a question asks about (公司那边交多少 → 单位), as PAYERS keys."""
    return tuple(payer for payer, (asks, _) in PAYERS.items() if asks.search(question))


_GROUP = re.compile("|".join(sorted(_GROUPS, key=len, reverse=True)) + r"|\d{2}周?岁以上")
_YEAR = re.compile(r"(?<![\d.])20\d\d(?:\s*[-–—至~]\s*20\d\d)?(?=\s*年)")
_CLAUSE_END = re.compile("[,，;；。]")


def _named(pattern: re.Pattern[str], sentence: str, at: int, title: str) -> str:
    """What ``pattern`` names for the figure at ``at`` (see the module docstring), or ""."""
    clause = _CLAUSE_END.split(sentence[at:], maxsplit=1)[0]
    near = pattern.findall(sentence, 0, at)[-1:] or pattern.findall(clause)[:1]
    named = {_GROUPS.get(word, word) for word in pattern.findall(title)}
    return near[0] if near else named.pop() if len(named) == 1 else ""


def cohort_of(sentence: str, at: int, title: str) -> tuple[str, str]:
    """(group, year) of the figure at offset ``at`` of ``sentence``; "" where unknown.

    Args:
        sentence: The sentence stating the figure.
        at: Offset of the figure in ``sentence``.
        title: Title of the passage (with its heading).
    """
    group = _named(_GROUP, sentence, at, title)
    year = re.sub(r"\s", "", _named(_YEAR, sentence, at, title))
    return (_GROUPS.get(group, "老年人") if group else "", year)


def same_cohort(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Whether two (group, year) may be the same: no different known group or year."""
    return all(not x or not y or x == y for x, y in zip(a, b, strict=True))


def without_years(text: str) -> str:
    """``text`` without the years it names (``2025年`` → ``年``)."""
    return _YEAR.sub("", text)


_CN_TENS = {c: 10 * (i + 1) for i, c in enumerate("一二三四五六七八九")}
_ASKED_AGE = re.compile(
    r"(\d{1,3})\s*多?周?岁|(\d)0多|([二三四五六七八九])十多?岁?|(?<![\d.])([1-9]\d)了"  # 我爸71了
)
_AGE_RANGES = (  # (pattern, lowest age, highest age) from the groups of a match
    (re.compile(r"(\d{1,3})\s*[-–—至~到]\s*(\d{1,3})\s*周?岁"), lambda m: (int(m[1]), int(m[2]))),
    (
        re.compile(r"(?:超过|年满|满)(\d{1,3})周?岁[^\d]{0,3}不满(\d{1,3})周?岁"),
        lambda m: (int(m[1]), int(m[2]) - 1),
    ),
    (re.compile(r"(\d{1,3})\s*周?岁(?:及)?以上"), lambda m: (int(m[1]), 200)),
    (
        re.compile(r"不满(\d{1,3})\s*周?岁|(\d{1,3})\s*周?岁以下"),
        lambda m: (0, int(m[1] or m[2]) - 1),
    ),
)


def asked_age(question: str) -> int | None:
    """The age a question names (35岁, 60多了, 六十多岁, 71了), or None."""
    m = _ASKED_AGE.search(question)
    if m is None:
        return None
    if m[1] or m[4]:
        return int(m[1] or m[4])
    return int(m[2]) * 10 if m[2] else _CN_TENS[m[3]]


def fits_age(text: str, age: int) -> bool | None:
    """Whether the age group ``text`` names (60-69周岁, 70周岁以上, 超过18周岁、不满60周岁)
    holds ``age``; None when it names no age group."""
    for pattern, bounds in _AGE_RANGES:
        if m := pattern.search(text):
            low, high = bounds(m)
            return low <= age <= high
    return None


#: The insurance items a deduction lists, as a question names one (养老那块, 医疗保险).
_ITEMS = {
    "养老": r"养老(?!金)",
    "医疗": r"(?<!大病)医疗(?!费|机构|保障|救助|服务|待遇)",
    "失业": r"失业",
    "工伤": r"工伤",
    "生育": r"生育",
    "大病": r"大病",
    "公积金": r"公积金",
}
_ASKED_ITEM = {name: re.compile(pattern) for name, pattern in _ITEMS.items()}
#: How a question names an item, where it differs from a line: 医保 for the 医疗保险 deduction.
_ITEM_ASKED = {
    **_ASKED_ITEM,
    "医疗": re.compile(rf"{_ITEMS['医疗']}|医保(?![卡码]|个人账户|账户|个账)"),
}


def asked_item(question: str) -> re.Pattern[str] | None:
    """The one insurance item a question names (德州基数15500医疗保险个人扣多少 → 医疗; 廊坊
    工资九千五按基数交,医保个人每月扣多少 → 医疗), as a pattern a line naming it matches; None
    for none or several."""
    asked = [name for name, cue in _ITEM_ASKED.items() if cue.search(question)]
    return _ASKED_ITEM[asked[0]] if len(asked) == 1 else None


def line_fit(question: Question, text: str, parent: str) -> tuple[int, bool, int, int]:
    """How well a line states the figure asked for, as a lead sorts it: (its age group holds the
    asked age: 1, or not: −1; it names the one insurance item asked; for an amount question, it
    names an asked group; whose share it is — an asked payer's 1, the state's unasked −1:
    深圳小孩一年自己出多少 is not answered by the 财政补助 line under its heading; 单位 is too
    often part of a name, 事业单位人员, to count unasked). ``parent``: the line it is an item of."""
    age = asked_age(question.text)
    found = None if age is None else fits_age(text, age)
    fits = 0 if found is None else 1 if found else -1
    if question.kind != "amount":
        return fits, False, 0, 0
    item = asked_item(question.text)
    named = group_words(question.groups)
    said = {p for p, (_, words) in PAYERS.items() if any(w in text + parent for w in words)}
    unasked = "财政" in said - {*question.payers} and "个人" not in text  # 个人380元,财政补贴1800元
    share = 1 if said & set(question.payers) else -1 if unasked else 0
    return fits, bool(item and item.search(text)), int(any(w in text for w in named)), share


#: Where care is given (住院, 门诊, 产检): a figure asked for one must be about it, and a passage
#: about one the question does not name is about another matter.
CARE_SETTINGS = {
    "住院": re.compile(r"住院"),
    "门诊": re.compile(r"门诊"),
    "产检": re.compile(r"产检|孕检|产前检查"),
}


def other_settings(question: str, text: str) -> tuple[str, ...]:
    """The places of care ``text`` names that ``question`` does not (医保家庭共济可以用于产检吗,
    asked 家庭共济怎么绑 → ``("产检",)``)."""
    return tuple(
        name for name, cue in CARE_SETTINGS.items() if cue.search(text) and not cue.search(question)
    )
