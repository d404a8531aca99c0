"""Multi-turn conversations: turn an elliptical follow-up into a standalone retrieval query.

"那线下怎么办" after "医保码怎么激活" becomes "医保码怎么激活 线下怎么办"; "合肥呢" after
"南宁居民医保怎么交" becomes "合肥居民医保怎么交" (the place is swapped). A question that
stands on its own is left as it is.

Example:
    >>> contextualize("合肥呢", [Turn("user", "南宁居民医保怎么交")])
    '合肥居民医保怎么交'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.text.regions import find_regions
from qa.text.tokenizer import get_tokenizer
from qa.types import Turn


#: Openings that mark a question as continuing the previous one.
_FOLLOW_UP_START = re.compile(r"^(那|那么|那如果|如果是|还有|另外|再问|然后|换成|改成|要是)")
#: Words too generic to make a question standalone on their own.
_GENERIC = frozenset(
    "怎么办 怎么 如何 办理 可以 能 吗 呢 哪里 多少 什么 要 需要 线上 线下 网上 手机 "
    "流程 步骤 材料 时间 费用 钱 的 是 还 也 都 去 办 弄 交 带 准备 用 有 拿 找 查 问 几 "
    "哪些 条件 要求 东西 证件 多久 一下 具体".split()
)
_TRAILING = re.compile(r"[呢吗啊呀吧嘛的?？。!！,，\s]+$")


def _topic_terms(text: str) -> list[str]:
    regions = set(find_regions(text))
    return [t for t in get_tokenizer().tokenize(text) if t not in _GENERIC and t not in regions]


def _is_region_only(question: str) -> bool:
    """``合肥呢`` / ``那广州的呢`` / ``换成天津``: a place and nothing else."""
    stripped = _FOLLOW_UP_START.sub("", _TRAILING.sub("", question.strip()))
    regions = find_regions(stripped)
    if not regions:
        return False
    rest = stripped
    for name in sorted(regions, key=len, reverse=True):
        rest = re.sub(f"{re.escape(name)}(市|省|自治区)?", "", rest)
    return not _TRAILING.sub("", rest).strip("的")


def _swap_region(previous: str, question: str) -> str:
    new = find_regions(question)
    old = find_regions(previous)
    if not old:
        return f"{new[0]}{previous}"
    result = previous
    for name in old:
        result = re.sub(f"{re.escape(name)}(市|省|自治区)?", "", result)
    return f"{new[0]}{result}"


def needs_context(question: str) -> bool:
    """True when ``question`` reads as a follow-up (elliptical or opening with 那/还有 …)."""
    q = question.strip()
    if _is_region_only(q):
        return True
    if _FOLLOW_UP_START.match(q):
        return True
    return len(_topic_terms(q)) == 0


def contextualize(question: str, history: Sequence[Turn], max_turns: int = 6) -> str:
    """A standalone retrieval query for ``question`` given the previous turns.

    Only the user's own earlier questions are used (assistant text is never copied into the
    query). Earlier follow-ups are resolved first, so a chain of them keeps its topic.
    """
    previous: str | None = None
    user_turns = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    for earlier in user_turns[-max_turns:] if max_turns else []:
        previous = _resolve(earlier, previous)
    return _resolve(question.strip(), previous)


def _resolve(question: str, previous: str | None) -> str:
    if previous is None or not needs_context(question):
        return question
    if _is_region_only(question):
        return _swap_region(previous, question)
    follow = _FOLLOW_UP_START.sub("", question)
    return f"{previous} {follow}".strip()
