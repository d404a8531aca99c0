"""What a refusal says (in Chinese), and questions the corpus can answer instead.

The disclaimer is NOT part of these texts: the caller appends it (``qa.answering.disclaimer``).

Example:
    >>> q = understand("北京门诊报销起付线是多少")
    >>> refusal_text(decision, q, suggest_questions(q, index.chunks))
    '资料库中没有找到关于“北京门诊起付线”的内容。…'
"""

from __future__ import annotations

import heapq
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

from qa.refusal.decision import RefusalDecision
from qa.refusal.intent import classify_intent
from qa.retrieval.question import PERIOD
from qa.settings import default
from qa.text.normalize import char_bigrams, fold
from qa.types import Question

logger = logging.getLogger(__name__)

#: Good questions to suggest when nothing in the corpus resembles the user's question.
FALLBACK_SUGGESTIONS = (
    "医保从来没用过怎么激活",
    "怎样设置医保家庭共济账户",
    "如果医疗保险想更换参保地该如何更换?",
    "普通人怎么交医保缴费",
    "申请异地就医备案后怎么就医",
)
INTRO = (
    "您好!我是医保问答助手,可以根据资料库解答医保办理方面的问题,比如医保码激活、"
    "家庭共济绑定、更换参保地、居民医保缴费和补缴、异地就医备案等。"
)
MEDICAL = "这属于医疗健康问题,建议尽快到正规医院就诊,咨询医生。我只能解答医保办理方面的问题。"
OFFTOPIC = "抱歉,这个问题不在我能回答的范围内,我只能根据资料库解答医保办理方面的问题。"
SERVICE = (
    "我是医保问答助手,只能根据资料库解答医保办理方面的问题,不能替您缴费、查询个人记录或办理"
    "业务。您可以问我怎么办理,再通过国家医保服务平台APP或当地医保部门办理。"
)
ASK_LOCAL = "具体规定请咨询当地医保部门。"
#: Where to ask about a scheme 医保 offices do not run (养老保险 …: 社保; 公积金: its centre).
_ASK_ELSEWHERE = {
    "公积金": "具体规定请咨询当地住房公积金管理中心。",
    "保险": "具体规定请咨询当地社保部门。",
}


def ask_local(missing: Sequence[str]) -> str:
    """Where to ask, for what a refusal says is missing (养老保险的相关规定 → 社保部门)."""
    for word, ask in _ASK_ELSEWHERE.items():
        if any(word in m and "医疗保险" not in m for m in missing):
            return ask
    return ASK_LOCAL


_QUESTION_CUES = (
    "怎么",
    "怎样",
    "如何",
    "什么",
    "多少",
    "哪",
    "几",
    "吗",
    "么",
    "是否",
    "能否",
    "可以",
)
_DECORATION = re.compile(r"[((][^()()]*[))]\s*$")  # (4月27日), (以浙江杭州为例)
_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|\d+[.、])\s*")
_MIN_OVERLAP = 0.2


def _clean_title(title: str) -> str:
    return _NUMBERING.sub("", _DECORATION.sub("", title.strip())).strip()


def _is_question_like(title: str) -> bool:
    return (
        6 <= len(title) <= 30
        and not any(ch.isspace() for ch in title)
        and (title.endswith(("?", "?")) or any(cue in title for cue in _QUESTION_CUES))
    )


def _raw_titles(source: Any) -> Iterable[str]:
    """Titles and section headings of an index, documents or chunks."""
    items = getattr(source, "documents", None) or source or ()
    for item in items:
        title = getattr(item, "title", "") or ""
        yield title
        yield from title.split()  # a chunk title is "document title + section heading"
        for section in getattr(item, "sections", ()) or ():
            yield section.heading


def candidate_questions(source: Any) -> list[str]:
    """Question-like 医保 titles of ``source`` (off-topic ones, like hospital ads, left out).

    Titles with digits (``山东德州社保基数15500…``, ``2025年…``) are left out too: a refusal
    states no figure, since it has no source to cite for one.
    """
    seen: dict[str, None] = {}
    for raw in _raw_titles(source):
        title = _clean_title(raw)
        if (
            title not in seen
            and not any(ch.isdigit() for ch in title)
            and _is_question_like(title)
            and classify_intent(title) == "insurance"
        ):
            seen[title] = None
    return list(seen)


@dataclass(frozen=True)
class SuggestionPool:
    """The question-like titles of an index, with their character bigrams and an inverted
    index from bigram to titles: built once per index, so a refusal scores only the titles
    that share a bigram with the question instead of rescanning every chunk title."""

    candidates: tuple[str, ...]
    sizes: tuple[int, ...]  # number of character bigrams of each candidate
    postings: Mapping[str, tuple[int, ...]]

    @classmethod
    def build(cls, source: Any) -> SuggestionPool:
        """From a ``HybridIndex``, documents or chunks (see :func:`candidate_questions`)."""
        candidates = tuple(candidate_questions(source))
        grams = tuple(frozenset(char_bigrams(fold(c))) for c in candidates)
        postings: dict[str, list[int]] = {}
        for i, gram_set in enumerate(grams):
            for gram in gram_set:
                postings.setdefault(gram, []).append(i)
        sizes = tuple(len(g) for g in grams)
        return cls(candidates, sizes, {g: tuple(ids) for g, ids in postings.items()})

    @cached_property
    def known(self) -> frozenset[str]:
        """The candidates as a set (built on first use, once per pool)."""
        return frozenset(self.candidates)

    def ranked(self, asked: str, n: int | None = None) -> list[tuple[float, int]]:
        """``(similarity, index)`` of the titles sharing a bigram with ``asked``, best first;
        only the best ``n`` when given (a partial selection, not a sort of every title)."""
        q = char_bigrams(asked)
        shared: Counter[int] = Counter()
        for gram in q:
            shared.update(self.postings.get(gram, ()))
        scored = [(-2 * c / (len(q) + self.sizes[i]), i) for i, c in shared.items()]
        best = heapq.nsmallest(n, scored) if n is not None else sorted(scored)
        return [(-score, i) for score, i in best]


