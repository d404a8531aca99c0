"""Question understanding, done once: follow-up resolution, then one :class:`qa.types.Question`.

Every later stage — retrieval, the refusal decision and its message, the composer — reads the
``Question`` built here and never re-normalises or re-tokenises the user's text.

* ``text`` — NFKC, simplified, typos fixed, fillers/particles/punctuation removed
  (:func:`qa.text.normalize.normalize_question`); ``embedding_text`` keeps punctuation.
* ``terms`` — BM25 tokens; ``expanded`` adds synonyms' tokens (``data/synonyms.toml``);
  ``content_terms`` drops greetings and thanks (none left = small talk).
* ``intent`` — of the standalone question when the follow-up is elliptical ("那线下怎么办"
  after a 医保码 question is about 医保 too), else of the user's own words, so an off-topic or
  medical follow-up is still routed away.
* ``key_terms`` / ``concepts`` / ``asks_local`` / ``topic`` — what the refusal decision checks
  and names (see ``qa.refusal.features``).

Example:
    >>> q = understand("那线下怎么办", [Turn("user", "怎么激活医保码")])
    >>> (q.standalone, q.intent)
    ('怎么激活医保码 线下怎么办', 'insurance')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from qa.refusal.intent import classify_intent, load_vocabulary
from qa.retrieval.followups import resolve
from qa.text.normalize import clean_question, normalize_question
from qa.text.regions import find_regions
from qa.text.synonyms import get_synonyms
from qa.text.tokenizer import get_tokenizer, outermost, synonym_terms
from qa.types import Question, Turn

logger = logging.getLogger(__name__)

#: Words that carry no question content: a query made only of these (after stopwords) is
#: small talk (the tokenizer already drops 在/吗/请 …).
SMALL_TALK = frozenset(
    {
        "你好", "您好", "你们好", "大家", "大家好", "哈喽", "哈", "喽", "嗨", "嗯", "哎",
        "谢谢", "多谢", "感谢", "辛苦", "辛苦了", "好", "好的", "行", "ok", "hi", "hello", "hey",
        "thanks", "thank", "you", "再见", "拜拜", "早上好", "早上", "上好", "晚上好", "晚上",
        "下午好", "下午", "不在", "有人", "人", "早安", "晚安", "在不在",
    }
)  # fmt: skip
_SUFFIXES = "金费险卡证线率额"  # single-char tokens that finish a term (失业+金 = 失业金)
_TOPIC_CHARS = 12


def key_terms(terms: Sequence[str], regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Content words a passage answering the question should contain.

    Args:
        terms: The question's BM25 tokens.
        regions: Places named in it (left out: they have their own check).

    Returns:
        Longest non-nested tokens of 2+ characters that are not generic 医保 words, in order.
    """
    generic = set(load_vocabulary().generic)
    words: list[str] = []
    for token in terms:
        if len(token) < 2 or token in generic or token in words:
            continue
        if any(token in place or place in token for place in regions):
            continue
        words.append(token)
    return outermost(words)


def topic_phrase(text: str, regions: Sequence[str], keys: Sequence[str]) -> str:
    """A short name for what the question asks about, e.g. ``北京门诊起付线`` or ``失业金``."""
    shown = []
    for part in [*regions[:1], *keys]:
        at = text.find(part)
        end = at + len(part)
        if at >= 0 and end < len(text) and text[end] in _SUFFIXES:
            part += text[end]
        shown.append(part)
    phrase = "".join(shown)
    return phrase if len(phrase) <= _TOPIC_CHARS else "、".join(shown[:4])


def domain_concepts(text: str) -> tuple[str, ...]:
    """The specific 医保 concepts ``text`` names (longest of nested ones)."""
    return outermost([t for t in load_vocabulary().concepts if t in text])


def understand(asked: str, history: Sequence[Turn] = (), max_turns: int = 6) -> Question:
    """Understand ``asked`` (already validated) in the context of the earlier turns.

    Args:
        asked: The user's question.
        history: Earlier turns; only the user's own questions are used.
        max_turns: How many earlier user turns may be considered.

    Returns:
        The :class:`qa.types.Question`; for an empty text every derived field is empty.
    """
    resolved = resolve(asked, history, max_turns)
    cleaned = clean_question(resolved.text)
    text = normalize_question(cleaned)
    tokenizer = get_tokenizer()
    terms = tuple(tokenizer.tokenize(text))
    extra = synonym_terms(get_synonyms().related(text))
    regions = find_regions(text)
    keys = key_terms(terms, regions)
    own_intent = classify_intent(normalize_question(asked))
    if resolved.follow_up and resolved.inherits and own_intent in ("offtopic", "greeting"):
        intent = classify_intent(text)
    elif resolved.follow_up:
        intent = own_intent
    else:
        intent = classify_intent(text)
    question = Question(
        asked=asked,
        standalone=resolved.text,
        text=text,
        embedding_text=cleaned,
        terms=terms,
        expanded=terms + tuple(t for t in extra if t not in terms),
        content_terms=tuple(t for t in terms if t not in SMALL_TALK),
        regions=regions,
        intent=intent,
        key_terms=keys,
        concepts=domain_concepts(text),
        asks_local=any(cue in text for cue in load_vocabulary().local_cues),
        topic=topic_phrase(text, regions, keys),
        follow_up=resolved.follow_up,
    )
    logger.debug(
        "question understood chars=%d terms=%d regions=%d intent=%s follow_up=%s",
        len(text),
        len(terms),
        len(regions),
        intent,
        resolved.follow_up,
    )
    return question
