"""One family of text normalisers, shared by every stage.

* :func:`fold` — NFKC (full-width → half-width) and case-folded: how words are matched.
* :func:`compact` — :func:`fold` without whitespace and punctuation: a text's content identity.
* :func:`char_bigrams` — character bigrams of :func:`compact` text: fuzzy overlap of two texts.
* :func:`clean_question` — a user's question as the embedder reads it.
* :func:`normalize_question` — a user's question as BM25, regions and intent read it.
* :func:`shown_text` — a source line as an answer shows it: spaces folded, a formula the page
  rendered three times (spaced, TeX, plain) shown once.

Example:
    >>> normalize_question("請問醫保碼怎麼激活啊?")
    '医保码怎么激活'
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import Any

from qa.text.synonyms import get_synonyms

#: A formula rendered three times by the scraped page's math renderer: spaced (15500 × ( 8 % +
#: 2 % ) = 1627.5), TeX (15500 \\times (8\\%+2\\%)=1627.5), then plain (15500 × ( 8% + 2% )…).
_MATH_TWICE = re.compile(
    r"(?<![\d.])(?P<first>[\d.]+ [^=\\。,，;；\n]{1,60}?= ?(?P<r>[\d.]+)) "
    r"[\d.]+ ?[^=。,，;；\n]*?\\[^=。,，;；\n]*?= ?(?P=r) "
    r"(?:(?P<cut>[\d.]+ ?[^=。,，;；\n]{0,40}$)|(?=[\d.]+ ))"  # the plain one: cut off, or on
)


def _once(found: re.Match[str]) -> str:
    """The formula once: "" when the plain rendering follows with its result, the spaced one
    (and nothing after it) when the plain one is cut off before its result."""
    if found["cut"] is not None:
        return found["first"]
    rest = found.string[found.end() :]
    if re.match(rf"[^=。,，;；\n]*?= ?{re.escape(found['r'])}(?![\d.])", rest):
        return ""
    return found["first"] + " "


def shown_text(text: str) -> str:
    """``text`` as an answer shows it: whitespace folded to single spaces, a formula the page
    rendered three times shown once (the plain rendering, or the spaced one when the plain one
    is cut off), and a display formula without its TeX marks."""
    once = _MATH_TWICE.sub(_once, " ".join(text.split()))
    return _TEX_TEXT.sub(r"\1", _DISPLAY_MATH.sub("", once))


#: A display formula's ``$$`` marks, and TeX's ``\text{…}`` around its words
#: ($$ \text{基础养老金} = …, shown as 基础养老金 = …).
_DISPLAY_MATH = re.compile(r"\$\$\s*")
_TEX_TEXT = re.compile(r"\\text\{([^{}]*)\}")


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
_PUNCT = re.compile(r"[^\w\s%.+\-×/]|(?<!\d)[.](?!\d)|_")
_SPACES = re.compile(r"\s+")
_LEADING_NOISE = re.compile(r"^[\W_]+")

_converter_lock = threading.Lock()


def has_control_chars(text: str) -> bool:
    """True if ``text`` has control characters (tab/newline aside) or lone surrogates.

    C0 and C1 controls and DEL read as nothing; lone surrogates cannot even be encoded as UTF-8.
    """
    return any(
        (ord(ch) < 32 and ch not in "\t\n\r")
        or 0x7F <= ord(ch) <= 0x9F
        or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )


def fold(text: str) -> str:
    """NFKC, case-folded, without surrounding whitespace."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def without_spaces(text: str) -> str:
    """NFKC with all whitespace removed (case and punctuation kept): how quotes are matched."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def holds_anchor(text: str, anchor: str) -> bool:
    """Whether ``text`` (a chunk) holds ``anchor``, both :func:`without_spaces`: as a substring,
    or — an anchor straddling a chunk boundary — at least half of it: a prefix of the anchor of
    length ≥ ceil(len/2) ends the text, or such a suffix starts it (an exact half counts for both
    chunks). An empty anchor is held nowhere. ``yibao eval``'s hit and the known questions'
    passages (``qa.retrieval.known``) are this rule."""
    chunk, span = without_spaces(text), without_spaces(anchor)
    if not span or span in chunk:
        return bool(span)
    half = (len(span) + 1) // 2
    return any(
        chunk.endswith(span[:n]) or chunk.startswith(span[-n:]) for n in range(half, len(span))
    )


def compact(text: str) -> str:
    """:func:`fold` with all whitespace and punctuation removed (``"医保 码,"`` → ``"医保码"``)."""
    return "".join(
        ch for ch in fold(text) if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


def char_bigrams(text: str) -> frozenset[str]:
    """Character bigrams of ``text``'s letters, digits and ideographs (after :func:`fold`).

    Example:
        >>> sorted(char_bigrams("医保,码"))
        ['保码', '医保']
    """
    chars = [c for c in fold(text) if c.isalnum()]
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


@cache
def _t2s() -> Any:
    """The OpenCC traditional → simplified converter (built on first use)."""
    with _converter_lock:
        from opencc import OpenCC

        return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters and phrases to simplified ones."""
    return str(_t2s().convert(text))


