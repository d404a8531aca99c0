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
  (``missing_regions`` names them; for an amount question only a passage that also states an
  amount covers it: 汕头 named in a snippet about 参保地 gives no 汕头 rate); ``asks_local`` —
  it asks for a local figure or rule (多少, 比例, 标准 … in ``data/intent_terms.toml``), which
  only a passage about that place answers. ``missing_years`` — years the question names
  (2026年度) that no top-5 passage names.

Key terms are the question's jieba search-mode words of 2+ characters without stopwords, the
generic 医保 words of ``data/intent_terms.toml`` (医保, 怎么, 办理 …) and place names (places
have their own feature), keeping only the longest of nested words (起付线, not 起付).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from qa.refusal.intent import load_vocabulary
from qa.settings import default
from qa.text.normalize import char_bigrams, fold
from qa.text.regions import province_of
from qa.text.tokenizer import outermost
from qa.types import Hit, Intent, Question

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
STATES_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:元|%|％)")
_YEAR = re.compile(r"(?<!\d)20\d\d(?=\s*年)")
_MISSING_BELOW = 0.5  # a term covered less than this is reported as missing


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
    missing_years: tuple[str, ...] = ()

    def vector(self, names: Sequence[str] = FEATURE_NAMES) -> list[float]:
        """The numeric features ``names`` in order (an unknown name counts as 0)."""
        values = asdict(self)
        return [float(values.get(name, 0.0)) for name in names]

    def as_dict(self) -> dict[str, object]:
        """All features, JSON-friendly."""
        values = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def bigram_share(text: str, other: str) -> float:
    """Share of ``text``'s character bigrams found in ``other`` (1-char text: itself)."""
    grams = char_bigrams(text) or ({fold(text)} if fold(text) else set())
    return sum(g in other for g in grams) / len(grams) if grams else 0.0


def term_coverage(term: str, text: str) -> float:
    """1 when ``term`` occurs in ``text``, else the share of its bigrams that do."""
    return 1.0 if term in text else bigram_share(term, text)


def place_covered(place: str, chunk_regions: Sequence[str]) -> bool:
    """A city is covered by itself; a province by itself or any of its cities."""
    if place in chunk_regions:
        return True
    return province_of(place) == place and any(province_of(r) == place for r in chunk_regions)


def quoted_about(place: str, regions: Sequence[str]) -> bool:
    """Whether a quoted passage with ``regions`` is about ``place``: covers it, or names its
    province (a 山东 rule answers for 德州)."""
    return place_covered(place, regions) or province_of(place) in regions


def _top_rows(hits: Sequence[Hit], signal: str, n: int) -> list[Hit]:
    scored = [h for h in hits if signal in h.scores]
    return sorted(scored, key=lambda h: -h.scores[signal])[:n]


def _agreement(hits: Sequence[Hit], n: int) -> float:
    dense = _top_rows(hits, "dense", n)
    lexical = _top_rows(hits, "bm25", n)
    if {h.chunk.chunk_id for h in dense} & {h.chunk.chunk_id for h in lexical}:
        return 1.0
    if {h.chunk.doc_id for h in dense} & {h.chunk.doc_id for h in lexical}:
        return 0.5
    return 0.0


def _title_overlap(terms: Sequence[str], top: Sequence[Hit]) -> float:
    grams = frozenset().union(*(char_bigrams(t) for t in terms)) if terms else frozenset()
    if not grams:
        return 1.0
    return max((len(grams & char_bigrams(h.chunk.title)) / len(grams) for h in top), default=0.0)


def compute_features(
    question: Question,
    hits: Sequence[Hit],
    coverage_hits: int = default("refusal_coverage_hits"),
    context_hits: int = default("refusal_context_hits"),
) -> RefusalFeatures:
    """Measure how well ``hits`` (ranked, best first) cover ``question``.

    Args:
        question: The understood question.
        hits: Retrieved hits; ``Hit.scores`` may hold ``dense`` and ``bm25`` values.
        coverage_hits: Settings ``refusal_coverage_hits``.
        context_hits: Settings ``refusal_context_hits``.

    Returns:
        The features; a question without key terms counts as fully covered.
    """
    terms = question.key_terms
    dense = sorted((h.scores["dense"] for h in hits if "dense" in h.scores), reverse=True)
    bm25 = max((h.scores.get("bm25", 0.0) for h in hits), default=0.0)
    top = hits[:coverage_hits]
    passages = fold(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in top))
    per_term = {t: term_coverage(t, passages) for t in terms}
    coverage = sum(per_term.values()) / len(terms) if terms else 1.0
    context = fold(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits[:context_hits]))
    vocab = load_vocabulary()
    missing_concepts = tuple(
        t for t in question.concepts if not any(v in context for v in vocab.variants(t))
    )
    stating = [  # an amount question is answered by a passage stating one
        h
        for h in hits[:context_hits]
        if question.kind != "amount" or STATES_AMOUNT.search(f"{h.chunk.title} {h.chunk.text}")
    ]
    chunk_regions = [r for h in stating for r in h.chunk.regions]
    missing_regions = tuple(p for p in question.regions if not place_covered(p, chunk_regions))
    asked_years = dict.fromkeys(_YEAR.findall(question.text))
    missing_years = tuple(y for y in asked_years if y not in context)
    return RefusalFeatures(
        dense_top=dense[0] if dense else 0.0,
        dense_margin=dense[0] - dense[1] if len(dense) > 1 else 0.0,
        bm25_top=math.log1p(max(bm25, 0.0)),
        coverage=coverage,
        title_overlap=_title_overlap(terms, top),
        agreement=_agreement(hits, coverage_hits),
        domain_missing=1.0 if missing_concepts else 0.0,
        region_missing=1.0 if missing_regions else 0.0,
        asks_local=1.0 if question.asks_local else 0.0,
        intent=question.intent,
        key_terms=terms,
        missing_terms=outermost(
            [*missing_concepts, *(t for t, c in per_term.items() if c < _MISSING_BELOW)]
        ),
        missing_concepts=missing_concepts,
        regions=question.regions,
        missing_regions=missing_regions,
        missing_years=missing_years,
    )
