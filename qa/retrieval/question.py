"""Query understanding: normalise a user's question, pick its content terms, synonyms and regions.

``normalized`` is what the retriever embeds and matches: NFKC (full-width → half-width),
traditional → simplified Chinese (OpenCC ``t2s``), known typos fixed, politeness fillers
(请问, 我想问一下 …) and sentence-final particles (啊/呀/呢 …) removed, punctuation turned into
spaces. ``terms`` are its BM25 tokens; ``expanded`` adds the tokens of synonyms from
``data/synonyms.toml``. ``content_terms`` drops greetings and thanks: a question without any
is small talk, and hybrid search returns nothing for it.

Example:
    >>> info = analyze_query("請問醫保碼怎麼激活啊?")
    >>> info.normalized
    '医保码怎么激活'
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from qa.text.regions import find_regions
from qa.text.synonyms import get_synonyms
from qa.text.tokenizer import get_tokenizer

logger = logging.getLogger(__name__)

#: Politeness and hedging openers removed from the start of a question (longest first).
_LEADING_FILLERS = (
    "我想请问一下",
    "我想问一下",
    "我想咨询一下",
    "想咨询一下",
    "想问一下",
    "请问一下",
    "问一下",
    "我想知道",
    "想知道",
    "请教一下",
    "请问",
    "你好",
    "您好",
)
#: Sentence-final particles removed from the end of a question (after punctuation).
_TRAILING_PARTICLES = "啊呀呢哦吧啦嘛哈呐"
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
_PUNCT = re.compile(r"[^\w\s%.+\-×/]|(?<!\d)[.](?!\d)|_")
_SPACES = re.compile(r"\s+")
_LEADING_NOISE = re.compile(r"^[\W_]+")


@dataclass(frozen=True)
class QueryInfo:
    """A user's question, understood.

    Attributes:
        original: The text as asked.
        normalized: Cleaned question (see the module docstring); what BM25 and regions use.
        embedding_text: What the embedder gets: ``normalized`` before punctuation and
            final particles are stripped (see :func:`clean_question`).
        terms: BM25 tokens of ``normalized`` (stopwords removed).
        expanded: ``terms`` plus the tokens of synonyms of words in the question.
        regions: Places named in the question, cities first (``qa.text.regions.find_regions``).
        content_terms: ``terms`` without greetings and thanks; empty for small talk.
    """

    original: str
    normalized: str
    terms: tuple[str, ...]
    expanded: tuple[str, ...]
    regions: tuple[str, ...]
    content_terms: tuple[str, ...] = ()
    embedding_text: str = ""

    @property
    def is_small_talk(self) -> bool:
        """True when the question names nothing to search for (你好, 谢谢, 在吗 …)."""
        return not self.content_terms


_converter_lock = threading.Lock()


@cache
def _t2s():  # type: ignore[no-untyped-def]
    """The OpenCC traditional → simplified converter (built on first use)."""
    with _converter_lock:
        from opencc import OpenCC

        return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters and phrases to simplified ones."""
    return _t2s().convert(text)


def clean_question(text: str) -> str:
    """The question as the embedder sees it: NFKC, simplified, typos fixed, leading politeness
    fillers dropped, punctuation and particles kept (the model reads natural questions best).
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = get_synonyms().fix_typos(to_simplified(text)).strip()
    changed = True
    while changed and text:
        before = text
        for filler in _LEADING_FILLERS:
            if text.startswith(filler) and len(text) > len(filler):
                text = text[len(filler) :]
        text = _LEADING_NOISE.sub("", text)
        changed = text != before
    return text


def normalize_query(text: str) -> str:
    """The cleaned form of a question: width, script, typos, fillers and punctuation.

    Args:
        text: The question as asked.

    Returns:
        Simplified, half-width text without leading politeness fillers, trailing particles
        or punctuation (inner punctuation becomes one space). May be empty.
    """
    text = _SPACES.sub(" ", _PUNCT.sub(" ", clean_question(text))).strip()
    return text.rstrip(_TRAILING_PARTICLES + " ") or text


def synonym_terms(words: Iterable[str]) -> list[str]:
    """BM25 tokens for synonym words: the word itself when the tokenizer keeps it whole,
    else its tokens of two or more characters (single characters match too much)."""
    tokenizer = get_tokenizer()
    out: list[str] = []
    for word in words:
        tokens = tokenizer.tokenize(word)
        out.extend([word] if word in tokens else [t for t in tokens if len(t) > 1])
    return list(dict.fromkeys(out))


def passage_terms(text: str) -> list[str]:
    """BM25 tokens a passage is indexed under: its own plus its synonyms' (see
    ``SynonymTable.passage_related``), so a query's words match the corpus's wording."""
    tokens = get_tokenizer().tokenize(text)
    seen = set(tokens)
    return tokens + [
        t for t in synonym_terms(get_synonyms().passage_related(text)) if t not in seen
    ]


def analyze_query(text: str) -> QueryInfo:
    """Normalise ``text`` and derive its terms, synonym expansion and regions.

    Args:
        text: The user's question.

    Returns:
        The :class:`QueryInfo`; for an empty question every field but ``original`` is empty.
    """
    cleaned = clean_question(text)
    normalized = normalize_query(cleaned)
    terms = tuple(get_tokenizer().tokenize(normalized))
    extra = synonym_terms(get_synonyms().related(normalized))
    expanded = terms + tuple(t for t in extra if t not in terms)
    content = tuple(t for t in terms if t not in SMALL_TALK)
    regions = find_regions(normalized)
    logger.debug(
        "query analysed chars=%d terms=%d regions=%d", len(normalized), len(terms), len(regions)
    )
    return QueryInfo(text, normalized, terms, expanded, regions, content, cleaned)