#: A bare 补 after 能/可以/还/再 (还能补吗) in a question about paying means 补缴; 补办, 补卡,
#: 补贴 … are other words.
_BARE_MAKE_UP = re.compile(r"(?<=[能以还再])补(?![办卡缴交贴助充发录打换齐])")
_PAYING = re.compile(r"[交缴]")


def spell_out(text: str) -> str:
    """Colloquial shorthand written out: ``医保忘交了还能补吗`` → ``医保忘交了还能补缴吗``."""
    return _BARE_MAKE_UP.sub("补缴", text) if _PAYING.search(text) else text


_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_D = "[一二两三四五六七八九]"
_NOT_AFTER = "(?<![一二两三四五六七八九十百千万])"
#: A sum in Chinese numerals with 万 or 千: 一万五千七, 一万五, 九千五, 九千五百; not a range
#: (一万五六, 三千五六), left as said.
_SPOKEN_SUM = re.compile(
    rf"{_NOT_AFTER}(?:({_D})万(?:({_D})千?(?:({_D})百?)?)?|({_D})千(?:({_D})百?)?)(?!{_D})"
)


def _sum_value(m: re.Match[str]) -> str:
    ten_thousands, thousands, hundreds, lone_thousands, lone_hundreds = m.groups()
    if ten_thousands and hundreds and "千" not in m.group():
        return m.group()  # 一万五七: no such way to say a sum
    digits: tuple[str | None, ...] = (lone_thousands, lone_hundreds)
    scale = 1000
    if ten_thousands:
        digits, scale = (ten_thousands, thousands, hundreds), 10000
    return str(sum(_DIGIT.get(d or "", 0) * scale // 10**i for i, d in enumerate(digits)))


def spell_numbers(text: str) -> str:
    """Sums said in words written in digits, as the pages write them: ``基数一万五千七`` →
    ``基数15700``, ``工资九千五`` → ``工资9500``."""
    return _SPOKEN_SUM.sub(_sum_value, text)


def clean_question(text: str) -> str:
    """The question as the embedder sees it: NFKC, simplified, typos fixed, shorthand spelled
    out, leading politeness fillers dropped, punctuation and particles kept (the model reads
    natural questions best).
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = spell_numbers(spell_out(get_synonyms().fix_typos(to_simplified(text)))).strip()
    changed = True
    while changed and text:
        before = text
        for filler in _LEADING_FILLERS:
            if text.startswith(filler) and len(text) > len(filler):
                text = text[len(filler) :]
        text = _LEADING_NOISE.sub("", text)
        changed = text != before
    return text


def normalize_question(text: str) -> str:
    """The cleaned form of a question: width, script, typos, fillers and punctuation.

    Args:
        text: The question as asked (or already :func:`clean_question`-ed: idempotent).

    Returns:
        Simplified, half-width text without leading politeness fillers, trailing particles
        or punctuation (inner punctuation becomes one space). May be empty.
    """
    text = _SPACES.sub(" ", _PUNCT.sub(" ", clean_question(text))).strip()
    return text.rstrip(_TRAILING_PARTICLES + " ") or text
