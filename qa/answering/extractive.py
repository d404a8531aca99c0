"""Extractive answers: a direct lead sentence, then the source's own steps and points, each
followed by an ``[n]`` marker citing the exact document span it quotes, then trust notes.

Deterministic and model-free. Question words are jieba tokens weighted by inverse document
frequency over the corpus. Passages are split into excerpts by :mod:`qa.answering.quotes`;
relevant passages, the lead and ``answer_max_points`` points by :mod:`qa.answering.points`.

No figure is shown that is not in a cited quote (:func:`qa.text.figures.unsupported_figures`
on every excerpt and the conflict note); the date note's dates come from document metadata.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.answering.points import Scorer, relevant_chunks, select_points
from qa.answering.trust.conflicts import conflict_note, find_conflicts, place_of
from qa.settings import Settings, default
from qa.text.figures import extract_figures, unsupported_figures
from qa.text.normalize import fold
from qa.text.substrings import SubstringIndex, substrings_of
from qa.text.synonyms import get_synonyms
from qa.text.verdicts import find_verdict_conflict, verdict_note
from qa.types import Chunk, Citation, Document, Hit, Question

logger = logging.getLogger(__name__)

_INFORMATIVE = 1.0  # weight of a token rare enough to show relevance (not 医保, 缴费 …)


@dataclass(frozen=True)
class Composition:
    """An answer body without the disclaimer (the caller appends it).

    Attributes:
        body: Lead, points and notes with ``[n]`` markers; empty if nothing is relevant.
        citations: One per marker, numbered 1..n in order of first use.
        notes: The trust notes appended to the body, in order.
        composer: ``extractive`` or ``llm``.
        reason: Why the LLM answer was replaced by the extractive one (empty otherwise).
        unstated: What is asked that no quoted line states (时间, 金额 …): the caller refuses.
    """

    body: str
    citations: tuple[Citation, ...] = ()
    notes: tuple[str, ...] = ()
    composer: str = "extractive"
    reason: str = ""
    unstated: str = ""


def usable_chunks(
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    limit: int = default("answer_considered_hits"),
) -> list[Chunk]:
    """Distinct chunks of the best ``limit`` hits, by rank, whose text is their document's span."""
    chunks, seen = [], set()
    for hit in sorted(hits, key=lambda h: h.rank)[:limit]:
        chunk, doc = hit.chunk, documents.get(hit.chunk.doc_id)
        if chunk.chunk_id in seen:
            continue
        if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
            logger.warning("hit %s skipped: not a span of a known document", chunk.chunk_id)
            continue
        seen.add(chunk.chunk_id)
        chunks.append(chunk)
    return chunks


class Composer(Protocol):
    """Anything that composes a cited answer body (extractive, units, LLM)."""

    def compose(
        self, question: Question, hits: Sequence[Hit], documents: Mapping[str, Document]
    ) -> Composition: ...


class CitationList:
    """Citations numbered in order of first use; the same span reuses its number."""

    def __init__(self, documents: Mapping[str, Document]) -> None:
        self.documents = documents
        self.items: list[Citation] = []

    def number(self, chunk: Chunk, start: int, end: int, inside: bool = False) -> int:
        """Number for document span ``start:end`` (or, if ``inside``, a cited span holding it)."""
        for c in self.items:
            same = (c.start, c.end) == (start, end)
            if c.doc_id == chunk.doc_id and (same or inside and c.start <= start and end <= c.end):
                return c.n
        doc = self.documents[chunk.doc_id]
        n = len(self.items) + 1
        self.items.append(
            Citation(
                n,
                chunk.chunk_id,
                doc.doc_id,
                doc.source,
                chunk.title,
                doc.date,
                doc.text[start:end],
                start,
                end,
                doc.source_title,
                doc.url,
                doc.publisher,
                None if doc.date else doc.added,
            )
        )
        return n


def _states_figures(text: str) -> bool:
    """Whether ``text`` states a figure other than a list number (``1.``)."""
    return bool(extract_figures(re.sub(r"(?m)^\s*\d{1,2}[.、．)）](?!\d)", "", text)))


