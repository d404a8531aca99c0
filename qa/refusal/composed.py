"""Refusals decided after composing: what the answer would quote does not answer.

The retrieval-time decision (:func:`qa.refusal.decision.decide`) sees passages; these checks
see the lines the composer would quote:

* an amount (or time) question about a place whose quoted passages are about no asked place
  → ``region`` (:func:`unanswered_places`);
* an amount question naming a group none of the quoted lines mentions (低保户 answered with
  普通居民 figures) → ``not_found`` (:func:`unanswered_groups`);
* an amount question about another payer (单位, 财政) no quoted line states a figure for (a
  sum in 元, unless it asks for a rate) → ``not_found`` (:func:`unanswered_payers`);
* a question about another scheme alone (养老保险), or an amount question whose key terms (补办)
  the primary unit never names → ``not_found`` (:func:`qa.refusal.purposes.unanswered_subject`);
* a materials question for a purpose (住院, 报销, 备案) no quoted line names, or a how-to
  question answered only with what follows the asked step (备案后怎么就医 for 怎么备案) →
  ``not_found`` (:mod:`qa.refusal.purposes`);
* a reimbursement question about a place of care (住院, 门诊, 产检) no quoted figure line
  names → ``not_found`` (:func:`unanswered_settings`);
* quoted figures that all measure something else (a contribution rate for a reimbursement
  rate, a 计发基数 for the pension one gets) → ``not_found`` (:func:`figures_measure_else`);
* an amount, rate, head-count or time question no quoted line answers with such a figure →
  ``not_found``, naming what is missing (the composer's ``unstated``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.refusal.decision import RefusalDecision
from qa.refusal.features import STATES_AMOUNT, place_covered, quoted_about
from qa.refusal.purposes import (
    unanswered_comparison,
    unanswered_purposes,
    unanswered_span,
    unanswered_stage,
    unanswered_subject,
)
from qa.text.cohorts import ASKED_GROUPS, CARE_SETTINGS, PAYERS
from qa.text.figures import STATES_RATE
from qa.types import Question


def unanswered_places(
    question: Question, quoted_regions: Sequence[Sequence[str]]
) -> tuple[str, ...]:
    """The places an amount (or time) question asks a local figure for when no passage the
    answer quotes is about them, else ``()``.

    Contribution amounts and rates are set per city or province: 汕头城乡居民医保一年交多少钱
    answered from a passage about no place (or about 合肥) quotes someone else's figure. The
    retrieval-time check (:func:`decide`) accepts a place named anywhere in the top passages;
    this one sees what was actually quoted. A passage about the asked city's province counts
    (its figures apply there), as does one about a city of an asked province. Questions across
    places (异地就医) are refused only when the quoted passages are about another route
    (:func:`_unanswered_route`); lookups (在哪查: a channel answers them anywhere) never;
    a time question only when the quoted passages are about another place (廊坊 asked, 江西's
    到账 day quoted): a date about no place is often a national rule.

    Args:
        question: The understood question.
        quoted_regions: The regions of each passage the composed answer cites.
    """
    if question.kind not in ("amount", "time") or question.looks_up or not question.regions:
        return ()
    if question.cross_region:
        return _unanswered_route(question, quoted_regions)
    if not question.asks_local:
        return ()
    if question.kind == "time" and not any(quoted_regions):
        return ()  # a date about no place: a national rule (激活 takes effect at once …)
    for place in question.regions:
        for regions in quoted_regions:
            if quoted_about(place, regions):
                return ()
    return question.regions


def _unanswered_route(
    question: Question, quoted_regions: Sequence[Sequence[str]]
) -> tuple[str, ...]:
    """The asked places a cross-place figure question (泰州医保去南京看病能报多少) quotes no
    passage about, when every quoted passage is about some place: 泰州 → 上海 figures do not
    answer 泰州 → 南京. Passages about no place (异地就医 rules) answer any route."""
    if not quoted_regions or not all(quoted_regions):
        return ()
    return tuple(
        place
        for place in question.regions
        if not any(place_covered(place, regions) for regions in quoted_regions)
    )


#: A figure's line says it is paid back / paid in (its measure, for :func:`figures_measure_else`).
_PAID_BACK = re.compile(r"报|支付|自付|起付")  # not 封顶: also the cap of a contribution base
_PAID_IN = re.compile(r"交|缴|扣|划入|补助|补贴|财政")
_PENSION = re.compile(r"养老金|退休金|退休工资|领取")  # a line about what one gets …
_NOT_RECEIVED = re.compile(r"计发基数|交|缴|扣")  # … whose sum is no base or contribution
_CLAUSE = re.compile(r"[,，;；。]")


def figures_measure_else(question: Question, lines: Sequence[str]) -> bool:
    """True when an amount question's quoted figures all measure something else.

    德州职工医保住院能报销多少比例 answered with 单位缴费比例为7% quotes a contribution rate
    for a reimbursement rate, 本溪居民医保个人一年交多少 with 报销比例50%-70% the reverse. A
    reimbursement question needs a figure line about paying back (报, 支付 …); a contribution
    question is refused only when its figure lines are about paying back and none about paying
    in (``60-69周岁人员:825元/年`` says neither); a pension question (退休后每月能领多少) needs
    a line about the pension stating a sum that is no 计发基数 and no contribution.

    Args:
        question: The understood question (``measure`` says what it asks).
        lines: The answer's quoted lines (trust notes left out).
    """
    figures = [line for line in lines if STATES_AMOUNT.search(line)]
    if question.measure == "pension":  # 退休后每月能领多少: not 计发基数为7468元
        return not any(_PENSION.search(line) and _received(line) for line in lines)
    if not question.measure or not figures:
        return False
    back = any(_PAID_BACK.search(line) for line in figures)
    if question.measure == "reimbursement":
        return not back
    return back and not any(_PAID_IN.search(line) for line in figures)


def _received(line: str) -> bool:
    """A clause of ``line`` states a sum in 元 that is no 计发基数 and no contribution."""
    clauses = _CLAUSE.split(line)
    return any(_STATES_MONEY.search(c) and not _NOT_RECEIVED.search(c) for c in clauses)


def unanswered_settings(question: Question, lines: Sequence[str]) -> tuple[str, ...]:
    """The places of care (住院, 门诊, 产检) a reimbursement question asks a figure for that no
    quoted figure line names.

    合肥小孩住院能报百分之多少 answered with 门诊报销比例提升至65% quotes another setting's
    figure. A rate needs a % line naming the setting; an amount a line in 元, 万 or %.

    Args:
        question: The understood question.
        lines: The answer's quoted lines (trust notes left out).
    """
    if question.measure != "reimbursement" or question.cross_region:
        return ()  # 泰州 → 上海: a figure across places is for any care there
    figure = STATES_RATE if _ASKS_RATE.search(question.text) else _SUM_OR_RATE
    stated = [line for line in lines if figure.search(line)]
    return tuple(
        name
        for name, said in CARE_SETTINGS.items()
        if said.search(question.text) and not any(said.search(line) for line in stated)
    )


def unanswered_groups(question: Question, lines: Sequence[str]) -> tuple[str, ...]:
    """The groups an amount question asks a figure for that no quoted line is about.

    合肥低保户交居民医保自己出多少 answered with 普通居民 / 大学生 / 儿童 figures, or 合肥职工医保
    住院报多少 with a 儿童 snippet, quotes figures for other people. A group counts as covered
    when a quoted line holds one of its words (:data:`qa.text.cohorts.ASKED_GROUPS`: a 职工
    figure may sit in a 社保基数 passage) that states a figure, or heads a list that does
    (``低保对象、低保边缘家庭老年人……`` names the group but no figure).

    Args:
        question: The understood question.
        lines: The answer's quoted lines (trust notes left out).
    """
    if question.kind != "amount" and not question.measure:
        return ()
    return tuple(group for group in question.groups if not _states_for(ASKED_GROUPS[group], lines))


def _states_for(words: Sequence[str], lines: Sequence[str]) -> bool:
    """Whether a line naming one of ``words`` states a figure, or heads a list that does."""
    for i, line in enumerate(lines):
        if not any(word in line for word in words):
            continue
        head = _HEAD_MARK.sub("", line)  # no list mark, no citation ([1] is no figure)
        later = [_HEAD_MARK.sub("", text) for text in lines[i + 1 : i + 3]]
        if _GROUP_FIGURE.search(head) or _heads_list(head, later, _GROUP_FIGURE):
            return True
    return False


def _heads_list(head: str, later: Sequence[str], figure: re.Pattern[str]) -> bool:
    """Whether ``head`` (no list mark) is short or ends in a colon, over a ``figure`` line."""
    short = len(head) <= 12 or head.endswith((":", "："))
    return short and any(figure.search(text) for text in later)


_PAYER_SHARE = {"单位": "缴费部分", "财政": "补助标准"}


def unanswered_payers(question: Question, lines: Sequence[str]) -> tuple[str, ...]:
    """What an amount question asks another payer to pay that no quoted line is about.

    德州按15500的基数,公司那边每个月要替我交多少 answered with the personal share only, or 上海
    居民医保政府补贴多少 with 个人缴费标准 alone, quotes the wrong payer's figures.

    Args:
        question: The understood question.
        lines: The answer's quoted lines (trust notes left out).
    """
    if question.kind != "amount" and not question.measure:
        return ()
    figure = STATES_AMOUNT if _ASKS_RATE.search(question.text) else _STATES_MONEY
    return tuple(
        f"{payer}{_PAYER_SHARE[payer]}"
        for payer in question.payers
        if not _states_share(PAYERS[payer][1], lines, figure)
    )


_UNSTATED = re.compile(r"未[^,，。]{0,8}(?:列出|明确|说明)|没有|不详")
_ASKS_RATE = re.compile(r"几个点|百分之|比例|费率|几成|[0-9几]+%")
_SUM_OR_RATE = re.compile(r"\d+(?:\.\d+)?\s*(?:元|万|[%％])")
_WANTED = {"reimbursement": "报销标准", "pension": "每月养老金"}  # what a refusal says is missing
_STATES_MONEY = re.compile(r"\d+(?:\.\d+)?\s*(?:元|万)")  # 公司交多少钱: rates do not answer it

#: What a group's line states to answer for it: a sum or rate, or that it pays nothing.
_GROUP_FIGURE = re.compile(r"\d|无需缴费|免缴|免费|全额(?:资助|补助)")
_CLAUSE_END = re.compile(r"[,，。;；:：]")
#: A line's list mark (•, -, 1., 2、) and its trailing citation: not its figures (• 200元/年).
_HEAD_MARK = re.compile(r"^\s*(?:(?:[•·\-]|\d{1,2}[.、](?!\d))\s*)*|\[\d+\]$")


def _after_words(line: str, words: Sequence[str]) -> list[str]:
    """What follows each of ``words`` in ``line``, up to 24 characters within its clause."""
    found = []
    for word in words:
        for at in (m.end() for m in re.finditer(re.escape(word), line)):
            found.append(_CLAUSE_END.split(line[at : at + 24], maxsplit=1)[0])
    return found


def _states_share(words: Sequence[str], lines: Sequence[str], figure: re.Pattern[str]) -> bool:
    """Whether a line states a ``figure`` in the clause after a payer's word, or names the payer
    and heads a list that does (``• 财政补助标准`` over ``• 大学生:50元``; not
    ``财政补助…具体金额未在文档中明确列出``)."""
    for i, line in enumerate(lines):
        if not any(word in line for word in words):
            continue
        if any(figure.search(after) for after in _after_words(line, words)):
            return True
        head = _HEAD_MARK.sub("", line)
        if not _UNSTATED.search(line) and _heads_list(head, lines[i + 1 : i + 3], figure):
            return True
    return False


def refuse_composed(
    question: Question,
    decision: RefusalDecision,
    quoted_regions: Sequence[Sequence[str]],
    lines: Sequence[str],
    unstated: str = "",
    primary: str = "",
    notes: Sequence[str] = (),
) -> RefusalDecision | None:
    """The refusal an answer composed for ``question`` turns into, or None to answer it.

    Args:
        question: The understood question.
        decision: The answering decision made before composing.
        quoted_regions: The regions of each passage the answer cites.
        lines: The answer's lines, trust notes left out.
        unstated: What the question asks that no quoted line states (时间, 金额 …; the
            composer's ``Composition.unstated``), else "".
        primary: The first citation's title and the lines quoted before any 另外 (what a
            comparison must name both sides in), else "" (not checked).
        notes: The answer's trust notes (a conflict note may name the scheme asked).
    """
    if places := unanswered_places(question, quoted_regions):  # another place's figure
        return decision.as_region(places)
    if groups := unanswered_groups(question, lines):  # 儿童 figures quoted for 低保户
        return decision.lacking([f"{g}的标准" for g in groups])
    if payers := unanswered_payers(question, lines):  # 个人 figures for 公司交多少
        return decision.lacking(payers)
    if purposes := unanswered_purposes(question, lines):  # enrolment papers for 住院报销
        return decision.lacking([f"{'、'.join(purposes)}所需材料"])
    if primary and (pair := unanswered_comparison(question, primary)):  # 医保码和医保卡
        return decision.lacking([f"{pair[0]}和{pair[1]}的区别"])
    if subject := unanswered_subject(question, primary, notes):  # 养老保险, 补办要多少钱
        return decision.lacking([subject])
    if stage := unanswered_stage(question, lines):  # 备案后怎么就医 for 怎么备案
        wanted = "所需材料" if question.kind == "materials" else "的办理方法"
        return decision.lacking([f"{stage}{wanted}"])
    if settings := unanswered_settings(question, lines):  # 门诊 65% quoted for 住院
        return decision.lacking([f"{'、'.join(settings)}报销标准"])
    if figures_measure_else(question, lines):  # 缴费比例 quoted for 报销比例
        wanted = _WANTED.get(question.measure, "缴费标准")
        return decision.lacking([wanted])
    if unanswered_span(question, lines):  # 几天能审核通过: dates quoted, no number of days
        return decision.lacking(["时间"])
    if unstated:  # 几天能审核通过: no quoted line says how long
        return decision.lacking([unstated])
    return None