def suggest_questions(
    question: Question,
    index_or_chunks: Any,
    k: int = default("refusal_suggestions"),
    nearby: Sequence[str] = (),
) -> list[str]:
    """Up to ``k`` questions the corpus answers, nearest to ``question`` first.

    Args:
        question: The understood question.
        index_or_chunks: A :class:`SuggestionPool` (built once per index: the fast path), or
            a ``HybridIndex`` or a sequence of ``Chunk``/``Document`` objects.
        k: How many to return (2–3 make a good refusal).
        nearby: Titles of the chunks retrieved for the question, best first: what the corpus
            holds near it (医保断交了再补缴要交滞纳金吗 → the 补缴 snippets' questions).

    Returns:
        Question-like titles ranked by character-bigram overlap with ``question``, then the
        question-like titles among ``nearby``, padded with good general titles (those present
        in the corpus when one is given).
    """
    pool = index_or_chunks
    if not isinstance(pool, SuggestionPool):
        pool = SuggestionPool.build(index_or_chunks)
    candidates = pool.candidates
    asked = fold(question.text)
    # the best 2k + 1 suffice: the first k of them above the threshold are chosen, and filling
    # up skips at most k already chosen and the asked question itself
    ranked = pool.ranked(asked, 2 * k + 1)
    chosen = [
        candidates[i]
        for score, i in ranked
        if score >= _MIN_OVERLAP and fold(candidates[i]) != asked
    ]
    known = pool.known
    near = [t for raw in nearby for t in (raw, *raw.split()) if _clean_title(t) in known]
    fallback = [s for s in FALLBACK_SUGGESTIONS if not candidates or s in known]
    rest = (candidates[i] for i in chain((i for _, i in ranked), range(len(candidates))))
    for extra in chain(map(_clean_title, near), fallback, rest):  # lazy: stops at k
        if len(chosen) >= k:
            break
        if extra not in chosen and fold(extra) != asked:
            chosen.append(extra)
    return chosen[:k]


def _suggestion_lines(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    lines = "\n".join(f"• {s}" for s in suggestions)  # bullets: a refusal states no figures
    return f"\n\n您可以试试这样问:\n{lines}"


#: A question's closing words and punctuation (the refusal quotes what was asked, not how).
_QUESTION_END = re.compile(r"(?:怎么办|怎么弄|怎么整|咋办|吗|呢|啊)?[?？!！。.,，\s]*$")


def _not_found(decision: RefusalDecision, question: Question) -> str:
    topic = question.topic or question.asked.strip()
    asked = _QUESTION_END.sub("", question.asked.strip())
    if any(m != topic and topic in m for m in decision.missing) and not re.search(r"\d", asked):
        topic = asked or topic  # “密码” for 密码忘了怎么办 (a refusal states no figures)
    if decision.related and decision.missing:  # the passages found state other figures
        missing = decision.missing
        return f"资料里有相关内容,但没有写明您问的{'、'.join(missing)}。" + ask_local(missing)
    years = decision.features.get("missing_years") or ()
    if years and set(decision.missing) <= set(years):  # 2026 asked, 2025 figures found
        return "资料里没有您问的年份的规定,现有资料是其他年份的。" + ASK_LOCAL  # states no figure
    if unnamed := decision.features.get("unknown_terms"):  # 手续费: no document names it
        return f"资料里没有提到“{'、'.join(unnamed)}”。" + ASK_LOCAL
    places = [m for m in decision.missing if m in decision.features.get("missing_regions", ())]
    if (title := decision.features.get("link_title")) and places:  # a link list's bare title
        return (
            f"资料里关于{places[0]}只有一篇文章的标题《{title}》,没有正文,无法据此回答。"
            + ASK_LOCAL
        )
    found = [p for p in question.regions if p not in places]
    if decision.kind == "region" and places and found:  # 泰州 → 南京: 泰州 → 上海 quoted
        found_text, missing_text = "、".join(found), "、".join(places)
        return f"资料里有{found_text}的相关内容,但没有涉及{missing_text}的医保规定。" + ASK_LOCAL
    text = f"资料库中没有找到关于“{topic}”的内容。"
    if decision.kind == "region" and places:
        text += f"现有资料没有涉及{'、'.join(places)}的医保规定。"
    unseen = [m for m in decision.missing if m not in topic and m not in places]
    unseen = [m for m in unseen if not PERIOD.fullmatch(m)]  # not (未找到:一年)
    if unseen:
        text += f"(未找到:{'、'.join(unseen[:4])})"
    return text + ASK_LOCAL


def refusal_text(decision: RefusalDecision, question: Question, suggestions: Sequence[str]) -> str:
    """The refusal shown to the user, without the disclaimer.

    Args:
        decision: A refusing decision from ``qa.refusal.decision.decide``.
        question: The user's question, understood (``qa.retrieval.question.understand``).
        suggestions: Questions the corpus can answer (``suggest_questions``).

    Returns:
        Chinese text: why we do not answer, then the suggestions as a numbered list.
    """
    if decision.kind == "medical":
        body = MEDICAL
    elif decision.kind == "greeting":
        body = INTRO
    elif decision.kind == "offtopic":
        body = OFFTOPIC
    elif decision.kind == "service":
        body = SERVICE
    else:
        body = _not_found(decision, question)
    logger.debug("refusal kind=%s suggestions=%d", decision.kind, len(suggestions))
    return body + _suggestion_lines(suggestions)
