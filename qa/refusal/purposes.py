"""Refusals for answers about another matter: materials for another purpose, what follows
the asked procedure instead of the procedure, or one of two things a comparison asks about.

Example:
    >>> lines = ["申请异地就医备案后,您可以按照以下步骤进行就医:"]
    >>> unanswered_stage(understand("异地就医备案怎么申请"), lines)
    '异地就医备案'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.text.figures import ASKS_SPAN, STATES_SPAN
from qa.text.normalize import fold
from qa.text.synonyms import get_synonyms
from qa.text.tokenizer import domain_terms
from qa.types import Question

#: What a list of materials can be for, beyond enrolling and paying: (asked, said) patterns.
#: Each purpose the question asks about must be named by a quoted line (住院报销要带什么 is not
#: answered by the materials to enrol).
_PURPOSES = {
    "住院": (re.compile(r"住院"), re.compile(r"住院")),
    "报销": (re.compile(r"报销|报账"), re.compile(r"报销|报账|结算")),
    "备案": (re.compile(r"备案"), re.compile(r"备案")),
    "看病": (re.compile(r"看病|(?<!异地)就医|就诊"), re.compile(r"看病|就医|就诊|门诊|住院")),
    **{word: (re.compile(word), re.compile(word)) for word in ("停保", "制卡")},
    "补办": (re.compile(r"补办|补卡|补领"), re.compile(r"补办|补卡|补领")),
}


def unanswered_purposes(question: Question, lines: Sequence[str]) -> tuple[str, ...]:
    """What a materials question wants the materials for (住院, 报销, 备案, 看病, 停保, 制卡,
    补办) that no quoted line names, else ``()``.

    Args:
        question: The understood question.
        lines: The answer's quoted lines (trust notes left out).
    """
    if question.kind != "materials":
        return ()
    return _asked_unsaid(_PURPOSES, question.text, "\n".join(lines))


def _asked_unsaid(
    table: dict[str, tuple[re.Pattern[str], re.Pattern[str]]], asked_in: str, said_in: str
) -> tuple[str, ...]:
    """The names of ``table`` (name → (asked, said) patterns) ``asked_in`` asks about and
    ``said_in`` does not say."""
    return tuple(
        name
        for name, (asked, said) in table.items()
        if asked.search(asked_in) and not said.search(said_in)
    )


def _named(term: str, folded: str) -> bool:
    """Whether ``folded`` (a folded text) names ``term`` itself or one of its synonyms."""
    return any(fold(v) in folded for v in get_synonyms().variants(term))


#: How a line speaks of what follows a step: 备案后, 激活之后, 补缴以后.
_AFTER = r"(?:之后|以后|后)"
#: A question about a step already taken (备案办好了, 已经激活, 办好了备案) asks what follows it.
_DONE_AFTER = r"(?:之后|以后|后|了|完|过|好)"
#: Words naming a step one takes (the term must end in one: 异地就医备案, not 医保码).
_STEP = re.compile(
    r"(?:备案|激活|绑定|解绑|补缴|缴费|参保|登记|转移|接续|变更|申请|申领|注册|认证|报销|结算|停保|补办|挂失)$"
)
_DONE_BEFORE = r"(?:已经|已|办好了?|办完了?|做好了?|弄好了?)[^,，。?？!！]{0,8}"


def unanswered_stage(question: Question, lines: Sequence[str]) -> str:
    """The step a how-to, where or materials question asks about when every quoted line naming
    it speaks only of what follows it (异地就医备案怎么申请, 异地就医备案需要什么材料 answered with
    申请异地就医备案后……就医的流程), else "".

    The longest such term of the question is returned; a question about the step taken
    (备案后怎么报销, 办好了备案……到医院怎么弄) asks what follows it and is answered.

    Args:
        question: The understood question.
        lines: The answer's quoted lines (trust notes left out).
    """
    if question.kind not in ("how", "where", "materials"):
        return ""
    text = "\n".join(lines)
    for term in sorted(set(question.content_terms), key=len, reverse=True):
        word = re.escape(term)
        done = f"{word}{_DONE_AFTER}|{_DONE_BEFORE}{word}"
        if not _STEP.search(term) or re.search(done, question.text):
            continue
        said = [m.end() for m in re.finditer(word, text)]
        if said and all(re.match(_AFTER, text[at:]) for at in said):
            return term
    return ""


#: Last characters of a thing compared (实体卡, 医保码) when it is not a domain term.
_THING = frozenset("金费险卡证码")
#: A verb or pronoun before a thing compared (用医保码看病, 刷实体医保卡).
_ACT = re.compile(r"^(?:用|刷|拿|去|在|是|的|我|交|办)+")
#: A question comparing two things: 医保码和医保卡有什么区别, A跟B是一回事吗.
_COMPARED = re.compile(
    r"(\w{2,12}?)(?:和|与|跟|同)(\w{2,12}?)(?:[,，\s]\w{0,8}?)?(?:之间)?(?:有|是)?(?:什么|啥|哪些)?"
    r"(?:区别|不同|不一样|差别|差异|一回事|一样)"
)


def unanswered_comparison(question: Question, primary: str) -> tuple[str, str] | None:
    """The two things a comparison question names when the answer's primary unit (its title
    and the lines quoted before any 另外) does not name both, else None: 医保码和医保卡有什么区别
    is not answered by a passage about 医保卡 alone.

    Each side is the longest stretch next to the conjunction (我想问医保码 → 医保码, 实体卡报销比例
    → 实体卡) that is a domain term or names a card, fee, insurance … (实体卡), named by itself
    or a synonym (医保码: 医保电子凭证); a side naming none (我和朋友, 今年跟去年) is no
    comparison of things.

    Args:
        question: The understood question.
        primary: The primary unit's title and quoted lines.
    """
    found = _COMPARED.search(question.text)
    if not found:
        return None
    things = domain_terms()  # things of the trade only: not 我和朋友, 今年跟去年

    def thing(word: str) -> bool:
        return len(word) >= 2 and (word in things or word[-1] in _THING)

    before, after = found.groups()  # the thing next to 和: 电子医保卡 | 实体卡(报销比例)
    left = [_ACT.sub("", before[i:j]) for j in range(len(before), 1, -1) for i in range(j - 1)]
    right = [
        _ACT.sub("", after[i:j])
        for i in range(len(after) - 1)
        for j in range(len(after), i + 1, -1)
    ]
    left, right = [w for w in left if thing(w)], [w for w in right if thing(w)]
    if not left or not right:
        return None
    sides = [left[0], right[0]]  # nearest the conjunction, longest: 用医保码看病 → 医保码
    text = fold(primary)
    return None if all(_named(t, text) for t in sides) else (sides[0], sides[1])


#: Insurance schemes besides 医保 a question may ask about alone: (asked, said) patterns.
_SCHEMES = {
    "养老保险": (re.compile(r"养老(?:保险|险)"), re.compile(r"养老")),
    "失业保险": (re.compile(r"失业(?:保险|险)"), re.compile(r"失业")),
    "工伤保险": (re.compile(r"工伤(?:保险|险)?"), re.compile(r"工伤")),
    "生育保险": (re.compile(r"生育(?:保险|险)"), re.compile(r"生育")),
    "住房公积金": (re.compile(r"公积金"), re.compile(r"公积金")),
}
#: A question naming 医保 (or its cards, accounts) asks about it too, not another scheme alone.
_NAMES_MEDICAL = re.compile(r"医保|医疗|医药|社保卡|共济|看病|住院|门诊|报销")


def unanswered_scheme(question: Question, answer: str) -> str:
    """The insurance scheme a question asks about alone (养老保险交满15年就可以不交了吗) when
    the answer never names it (it is about 医保), else "".

    Args:
        question: The understood question.
        answer: The primary unit's title and the answer's quoted lines.
    """
    if _NAMES_MEDICAL.search(question.text):
        return ""
    return next(iter(_asked_unsaid(_SCHEMES, question.text, answer)), "")


#: Key terms that are no amount's subject: the insurance itself (a 医保缴费标准 line answers
#: 居民医保一年交多少钱; another scheme is :func:`unanswered_scheme`'s) and the period (一年).
_NOT_SUBJECT = re.compile(
    r"(?:城乡|城镇)?(?:居民|职工)?(?:医保|医疗保险|基本医疗保险)$|[一每半](?:年|个?月|季度?|次|天)$"
)


def unnamed_amount(question: Question, primary: str) -> tuple[str, ...]:
    """An amount question's subjects (key terms but the insurance and the period) when the
    primary unit names none of its key terms, nor a synonym, nor (3+ characters) their
    characters in order within twice their length (大病保险: 大病医疗保险): 医保卡丢了补办要多少钱
    answered with what a 医保卡 account is paid each month. Without a subject nothing is
    unnamed (合肥居民医保一年交多少钱 answered with 合肥市医保缴费标准为每人每年400元).

    Args:
        question: The understood question.
        primary: The primary unit's title and quoted lines.
    """
    if question.kind != "amount" or question.looks_up:
        return ()
    keys = [k for k in question.key_terms if not re.search(r"\d", k)]
    subjects = [k for k in keys if not _NOT_SUBJECT.match(k)]
    text = fold(primary)

    def named(key: str) -> bool:
        if _named(key, text):
            return True
        spread = f".{{0,{len(key)}}}?"  # 大病保险 in 大病医疗保险
        return len(key) >= 3 and bool(re.search(spread.join(map(re.escape, fold(key))), text))

    return () if not subjects or any(map(named, keys)) else tuple(subjects)


def unanswered_span(question: Question, lines: Sequence[str]) -> bool:
    """Whether a how-long question (几天能审核通过, 延长到多久) is answered by no quoted span:
    dates or a 期限 word do not say how many days it takes. A look-up (咋看还有多久过期) is
    answered by where to look."""
    if question.looks_up or not ASKS_SPAN.search(question.text):
        return False
    return not STATES_SPAN.search("\n".join(lines))


def unanswered_subject(question: Question, primary: str, notes: Sequence[str] = ()) -> str:
    """What the answer would leave unnamed, said as a refusal names it, else "": another
    insurance scheme asked about alone (:func:`unanswered_scheme`; a trust note naming it
    counts) or the subject of an amount question (:func:`unnamed_amount`).

    Args:
        question: The understood question.
        primary: The primary unit's title and quoted lines ("" = not checked for amounts).
        notes: The answer's trust notes.
    """
    if scheme := unanswered_scheme(question, "\n".join([primary, *notes])):
        return f"{scheme}的相关规定"
    if primary and unnamed_amount(question, primary):
        return f"{question.topic or question.key_terms[0]}的具体金额"
    return ""