def trust_notes(
    question: Question,
    passages: Sequence[Chunk],
    citations: CitationList,
    answer: str,
    considered: Sequence[Chunk] = (),
) -> tuple[str, ...]:
    """The trust notes for ``answer`` (conflict, opposite verdicts, region, date), citing what
    they quote; a conflict note stating a figure missing from the cited quotes is dropped.
    Opposite verdicts are looked for in ``considered`` (default ``passages``): a verdict names
    the question's subject and predicate, so it needs no coverage filter.
    """
    conflicts = find_conflicts(passages, question.text, answer, question.regions, question.groups)
    before = len(citations.items)
    numbers = [
        [citations.number(r.chunk, r.start, r.end, inside=True) for r in c.readings]
        for c in conflicts
    ]
    notes = [conflict_note(conflicts, numbers)]
    if notes[0] and unsupported_figures(notes[0], [c.quote for c in citations.items]):
        logger.warning("conflict note dropped, figures not in cited quotes: %s", notes[0])
        notes, citations.items = [None], citations.items[:before]
    if question.kind == "yesno":  # sources answering the yes/no question oppositely
        predicate, verdicts = find_verdict_conflict(considered or passages, question.text)
        if verdicts:
            marks = [citations.number(v.chunk, v.start, v.end, inside=True) for v in verdicts]
            notes.append(verdict_note(predicate, verdicts, marks))
    by_id = {p.chunk_id: p for p in passages}
    cited = [by_id[c.chunk_id] for c in citations.items if c.chunk_id in by_id]
    with_figures = {c.chunk_id for c in citations.items if _states_figures(c.quote)}
    figure_regions = [c.regions for c in cited if c.chunk_id in with_figures]
    notes.append(region_note(figure_regions, [c.regions for c in cited], question.regions))
    notes.append(date_note([c.date for c in citations.items], bool(with_figures)))
    return tuple(note for note in notes if note)


def region_note(
    figure_regions: Sequence[Sequence[str]],
    cited_regions: Sequence[Sequence[str]],
    question_regions: Sequence[str] = (),
) -> str | None:
    """Say which place the figures are for (``figure_regions``: of each cited passage stating
    a figure), and warn when the question's places (most specific first) are in no cited
    passage's ``cited_regions``."""
    places = {place_of(r) for r in figure_regions}
    place = places.pop() if len(places) == 1 else None
    if question_regions:
        asked = question_regions[0]
        if not any(q in r for q in question_regions for r in cited_regions):
            if place:
                return f"您问的是{asked},但资料中只有{place}的数据,仅供参考。"
            return f"资料中没有专门针对{asked}的说明,以上为一般做法,请以{asked}当地规定为准。"
    return f"以上数字为{place}的资料,其他地区可能不同。" if place else None


_YEARLY = "医保政策每年可能调整,请以当地最新规定为准。"

ROUTINE_NOTES = re.compile(
    "|".join(
        (
            r"以上数字为[^。]*的资料,其他地区可能不同。",
            r"资料中没有专门针对[^。]*的说明,以上为一般做法,请以[^。]*当地规定为准。",
            r"您问的是[^。]*,但资料中只有[^。]*的数据,仅供参考。",
            r"资料日期:[^。]*。",
            re.escape(_YEARLY),
        )
    )
)
"""The region and date notes added to many answers whatever the sources say (their 不同 and
以当地 are routine, not a report that sources disagree); matched on text without spaces."""


def date_note(dates: Sequence[str | None], has_figures: bool) -> str | None:
    """The cited sources' dates and that policies change yearly (when dated or with figures)."""
    known = sorted({d for d in dates if d})
    if known:
        return f"资料日期:{'、'.join(known)}。{_YEARLY}"
    return _YEARLY if has_figures else None


