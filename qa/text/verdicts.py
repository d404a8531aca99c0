"""Opposite yes/no verdicts: one passage says 可以分开缴纳, another 不能分开交.

Used for yes/no questions only. The question's *predicate* is what follows its permission
modal (能 / 可以 / 能不能 / 可不可以 / 能否) up to the question particle: ``能分开交吗`` →
``分开交``; a verb of paying (交, 缴, 缴纳, 缴费 …) matches any other, and so does a word for
"separately" (拆开交 matches 分开缴纳). A *verdict* is a clause of a
passage stating the predicate right after a modal — affirmative (可以, 能, 可, 允许) or negative
(不能, 不可以, 不得, 无法 …) — or before ``是(不)可以的``, or a question restating it answered by
``答案是肯定的`` / ``答案是否定的``. A clause counts only if its subject (before the predicate)
names a word of the question's subject (社保, 医保; group words aside); questions (是否可以…)
and predicates under a condition (如果, 只要, 部分地区 … earlier in the sentence) state no verdict.

Like differing figures (:mod:`qa.answering.trust.conflicts`), verdicts conflict only when they
come from different passages about the same places and name the same subject words, and never
for different known groups: 灵活就业人员可以分开 vs 在职职工不能 is a group difference. The group
is the one named last before the predicate in the sentence, else the only one the title names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text.normalize import fold
from qa.text.synonyms import get_synonyms
from qa.text.tokenizer import get_tokenizer
from qa.types import Chunk

logger = logging.getLogger(__name__)

_ASKED = re.compile(r"(?:能不能|可不可以|可以|能否|能够|能|可否)([^,，。？?！!；;\s]{2,12})")
_PARTICLES = "吗么呢啊呀吧嘛不 "
_PAY = re.compile(r"缴纳|缴费|交纳|交费|缴|交")
_PAY_ANY = f"(?:{_PAY.pattern})"
_SEPARATE = re.compile(r"分开|拆开|单独|分别")
_SEPARATE_ANY = f"(?:{_SEPARATE.pattern})"
_CLAUSE = re.compile(r"[^,，。；;！!？?\n]+[？?]?")
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_MODAL = re.compile(r"不能够|不能|不可以|不可|不得|不允许|不准|无法|没法|禁止|能够|可以|能|可|允许")
_ASKING = re.compile(r"是否|能否|可否|能不能|可不可以|是不是|行不行")
_NEGATED = re.compile(r"^(?:不|无|没|禁)")
_AFTER = re.compile(r"^[^,，。]{0,3}?是(不)?(?:可以|允许|能够?)的")
_ANSWER = re.compile(r"^\s*答案是(肯定|否定)的")
_CONDITION = re.compile(r"如果|假如|若|除非|只要|只有|前提|情况下|条件|部分地区|有的地区|个别")
_QUESTION_END = ("?", "？", "吗", "么")
_MAX_GAP = 4  # chars between a modal and its predicate (通常不能 单独 分开交)
_GROUPS = {
    **dict.fromkeys("职工 在职 员工 公司 单位 企业 用人单位".split(), "职工"),
    **dict.fromkeys("灵活就业 自由职业 个体 个人参保".split(), "灵活就业"),
    **dict.fromkeys("城乡居民 居民 农村".split(), "居民"),
    **dict.fromkeys("退休人员 退休".split(), "退休人员"),
    **dict.fromkeys("学生 大学生 中小学生 儿童 小孩 新生儿".split(), "学生儿童"),
}
_GROUP = re.compile("|".join(sorted(_GROUPS, key=len, reverse=True)))


@dataclass(frozen=True)
class Verdict:
    """One passage's yes/no verdict on the question's predicate.

    Attributes:
        yes: True for 可以 / 能, False for 不能 / 不可以.
        text: The stating clause as written (with an answered question, both parts).
        chunk: The passage stating it.
        start: Offset of ``text`` in the document text.
        end: Offset just past ``text``.
        subject: The question's subject words the clause names.
        group: Group the verdict is for (``职工``, ``灵活就业``), or "" if unknown.
    """

    yes: bool
    text: str
    chunk: Chunk
    start: int
    end: int
    subject: frozenset[str]
    group: str = ""


def asked_predicate(question: str) -> tuple[str, str] | None:
    """(subject, predicate) of the last permission question in ``question``, or None.

    Example:
        >>> asked_predicate("单位上班的社保和医保能分开交吗")
        ('单位上班的社保和医保', '分开交')
    """
    found = None
    for m in _ASKED.finditer(question):
        predicate = m[1].rstrip(_PARTICLES)
        head = re.split(r"[,，。？?！!；;\s]", question[: m.start()])[-1]  # its clause
        if len(predicate) >= 2 and not _MODAL.search(predicate):
            found = (head, predicate)
    return found


def _pattern(predicate: str) -> re.Pattern[str]:
    """``predicate`` with any verb of paying matching any other, and any word for "separately"
    (分开, 拆开, 单独, 分别) any other: 拆开交 matches 分开缴纳."""
    parts = [_SEPARATE_ANY.join(map(re.escape, _SEPARATE.split(p))) for p in _PAY.split(predicate)]
    return re.compile(_PAY_ANY.join(parts))


def _group(sentence: str, at: int, title: str) -> str:
    near = _GROUP.findall(sentence, 0, at)
    named = {_GROUPS[w] for w in _GROUP.findall(title)}
    return _GROUPS[near[-1]] if near else named.pop() if len(named) == 1 else ""


def _polarity(clause: str, m: re.Match[str]) -> bool | None:
    """Whether ``clause`` affirms (True) or denies (False) the predicate at ``m``, or None."""
    if _ASKING.search(clause, 0, m.start()):
        return None  # 是否可以分开缴纳的详细解释
    before = [x for x in _MODAL.finditer(clause, 0, m.start()) if m.start() - x.end() <= _MAX_GAP]
    if before:
        return not _NEGATED.match(before[-1][0])
    after = _AFTER.match(clause[m.end() :])
    return None if after is None else after[1] is None


def find_verdicts(chunk: Chunk, subject: Sequence[str], predicate: str) -> list[Verdict]:
    """The verdicts ``chunk`` states on ``predicate`` about ``subject`` words, in text order."""
    pattern, tokenizer, text = _pattern(predicate), get_tokenizer(), chunk.text
    found = []
    for s in _SENTENCE.finditer(text):
        for c in _CLAUSE.finditer(text, s.start(), s.end()):
            clause, end = c[0], c.end()
            m = pattern.search(clause)
            if m is None or _CONDITION.search(text, s.start(), c.start() + m.start()):
                continue  # 如果是治疗需要,…可以报销: a condition, not a verdict
            if clause.rstrip().endswith(_QUESTION_END):
                answer = _ANSWER.match(text[end:])  # 可以分开缴纳吗?答案是肯定的
                if answer is None:
                    continue
                yes, end = answer[1] == "肯定", end + answer.end()
            elif (polarity := _polarity(clause, m)) is None:
                continue
            else:
                yes = polarity
            named = frozenset(subject) & set(tokenizer.tokenize(clause[: m.start()]))
            if not named:
                continue
            start = c.start() + len(clause) - len(clause.lstrip())
            group = _group(text[s.start() : end], c.start() - s.start() + m.start(), chunk.title)
            at, to = chunk.start + start, chunk.start + end
            found.append(Verdict(yes, text[start:end], chunk, at, to, named, group))
    return found


def _opposed(a: Verdict, b: Verdict) -> bool:
    """Whether ``a`` (yes) and ``b`` (no) contradict: other passages, same subject and places,
    no different known groups."""
    return (
        a.yes
        and not b.yes
        and a.chunk.chunk_id != b.chunk.chunk_id
        and a.subject == b.subject
        and set(a.chunk.regions) == set(b.chunk.regions)
        and (not a.group or not b.group or a.group == b.group)
    )


def find_verdict_conflict(chunks: Sequence[Chunk], question: str) -> tuple[str, list[Verdict]]:
    """(predicate, [a yes verdict, a no verdict]) from different passages, or ("", []).

    Args:
        chunks: Passages to compare, best first (duplicates are ignored).
        question: The user's question, a yes/no one (the caller checks its kind).
    """
    asked = asked_predicate(question)
    if asked is None:
        return "", []
    subject = _subject(asked[0])
    if not subject:  # 这俩能分开交吗: the things are named in an earlier clause
        subject = _subject(question[: question.rfind(asked[0] or asked[1])])
    firsts: list[Verdict] = []  # per passage, the first verdict of each polarity and group
    for chunk in {c.chunk_id: c for c in chunks}.values():
        seen: set[tuple[bool, str]] = set()
        for v in find_verdicts(chunk, subject, asked[1]):
            if (v.yes, v.group) not in seen:
                seen.add((v.yes, v.group))
                firsts.append(v)
    pair = next(([a, b] for a in firsts for b in firsts if _opposed(a, b)), [])
    if pair:
        logger.debug("opposite verdicts on %s: %s / %s", asked[1], pair[0].text, pair[1].text)
    return (asked[1], pair) if pair else ("", [])


def _subject(text: str) -> list[str]:
    """The subject words of ``text``: tokens of 2+ characters, not a group word, a modal or a
    pronoun (这俩, 两者)."""
    skip = (_GROUP.fullmatch, _MODAL.search, _PRONOUN.match)
    return [
        t for t in get_tokenizer().tokenize(text) if len(t) >= 2 and not any(f(t) for f in skip)
    ]


_PRONOUN = re.compile(r"这|那|两者|二者|它们|俩")


def verdict_note(predicate: str, verdicts: Sequence[Verdict], numbers: Sequence[int]) -> str:
    """The opposite verdicts, each quoted with its ``[n]`` marker, in citation order."""
    pairs = sorted(zip(numbers, verdicts, strict=True), key=lambda pair: pair[0])
    said = ";".join(f"有的说“{v.text.rstrip('。')}”[{n}]" for n, v in pairs)
    return f"注意:不同资料对能否{predicate}的说法相反:{said},以当地医保部门核定为准。"


#: A verdict word (需, 可以, 不能 …) followed closely by what it is about (需提前备案).
_VERDICT = re.compile(r"(?:不可以|可以|不能|能够|(?<![功可智])能|无需|不需要|需要|需|不用|必须)")


def states_verdict(line: str, key_terms: Sequence[str]) -> bool:
    """Whether ``line`` gives a verdict on a whole yes/no question: it names every key term
    (or a synonym) and a verdict word governs one of them within ``_MAX_GAP`` characters
    (跨省就医需提前备案 for 异地就医需要提前备案吗; not 您可以按照以下步骤进行就医)."""
    text = fold(line)
    words = [fold(t) for t in key_terms if len(t) > 1]
    synonyms = get_synonyms()
    if not words or not all(any(fold(v) in text for v in synonyms.variants(w)) for w in words):
        return False
    for found in _VERDICT.finditer(text):
        after = text[found.end() : found.end() + _MAX_GAP + 6]
        if any(0 <= after.find(w) <= _MAX_GAP for w in words):
            return True
    return False
