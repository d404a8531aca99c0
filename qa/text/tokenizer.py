"""Chinese tokenisation for BM25: jieba search-mode cuts with a 医保 user dictionary.

Choices:
    * Search mode (``cut_for_search``): a long term also yields its dictionary sub-words,
      so a query for 居民医保 still shares 居民/医保 with a passage that says 城乡居民医保
      (precise mode gives the disjoint tokens 居民医保 vs 城乡居民医保). User-dictionary
      terms of 4+ characters embedded in a longer token are added too (城乡居民医保 also
      yields 居民医保), which jieba's own 2/3-gram expansion cannot do.
    * Stopwords (``data/stopwords.txt``) are function words and question fillers
      (的 了 吗 怎么 如何 什么 请问 …). Kept on purpose: domain words, numbers,
      多少/哪些/哪里 (they ask for amounts, lists, places), negations 不/没/未 and
      greetings (``你好`` stays a token: it matches no passage, so BM25 gates it).
    * Text is NFKC-normalised (full-width digits and letters become ASCII) and ASCII is
      lowercased; tokens made only of punctuation, symbols or spaces are dropped.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from qa.settings import DATA_DIR
from qa.text.normalize import fold
from qa.text.synonyms import get_synonyms

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

USER_DICT = DATA_DIR / "userdict.txt"
INTENT_TERMS = DATA_DIR / "intent_terms.toml"
STOPWORDS = DATA_DIR / "stopwords.txt"
#: Bump when tokenisation rules change, so indexes built with old tokens count as stale.
TOKENIZER_VERSION = "1"
_MIN_EMBEDDED_TERM = 4  # jieba's search mode already yields 2- and 3-char sub-words


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _is_noise(token: str) -> bool:
    """True for tokens made only of whitespace, punctuation, symbols or control chars."""
    return all(unicodedata.category(ch)[0] in "PSZC" for ch in token)


def _read_lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class ChineseTokenizer:
    """Tokeniser with its own ``jieba.Tokenizer`` (never the global one), loaded lazily.

    Args:
        user_dict: jieba user dictionary (``word freq [tag]`` per line).
        stopwords: File with one stopword per line (``#`` starts a comment).
    """

    def __init__(self, user_dict: Path = USER_DICT, stopwords: Path = STOPWORDS) -> None:
        self.user_dict = Path(user_dict)
        self.stopwords: frozenset[str] = frozenset(_read_lines(Path(stopwords)))
        terms = (line.split()[0] for line in _read_lines(self.user_dict))
        self.user_terms: frozenset[str] = frozenset(
            t for t in terms if len(t) >= _MIN_EMBEDDED_TERM and all(map(_is_cjk, t))
        )
        self._longest_term = max(map(len, self.user_terms), default=0)
        self._jieba: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def _cutter(self) -> jieba.Tokenizer:
        """The jieba tokenizer, built and loaded with the user dictionary on first use."""
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    cutter = jieba.Tokenizer()
                    cutter.load_userdict(str(self.user_dict))  # also loads the main dict
                    logger.debug("jieba loaded with user dictionary %s", self.user_dict)
                    self._jieba = cutter
        return self._jieba

    def _embedded_terms(self, token: str) -> list[str]:
        """User-dictionary terms strictly inside ``token`` (4+ chars), shortest first, each
        size left to right; linear in ``len(token)`` (no term is longer than the longest)."""
        found = []
        for size in range(_MIN_EMBEDDED_TERM, min(len(token), self._longest_term + 1)):
            for i in range(len(token) - size + 1):
                if token[i : i + size] in self.user_terms:
                    found.append(token[i : i + size])
        return found

    def known(self, word: str) -> bool:
        """Whether ``word`` is in jieba's dictionary (or ours), not glued by its HMM (哪交)."""
        return bool(self._cutter().FREQ.get(word))

    def tokenize(self, text: str) -> list[str]:
        """Search-mode tokens of ``text`` without punctuation and stopwords."""
        text = fold(text)
        if not text:
            return []
        tokens: list[str] = []
        for raw in self._cutter().cut_for_search(text):
            token = raw.strip()
            if not token or _is_noise(token) or token in self.stopwords:
                continue
            if len(token) > _MIN_EMBEDDED_TERM:
                tokens.extend(self._embedded_terms(token))
            tokens.append(token)
        return tokens

    def respell(self, text: str) -> str:
        """Pinyin-input slips written as the domain word they sound like.

        A stretch jieba does not know as a word (没机活, 被案, 社保基树: its HMM glues the slip
        to a neighbour) is searched for a part that reads, tones aside, like exactly one
        domain term (:func:`domain_terms`): 激活, 备案, 社保基数. The part lies inside the
        unknown token, or joins it to the word before or after it; it is neither a known
        word nor a term already, and holds no particle or question word (医保吗 → 医保码 is
        the synonym table's, only when more text follows). Two known words, neither a term,
        that together read like a term of 3+ characters are respelled too (家庭 + 共计 →
        家庭共济; not 月 + 医保 → 粤医保). Nothing else changes.
        """
        cutter = self._cutter()
        tokens = list(cutter.tokenize(text))
        fixes: list[tuple[int, int, str] | None] = []
        for k, (word, start, end) in enumerate(tokens):
            if not all(map(_is_cjk, word)) or _known_word(cutter, word):
                continue
            starts = [*range(start, end), *(tokens[k - 1][1:2] if k else ())]
            ends = {
                *range(start + 1, end + 1),
                *(tokens[k + 1][2:3] if k + 1 < len(tokens) else ()),
            }
            fixes.append(_sounds_like(text, sorted(starts), ends, cutter))
        terms = domain_terms()  # 个月 + 医保 is no slip for 粤医保
        for (first, start, _), (second, _, end) in zip(tokens, tokens[1:], strict=False):
            if len(first) + len(second) >= 3 and first not in terms and second not in terms:
                fixes.append(_sounds_like(text, [start], {end}, cutter))
        kept: list[tuple[int, int, str]] = []
        for fix in filter(None, fixes):
            if not any(fix[0] < b and a < fix[1] for a, b, _ in kept):
                kept.append(fix)
        for a, b, term in sorted(kept, reverse=True):
            logger.debug("respelled %s as %s", text[a:b], term)
            text = text[:a] + term + text[b:]
        return text

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokenise each text; see ``tokenize``."""
        return [self.tokenize(text) for text in texts]


#: Particles and question words: a stretch holding one is no slip (交哪 is not 缴纳).
_NOT_IN_SLIP = frozenset("吗呢吧啊了的得地么嘛呀哦着过不哪什怎谁")


def _known_word(cutter: jieba.Tokenizer, word: str) -> bool:
    return cutter.FREQ.get(word, 0) > 0 or word in domain_terms()


def _sounds_like(
    text: str, starts: Sequence[int], ends: set[int], cutter: jieba.Tokenizer
) -> tuple[int, int, str] | None:
    """The longest ``text[a:b]`` (``a`` in ``starts``, ``b`` in ``ends``) reading like exactly
    one domain term, as ``(a, b, term)``; else None."""
    sounds = _sound_index()
    for size in range(_LONGEST_SLIP, 1, -1):
        for a in starts:
            b = a + size
            part = text[a:b]
            if b not in ends or not all(map(_is_cjk, part)) or _NOT_IN_SLIP & set(part):
                continue
            if _known_word(cutter, part):
                continue
            terms = sounds.get(_reading(part), ())
            if len(terms) == 1:
                return a, b, terms[0]
    return None


_LONGEST_SLIP = 5


def _reading(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin  # toneless, one reading per character

    return tuple(lazy_pinyin(word))


@cache
def domain_terms() -> frozenset[str]:
    """The words a slip may be respelled as: the user dictionary, the synonym table and the
    insurance vocabulary of ``intent_terms.toml`` (2–5 Chinese characters each)."""
    words = {line.split()[0] for line in _read_lines(USER_DICT)} | get_synonyms().words()
    vocabulary = tomllib.loads(INTENT_TERMS.read_text(encoding="utf-8"))["insurance"]
    words |= {*vocabulary["terms"], *vocabulary["concepts"]}
    return frozenset(w for w in words if 2 <= len(w) <= _LONGEST_SLIP and all(map(_is_cjk, w)))


@cache
def _sound_index() -> dict[tuple[str, ...], tuple[str, ...]]:
    index: dict[tuple[str, ...], list[str]] = {}
    for term in sorted(domain_terms()):
        index.setdefault(_reading(term), []).append(term)
    return {reading: tuple(terms) for reading, terms in index.items()}


def outermost(words: Iterable[str]) -> tuple[str, ...]:
    """``words`` without duplicates and without words nested in another one (起付线, not 起付)."""
    unique = list(dict.fromkeys(words))
    return tuple(w for w in unique if not any(w != other and w in other for other in unique))


@cache
def get_tokenizer() -> ChineseTokenizer:
    """The process-wide tokenizer (jieba itself loads on the first ``tokenize``)."""
    return ChineseTokenizer()


def tokenizer_signature() -> str:
    """Short hash of everything that determines tokens: rules, jieba version, data files."""
    digest = hashlib.sha256(f"v{TOKENIZER_VERSION}:jieba{metadata.version('jieba')}".encode())
    for path in (USER_DICT, STOPWORDS):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
