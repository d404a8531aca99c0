"""Figures (numbers) in answer text, and whether cited quotes support them.

A figure is an integer or decimal with an optional ``%`` (``400``, ``0.3%``, ``2024``), or a
range of two such joined by ``-``/``~``/``–``/``—``/``至``/``到`` (``60%-80%``), the same
definition as the evaluation's figure-faithfulness metric. Before matching, text is
NFKC-normalised (full-width digits become ASCII), ``[n]`` citation markers are removed,
thousands separators are dropped (``15,500`` → ``15500``) and whitespace is removed, except
that whitespace between two digits becomes a boundary (``1627.5 15500`` stays two figures).
Chinese numerals (三个月) are not figures. Dates are figures too (``2025-04-18`` gives
``2025-04`` and ``18``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

#: A line stating a rate (8%, 0.3％): what a 几个点 / 比例 question needs.
STATES_RATE = re.compile(r"\d+(?:\.\d+)?\s*[%％]")
_CN = "一二两三四五六七八九十"  # numerals written in characters
#: Asking a number of people (最多绑几个人), and a line stating one.
ASKS_COUNT = re.compile(r"(?:几|多少)(?:个|位|名)?(?:人|家属|家人|亲属)")
STATES_COUNT = re.compile(rf"(?:\d+|[{_CN}]+)\s*(?:个|位|名)?(?:人|家属|家人|亲属)|不限")
#: Asking an age (孩子几岁以后) or a number of years (最多能往前补几年), and what states one.
ASKS_AGE = re.compile(r"几岁|多少岁|多大(?:年纪|岁数|的(?:小孩|孩子|人))")
STATES_AGE = re.compile(rf"[\d{_CN}]+\s*周?岁|成年")
ASKS_YEARS = re.compile(r"(?<!好)几年|多少年(?!前)")
STATES_YEARS = re.compile(rf"(?<!\d)\d{{1,2}}\s*年(?![\d级])|[{_CN}]+\s*年(?!级)|年限")
#: Asking how long something takes (几天能审核通过, 多久能到账), and a line stating a span: a
#: number of days, weeks, months or hours (not a date: 1月1日), or at once (即时, 当天).
ASKS_SPAN = re.compile(r"(?:几|多少)个?(?:天|工作日|周|星期|小时)|多久|多长时间")
STATES_SPAN = re.compile(
    r"(?<![月\d])\d+\s*(?:个工作日|天|日(?![期起])|周(?!岁)|星期|小时|分钟)|\d+\s*个月|(?<!\d)\d{1,2}\s*年(?!\d)"
    r"|[一二两三四五六七八九十半]+(?:个工作日|天|日|周|个星期|小时|个月|年)|即时|当天|当日|次日|立即|实时"
)
#: How long a step takes to be processed (提交以后多久生效, 几天能审核通过), not a deadline
#: (多久之内办好) nor a date (啥时候到账); and a line stating such a duration.
_DONE = "批|审核|审批|通过|办好|办完|下来|到账|生效|完成|拿到|转好"
_HOW_LONG = "几天|多少天|几个工作日|多久|多长时间"
ASKS_PROCESSING = re.compile(
    rf"(?:{_HOW_LONG})(?!之内|以内|内)[^,，。？?]{{0,6}}(?:{_DONE})"
    rf"|(?:{_DONE})[^,，。？?]{{0,4}}(?:{_HOW_LONG})"
)
STATES_PROCESSING = re.compile(rf"\d+\s*个?工作日|即时|当天|当场|\d+\s*天|[{_CN}]+天")
#: A question about making up missed payments (its time is a 补缴 one, not 集中缴费's).
ASKS_MAKE_UP = re.compile(r"补缴|补交|错过")
#: A question asking by when (最晚几号, 截止到哪天; not 最晚多少天内: a span), and a line
#: stating a date or a deadline.
ASKS_DEADLINE = re.compile(
    r"^(?!.*(?:多久|多少天|几天|多长时间|几个月|[之以天日]内)).*(?:最晚|最迟|截止|几号|哪天|之前)"
)
STATES_DATE = re.compile(r"\d+\s*月\s*\d+\s*[日号]|截止|月底|月末|年底")
#: How long after paying the cover starts (交了多久能用, 多久可以报销), and a line stating a
#: waiting period or the day cover starts.
ASKS_WAIT = re.compile(
    r"(?:多久|多长时间|几个月|什么时候|啥时候?)(?:才|就)?(?:能|可以)?(?:用|报|享受)"
)
STATES_WAIT = re.compile(r"等待期|需等待|等待\d|起享|次月起|可正常使用|开始享受|享受期")
#: A time question's (asks, states) pairs, tried in order (``time_cue``).
_TIME_PAIRS = (
    (ASKS_DEADLINE, STATES_DATE),  # 最晚几号: a date, not a 3-month waiting period
    (ASKS_PROCESSING, STATES_PROCESSING),  # 几天能批下来: days, not a waiting period
    (ASKS_WAIT, STATES_WAIT),  # 交了多久能用: the waiting period, not a 断缴 rule
)


def time_cue(text: str) -> re.Pattern[str] | None:
    """What a line should state to answer a time question ``text`` more precisely than any
    date or duration, or None."""
    return next((states for asks, states in _TIME_PAIRS if asks.search(text)), None)


_MARKER = re.compile(r"\[\d+\]")
_NUM = r"\d+(?:\.\d+)?%?"
_FIGURE = re.compile(rf"{_NUM}(?:[-~–—至到]{_NUM})?")
_RANGE_SEP = re.compile(r"[-~–—至到]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DIGIT_GAP = re.compile(r"(?<=\d)\s+(?=\d)")
_WHITESPACE = re.compile(r"\s+")
_BOUNDARY = "|"  # never part of a figure


def figure_text(text: str) -> str:
    """``text`` as figures are matched in: NFKC, no markers, separators and whitespace."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _MARKER.sub(_BOUNDARY, text)
    text = _DIGIT_GAP.sub(_BOUNDARY, text)
    text = _WHITESPACE.sub("", text)
    return _THOUSANDS.sub("", text)


