"""What a question is about: 医保/社保 procedures, medical advice, small talk or something else.

The vocabularies live in ``data/intent_terms.toml`` (substring match on NFKC-normalised,
lower-cased text). Rules, in order:

1. Nothing but punctuation → ``greeting`` (the app introduces itself).
2. A medical-advice phrase (吃什么药, 挂什么科, 哪家医院好 …) → ``medical``, whatever else is there.
3. A symptom/drug/diagnosis word (疼, 发烧, 用药, 去哪家医院 …) → ``medical`` unless the question
   also names insurance vocabulary (发烧住院医保能报销吗 is about insurance).
4. Insurance vocabulary (医保, 参保, 报销, 共济 …) → ``insurance``.
5. Asking the assistant to act for the user (你们能帮我交医保吗, 帮我查下医保交没交), not how
   to (帮我查一下怎么交) → ``service``: it answers questions, it transacts nothing.
6. Only greeting words and fillers (你好呀, 在吗, 谢谢) → ``greeting``.
7. Anything else → ``offtopic``.

Example:
    >>> classify_intent("医保码咋激活")
    'insurance'
    >>> classify_intent("我在鹤壁,腋下老是疼,该去哪个医院看")
    'medical'
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qa.settings import DATA_DIR
from qa.text.normalize import fold
from qa.text.synonyms import get_synonyms
from qa.types import Intent

logger = logging.getLogger(__name__)

INTENT_TERMS = DATA_DIR / "intent_terms.toml"

_NOISE = re.compile(r"[\W_]+", re.UNICODE)
#: A request that the assistant do something (帮我交, 替我办), and what makes it a how-to question.
_REQUEST = re.compile(
    r"^(?:请|麻烦)?(?:你|你们|您)?(?:能|可以|能不能|可不可以|可否)?(?:帮|替)我们?(?:一下|下)?"
    r"(?:交|缴|办|查|激活|绑|报|开|转|改|退|申请|代缴|代办|登记|续)"
)
_HOW = re.compile(r"怎么|怎样|如何|哪|什么|啥|多少|几")


@dataclass(frozen=True)
class Vocabulary:
    """The term lists of ``intent_terms.toml`` (``insurance`` includes ``concepts``)."""

    insurance: tuple[str, ...]
    concepts: tuple[str, ...]
    medical_advice: tuple[str, ...]
    medical: tuple[str, ...]
    greetings: tuple[str, ...]
    greeting_fillers: tuple[str, ...]
    generic: tuple[str, ...]
    follow_up: tuple[str, ...]
    local_cues: tuple[str, ...]

    def variants(self, term: str) -> tuple[str, ...]:
        """``term`` and the words the corpus may use instead (groups of ``data/synonyms.toml``)."""
        groups = [g for g in get_synonyms().groups if term in map(fold, g)]
        return tuple(dict.fromkeys((term, *(fold(w) for g in groups for w in g))))


def _terms(table: dict, key: str) -> tuple[str, ...]:
    return tuple(fold(term) for term in table.get(key, ()) if term.strip())


@cache
def load_vocabulary(path: Path = INTENT_TERMS) -> Vocabulary:
    """Read (once) the vocabularies from ``path``."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    vocab = Vocabulary(
        insurance=_terms(data.get("insurance", {}), "terms")
        + _terms(data.get("insurance", {}), "concepts"),
        concepts=_terms(data.get("insurance", {}), "concepts"),
        medical_advice=_terms(data.get("medical", {}), "advice"),
        medical=_terms(data.get("medical", {}), "terms"),
        # longest first, so 你好 is stripped before 你 (a filler)
        greetings=tuple(sorted(_terms(data.get("greeting", {}), "terms"), key=len, reverse=True)),
        greeting_fillers=tuple(
            sorted(_terms(data.get("greeting", {}), "fillers"), key=len, reverse=True)
        ),
        generic=_terms(data.get("generic", {}), "terms"),
        follow_up=_terms(data.get("follow_up", {}), "terms"),
        local_cues=_terms(data.get("region", {}), "local_cues"),
    )
    logger.debug("intent vocabulary loaded from %s", path)
    return vocab


def _has_any(text: str, terms: tuple[str, ...]) -> bool:
    return any(term in text for term in terms)


def _is_greeting(text: str, vocab: Vocabulary) -> bool:
    rest = _NOISE.sub(" ", text)
    found = False
    for term in vocab.greetings:
        if term in rest:
            found = True
            rest = rest.replace(term, " ")
    for filler in vocab.greeting_fillers:
        rest = rest.replace(filler, " ")
    return found and not rest.strip()


def classify_intent(text: str) -> Intent:
    """Classify a user question.

    Args:
        text: The question as typed.

    Returns:
        ``insurance``, ``medical``, ``service``, ``offtopic`` or ``greeting`` (module docstring).
    """
    norm = fold(text)
    if not _NOISE.sub("", norm):
        return "greeting"
    vocab = load_vocabulary()
    if _has_any(norm, vocab.medical_advice):
        return "medical"
    insurance = _has_any(norm, vocab.insurance)
    if not insurance and _has_any(norm, vocab.medical):
        return "medical"
    if (request := _REQUEST.search(norm)) and not _HOW.search(norm[request.end() :]):
        return "service"
    if insurance:
        return "insurance"
    return "greeting" if _is_greeting(norm, vocab) else "offtopic"