class ExtractiveComposer:
    """Builds cited answers from retrieved passages without a model.

    Example:
        >>> composer = ExtractiveComposer(settings)
        >>> composition = composer.compose("怎么激活医保码", hits, documents)
        >>> print(with_disclaimer(composition.body))
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._df: dict[str, int] = {}
        self._df_corpus: Mapping[str, Document] | None = None
        self._substrings: SubstringIndex | None = None
        self._lock = threading.Lock()

    def document_frequency(self, token: str, documents: Mapping[str, Document]) -> int:
        """How many of ``documents`` hold ``token`` (folded) in their title or text, counted by
        the index's postings (:class:`qa.text.substrings.SubstringIndex`); cached per corpus."""
        with self._lock:  # document frequencies are cached per corpus
            substrings, df = self._substrings_of(documents), self._df
        token = fold(token)
        if token not in df:
            df[token] = substrings.count(token)
        return df[token]

    def _substrings_of(self, documents: Mapping[str, Document]) -> SubstringIndex:
        """The postings of ``documents`` (the caller holds the lock)."""
        if documents is not self._df_corpus or self._substrings is None:
            self._df_corpus, self._df = documents, {}
            self._substrings = substrings_of(documents)
        return self._substrings

    def _weights(self, question: Question, documents: Mapping[str, Document]) -> dict[str, float]:
        """IDF weight of each question token (or its synonym) found in the corpus."""
        weights = {}
        with self._lock:
            n_documents = self._substrings_of(documents).n_documents
        tokens: tuple[str, ...] = question.terms
        if question.cross_region:  # 异地就医: the passages name no city of the question
            places = question.regions
            tokens = tuple(t for t in question.expanded if not any(t in p for p in places))
        for token in dict.fromkeys(tokens):
            count = self.document_frequency(token, documents)
            if not count and len(token) > 1:  # 补交 in no document: weighed as its 补缴
                others = get_synonyms().related(token)
                count = max((self.document_frequency(o, documents) for o in others), default=0)
            if count:  # one character matches inside unrelated words: half weight
                idf = math.log((n_documents + 1) / (count + 0.5))
                weights[token] = idf if len(token) > 1 else idf / 2
        return weights

    def scorer(self, question: Question, documents: Mapping[str, Document]) -> Scorer:
        """Scores texts against ``question`` by IDF-weighted words and character bigrams."""
        rare = min(_INFORMATIVE, 0.5 * math.log((len(documents) + 1) / 1.5))  # tiny corpora
        weights = self._weights(question, documents)
        variants = {t: get_synonyms().variants(t) for t in weights if len(t) > 1}
        return Scorer(question.text, weights, rare, question.kind, variants)

    def compose(
        self, question: Question, hits: Sequence[Hit], documents: Mapping[str, Document]
    ) -> Composition:
        """Answer ``question`` from ``hits`` (best first) with cited spans of ``documents``.

        Args:
            question: The understood question.
            hits: Retrieved chunks, best first.
            documents: Every indexed document by ``doc_id`` (citations quote their text).

        Returns:
            The composition; its body is empty when no hit is relevant.
        """
        scorer = self.scorer(question, documents)
        usable = usable_chunks(hits, documents, self.settings.answer_considered_hits)
        passages = relevant_chunks(scorer, question.text, usable)
        if not passages:
            logger.info("no relevant passage among %s hits", len(hits))
            return Composition("")
        max_points = self.settings.answer_max_points
        excerpts = select_points(
            scorer,
            passages[: self.settings.answer_passages],
            max_points,
            self.settings.answer_points_per_passage,
        )
        if not excerpts:
            logger.info("no quotable sentence in %s relevant passages", len(passages))
            return Composition("")
        citations = CitationList(documents)
        lines = [
            f"{p.shown}[{citations.number(p.chunk, p.doc_start, p.doc_end)}]" for p in excerpts
        ]
        notes = trust_notes(question, passages, citations, "\n".join(lines))
        body = "\n\n".join(filter(None, [lines[0], "\n".join(lines[1:]), "\n".join(notes)]))
        return Composition(body, tuple(citations.items), notes)
