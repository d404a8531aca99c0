"""Evidence that the retrieved passages answer a question, as numbers a refusal model can weigh.

Features of (question, hits):

* ``dense_top`` — best cosine similarity among the hits; ``dense_margin`` — best minus second.
* ``bm25_top`` — ``log1p`` of the best BM25 score (0 when no passage shares a token).
* ``coverage`` — share of the question's key terms found in the top-3 passages (title + text);
  a term absent verbatim counts by the share of its character bigrams present.
* ``title_overlap`` — best share of the key terms' bigrams found in one top-3 title.
* ``agreement`` — 1 when the dense and BM25 top-3 share a chunk, 0.5 a document, else 0.
* ``domain_missing`` — 1 when the question names a specific 医保 concept (``concepts`` of
  ``data/intent_terms.toml``: 起付线, 慢特病, 工伤认定 …) that no top-5 passage mentions,
  synonyms counted (``missing_concepts`` names them).
* ``region_missing`` — 1 when the question names a place no top-5 passage covers
  (``missing_regions`` names them); ``asks_local`` — it asks for a local figure or rule
  (多少, 比例, 标准 … in ``data/intent_terms.toml``), which only a passage about that place answers.

Key terms are the question's jieba search-mode words of 2+ characters without stopwords, the
generic 医保 words of ``data/intent_terms.toml`` (医保, 怎么, 办理 …) and place names (places
have their own feature), keeping only the longest of nested words (起付线, not 起付).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from qa.refusal.intent import Intent, classify_intent, load_vocabulary, normalize
from qa.text.regions import find_regions, province_of
from qa.text.tokenizer import get_tokenizer
from qa.types import Hit

logger = logging.getLogger(__name__)

#: Numeric features a refusal model weighs (``region_missing`` is a rule of its own).
FEATURE_NAMES = (
    "dense_top",
    "dense_margin",
    "bm25_top",
    "coverage",
    "title_overlap",
    "agreement",
    "domain_missing",
)
COVERAGE_HITS = 3
CONTEXT_HITS = 5  # passages searched for the question's places and 医保 concepts
_MISSING_BELOW = 0.5  # a term covered less than this is reported as missing
_SUFFIXES = "金费险卡证线率额"  # single-char tokens that finish a term (失业+金 = 失业金)


@dataclass(frozen=True)
class RefusalFeatures:
    """Features of one (question, hits) pair; see the module docstring."""

    dense_top: float
    dense_margin: float
    bm25_top: float
    coverage: float
    title_overlap: float
    agreement: float
    domain_missing: float
    region_missing: float
    asks_local: float
    intent: Intent
    key_terms: tuple[str, ...]
    missing_terms: tuple[str, ...]
    missing_concepts: tuple[str, ...]
    regions: tuple[str, ...]
    missing_regions: tuple[str, ...]

    def vector(self, names: Sequence[str] = FEATURE_NAMES) -> list[float]:
        """The numeric features ``names`` in order (an unknown name counts as 0)."""
        values = asdict(self)
        return [float(values.get(name, 0.0)) for name in names]

    def as_dict(self) -> dict[str, object]:
        """All features, JSON-friendly."""
        values = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _outermost(words: Sequence[str]) -> tuple[str, ...]:
    """``words`` without duplicates and without words nested in another one."""
    unique = list(dict.fromkeys(words))
    return tuple(w for w in unique if not any(w != other and w in other for other in unique))


def bigrams(text: str) -> set[str]:
    """Character bigrams of ``text`` (normalised); a 1-char text is its own 'bigram'."""
    text = normalize(text)
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def key_terms(question: str, regions: Sequence[str] = ()) -> tuple[str, ...]:
    """Content words of ``question`` that a passage answering it should contain.

    Args:
        question: The user's question.
        regions: Places named in it (left out: they have their own feature).

    Returns:
        Longest non-nested words of 2+ characters, in order of first appearance.
    """
    generic = set(load_vocabulary().generic)
    words: list[str] = []
    for token in get_tokenizer().tokenize(question):
        if len(token) < 2 or token in generic or token in words:
            continue
        if any(token in place or place in token for place in regions):
            continue
        words.append(token)
    return _outermost(words)


def topic_phrase(question: str) -> str:
    """A short name for what the question asks about, e.g. ``北京门诊起付线`` or ``失业金``."""
    norm = normalize(question)
    regions = find_regions(norm)
    parts = [*regions[:1], *key_terms(norm, regions)]
    shown = []
    for part in parts:
        at = norm.find(part)
        end = at + len(part)
        if at >= 0 and end < len(norm) and norm[end] in _SUFFIXES:
            part += norm[end]
        shown.append(part)
    phrase = "".join(shown)
    return phrase if len(phrase) <= 12 else "、".join(shown[:4])


def term_coverage(term: str, text: str) -> float:
    """1 when ``term`` occurs in ``text``, else the share of its bigrams that do."""
    if term in text:
        return 1.0
    grams = bigrams(term)
    return sum(g in text for g in grams) / len(grams) if grams else 0.0


def domain_terms(question: str) -> tuple[str, ...]:
    """The specific 医保 concepts ``question`` names (longest of nested ones)."""
    norm = normalize(question)
    return _outermost([t for t in load_vocabulary().concepts if t in norm])


def _place_covered(place: str, chunk_regions: Sequence[str]) -> bool:
    """A city is covered by itself; a province by itself or any of its cities."""
    if place in chunk_regions:
        return True
    return province_of(place) == place and any(province_of(r) == place for r in chunk_regions)


def _top_rows(hits: Sequence[Hit], signal: str, n: int) -> list[Hit]:
    scored = [h for h in hits if signal in h.scores]
    return sorted(scored, key=lambda h: -h.scores[signal])[:n]


def _agreement(hits: Sequence[Hit]) -> float:
    dense = _top_rows(hits, "dense", COVERAGE_HITS)
    lexical = _top_rows(hits, "bm25", COVERAGE_HITS)
    if {h.chunk.chunk_id for h in dense} & {h.chunk.chunk_id for h in lexical}:
        return 1.0
    if {h.chunk.doc_id for h in dense} & {h.chunk.doc_id for h in lexical}:
        return 0.5
    return 0.0


def _title_overlap(terms: Sequence[str], top: Sequence[Hit]) -> float:
    grams = set().union(*(bigrams(t) for t in terms)) if terms else set()
    if not grams:
        return 1.0
    return max((len(grams & bigrams(h.chunk.title)) / len(grams) for h in top), default=0.0)


def compute_features(
    question: str, hits: Sequence[Hit], intent: Intent | None = None
) -> RefusalFeatures:
    """Measure how well ``hits`` (ranked, best first) cover ``question``.

    Args:
        question: The user's question.
        hits: Retrieved hits; ``Hit.scores`` may hold ``dense`` and ``bm25`` values.
        intent: The question's intent when already known (computed otherwise).

    Returns:
        The features; a question without key terms counts as fully covered.
    """
    norm = normalize(question)
    regions = find_regions(norm)
    terms = key_terms(norm, regions)
    dense = sorted((h.scores["dense"] for h in hits if "dense" in h.scores), reverse=True)
    bm25 = max((h.scores.get("bm25", 0.0) for h in hits), default=0.0)
    top = hits[:COVERAGE_HITS]
    passages = normalize(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in top))
    per_term = {t: term_coverage(t, passages) for t in terms}
    coverage = sum(per_term.values()) / len(terms) if terms else 1.0
    title_overlap = _title_overlap(terms, top)
    context = normalize(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits[:CONTEXT_HITS]))
    vocab = load_vocabulary()
    missing_concepts = tuple(
        t for t in domain_terms(norm) if not any(v in context for v in vocab.variants(t))
    )
    chunk_regions = [r for h in hits[:CONTEXT_HITS] for r in h.chunk.regions]
    missing_regions = tuple(p for p in regions if not _place_covered(p, chunk_regions))
    return RefusalFeatures(
        dense_top=dense[0] if dense else 0.0,
        dense_margin=dense[0] - dense[1] if len(dense) > 1 else 0.0,
        bm25_top=math.log1p(max(bm25, 0.0)),
        coverage=coverage,
        title_overlap=title_overlap,
        agreement=_agreement(hits),
        domain_missing=1.0 if missing_concepts else 0.0,
        region_missing=1.0 if missing_regions else 0.0,
        asks_local=1.0 if any(cue in norm for cue in vocab.local_cues) else 0.0,
        intent=intent or classify_intent(question),
        key_terms=terms,
        missing_terms=_outermost(
            [*missing_concepts, *(t for t, c in per_term.items() if c < _MISSING_BELOW)]
        ),
        missing_concepts=missing_concepts,
        regions=regions,
        missing_regions=missing_regions,
    )