def extract_figures(text: str) -> list[str]:
    """Figures in ``text``, left to right (duplicates kept).

    Example:
        >>> extract_figures("个人缴费400元[1],比例0.3%~1%,１２３３３")
        ['400', '0.3%~1%', '12333']
    """
    return _FIGURE.findall(figure_text(text))


def _appears(figure: str, sources: Sequence[str]) -> bool:
    """``figure`` occurs in a source, not glued to further digits (400 is not in 4000, 5 is
    not in 0.5; 12333 is in si.12333.gov.cn)."""
    pattern = re.compile(rf"(?<!\d)(?<!\d\.){re.escape(figure)}(?!\d|\.\d)")
    return any(pattern.search(source) for source in sources)


def figure_supported(figure: str, quotes: Sequence[str]) -> bool:
    """Whether ``figure`` occurs verbatim in one of ``quotes`` (a range also when each end does).

    Args:
        figure: One figure as returned by :func:`extract_figures`.
        quotes: Texts that may support it (normalised here).
    """
    return _supported(figure, [figure_text(q) for q in quotes])


def _supported(figure: str, sources: Sequence[str]) -> bool:
    if _appears(figure, sources):
        return True
    parts = [part for part in _RANGE_SEP.split(figure) if part]
    return len(parts) > 1 and all(_appears(part, sources) for part in parts)


def unsupported_figures(text: str, quotes: Sequence[str]) -> list[str]:
    """Figures of ``text`` that no quote supports, in order, without duplicates.

    Example:
        >>> unsupported_figures("每人400元,补助670元", ["个人缴费400元/人"])
        ['670']
    """
    sources = [figure_text(q) for q in quotes]
    missing = [f for f in extract_figures(text) if not _supported(f, sources)]
    return list(dict.fromkeys(missing))


_DAY = re.compile(r"(?<!\d)\d{1,2}月\d{1,2}日")


def stated_days(text: str) -> frozenset[str]:
    """The days of the year ``text`` names (``9月1日``, ``12月31日``): a line naming the same
    two or more days as the answer already does restates a period (集中缴费期为9月1日至…)."""
    return frozenset(_DAY.findall(_WHITESPACE.sub("", text)))
