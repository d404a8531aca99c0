"""Multi-turn conversations: turn an elliptical follow-up into a standalone question.

"那线下怎么办" after "医保码怎么激活" becomes "医保码怎么激活 线下怎么办"; "合肥呢" after
"南宁居民医保怎么交" becomes "合肥居民医保怎么交" (the place is swapped). A question that
stands on its own is left as it is — also when it opens with 那 ("那家庭共济怎么绑定").

A question is a follow-up when it is only a place, when it has no topic word of its own
(its words are all generic 医保 words or ``[follow_up]`` words of ``data/intent_terms.toml``:
the other party, a channel, materials, time), or when it opens with 那/还有/如果是 … and is
not a full 医保 question of its own, or when it points back (这个, 也是, 她 …) without being one.

Example:
    >>> contextualize("合肥呢", [Turn("user", "南宁居民医保怎么交")])
    '合肥居民医保怎么交'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from qa.refusal.intent import classify_intent, load_vocabulary
from qa.text.normalize import fold
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
#: Single-character verbs that name a topic of their own ("医保卡丢了怎么办", "转医保要多久",
#: "老婆的医保能和我的绑一起用吗" are new questions, not follow-ups).
_TOPIC_VERBS = frozenset("丢转绑补退停断迁挂领取扣续冻解")
#: Words that make a question ask something (a full question has one).
_ASKS = re.compile(r"怎么|怎样|如何|多少|哪|什么|吗|能不能|可不可以|可以|是否|几")
#: A 医保 thing and something done with it: "微信上怎么给爸妈交医保", "医保码在支付宝里怎么弄出来"
#: ask about that thing themselves, though every word of theirs is generic or a channel.
_THING, _ACTION = "(?:医保|社保|电子凭证)", "(?:交|缴|激活|弄|开通|申领|领|办|查|绑|转|报)"
_THING_AND_ACTION = re.compile(
    f"{_THING}[码卡]?.{{0,12}}?{_ACTION}|{_ACTION}[^,，。?？]{{0,6}}{_THING}"
)
_TRAILING = re.compile(r"[呢吗啊呀吧嘛的?？。!！,，\s]+$")
#: Words that point back at the previous question ("也是这个价吗", "她能办吗").
_POINTS_BACK = re.compile(r"这个|那个|这样|那样|也是|也能|也可以|也要|也得|同样|她|他|它")


@dataclass(frozen=True)
class Resolved:
    """A question made standalone.

    Attributes:
        text: The standalone question.
        follow_up: It was resolved against an earlier user turn.
        inherits: Its own words name nothing but places, generic and follow-up words, or
            point back at the previous question, so the earlier topic also decides its intent
            ("那线下怎么办", "大学生也是这个价吗" are about 医保 too).
    """

    text: str
    follow_up: bool = False
    inherits: bool = False


@cache
def _plain_words() -> tuple[str, ...]:
    """Generic and follow-up words, longest first (so 多长时间 goes before 时间)."""
    vocab = load_vocabulary()
    return tuple(sorted({*vocab.follow_up, *vocab.generic, *_GENERIC}, key=len, reverse=True))


def _own_topic_terms(text: str) -> list[str]:
    """Words left in ``text`` once places, generic and follow-up words go: of 2+ characters,
    or a topic verb in a question that names 医保 itself ("绑我儿子有啥要求" stays a follow-up)."""
    rest = fold(text)
    for word in (*find_regions(rest), *_plain_words()):
        rest = rest.replace(word, " ")
    tokens = get_tokenizer().tokenize(rest)
    verbs = _TOPIC_VERBS if classify_intent(text) == "insurance" else frozenset()
    return [t for t in tokens if len(t) > 1 or t in verbs]


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


def _drop_regions(text: str) -> str:
    for name in find_regions(text):
        text = re.sub(f"{re.escape(name)}(市|省|自治区)?", "", text)
    return text


def _swap_region(previous: str, question: str) -> str:
    return f"{find_regions(question)[0]}{_drop_regions(previous)}"


def _is_full_question(text: str) -> bool:
    """A 医保 question with a question word and two topic words of its own."""
    return (
        classify_intent(text) == "insurance"
        and bool(_ASKS.search(text))
        and len(set(_own_topic_terms(text))) >= 2
    )


def is_elliptical(question: str) -> bool:
    """True when ``question`` names nothing but places, generic and follow-up words, and does
    not ask about doing something with a 医保 thing of its own (交医保, 激活医保码)."""
    if _is_region_only(question):
        return True
    return not _own_topic_terms(question) and not _THING_AND_ACTION.search(question)


def needs_context(question: str) -> bool:
    """True when ``question`` reads as a follow-up (elliptical, or 那/还有 … and not full)."""
    q = fold(question)
    if is_elliptical(q):
        return True
    opener = _FOLLOW_UP_START.match(q)
    if opener or _POINTS_BACK.search(q):
        return not _is_full_question(q[opener.end() :] if opener else q)
    return False


def resolve(question: str, history: Sequence[Turn], max_turns: int = 6) -> Resolved:
    """The standalone form of ``question`` given the previous turns.

    Only the user's own earlier questions are used (assistant text is never copied into the
    question). Earlier follow-ups are resolved first, so a chain of them keeps its topic.
    """
    previous: str | None = None
    user_turns = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    for earlier in user_turns[-max_turns:] if max_turns else []:
        previous = _resolve_one(earlier, previous).text
    return _resolve_one(question.strip(), previous)


def contextualize(question: str, history: Sequence[Turn], max_turns: int = 6) -> str:
    """The standalone text of ``question`` (see :func:`resolve`)."""
    return resolve(question, history, max_turns).text


def _resolve_one(question: str, previous: str | None) -> Resolved:
    if previous is None or not needs_context(question):
        return Resolved(question)
    inherits = is_elliptical(fold(question)) or bool(_POINTS_BACK.search(question))
    if _is_region_only(question):
        return Resolved(_swap_region(previous, question), True, inherits)
    follow = _FOLLOW_UP_START.sub("", question)
    if find_regions(follow):  # "那武汉一年交多少": the new place replaces the old one
        previous = _drop_regions(previous)
    return Resolved(f"{previous} {follow}".strip(), True, inherits)
