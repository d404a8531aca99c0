"""Typed records that flow through yibao-qa: documents, chunks and search hits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DocKind = Literal["article", "snippet", "file", "link"]  # link: a bare title (``LinkTitle``)
SearchMode = Literal["hybrid", "dense", "bm25"]
Role = Literal["user", "assistant"]
Intent = Literal["insurance", "medical", "offtopic", "greeting", "service"]
#: What a question asks for: a procedure, the materials, an amount, a date or duration, a
#: yes/no verdict, a place or channel, or something else.
QuestionKind = Literal["how", "materials", "amount", "time", "yesno", "where", "other"]


@dataclass(frozen=True)
class Section:
    """A headed part of a document; offsets are relative to ``Document.text``."""

    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One clean unit of knowledge parsed from a corpus file.

    Invariant for plain-text sources: ``raw[start:end] == text`` where ``raw`` is the
    decoded source file, so a citation span can always be traced back to the file.
    For HTML sources the offsets refer to the extracted plain text.

    Attributes:
        doc_id: Stable content hash of the normalised title and text.
        source: File name of the source, relative to the corpus root.
        kind: ``article`` (a page's main article), ``snippet`` (a 相关推荐 entry) or
            ``file`` (a user's own file with no recognised page structure).
        title: The document's title (a question for most snippets).
        text: The body, without page furniture.
        date: ISO date ``YYYY-MM-DD`` when the source states one.
        time: ``HH:MM:SS`` when the source states a publication time.
        regions: Provinces/cities named in the title or text, most specific first.
        start: Char offset of ``text`` in the source file.
        end: Char offset just past ``text`` in the source file.
        sections: Headed sub-sections of the body (empty when it has none).
        source_title: Title of the file it came from (a page's title, a ``sources.toml``
            entry, front matter, an HTML ``<title>``); shown in citations instead of a file name.
        url: Where the source was published, when known.
        publisher: Who published it, when known.
        added: ``YYYY-MM-DD`` the file entered the knowledge base (``sources.toml``, else the
            file's modification date): shown, marked as such, when the source states no date.
    """

    doc_id: str
    source: str
    kind: DocKind
    title: str
    text: str
    date: str | None = None
    time: str | None = None
    regions: tuple[str, ...] = ()
    start: int = 0
    end: int = 0
    sections: tuple[Section, ...] = ()
    source_title: str | None = None
    url: str | None = None
    publisher: str | None = None
    added: str | None = None


@dataclass(frozen=True)
class LinkTitle:
    """A page's link-list entry: a title whose article the corpus does not hold (a question
    about it is told so); ``regions``: places the title names, most specific first."""

    source: str
    title: str
    date: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of one document.

    Attributes:
        chunk_id: Content hash of ``doc_id`` and the span.
        doc_id: The document it belongs to.
        source: Source file name (copied from the document).
        kind: Document kind (copied from the document).
        title: Document title, plus the section heading when the chunk lies in a section.
        text: The passage, ``document.text[start:end]``.
        start: Char offset of the passage in ``Document.text``.
        end: Char offset just past the passage in ``Document.text``.
        date: Document date (copied).
        regions: Regions named in this chunk's title or text.
        position: Index of the chunk within its document.
    """

    chunk_id: str
    doc_id: str
    source: str
    kind: DocKind
    title: str
    text: str
    start: int
    end: int
    date: str | None = None
    regions: tuple[str, ...] = ()
    position: int = 0


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a search, with its rank (1-based) and score.

    ``score`` means: cosine similarity for ``dense``, BM25 score for ``bm25``, and for
    ``hybrid`` the weighted reciprocal-rank-fusion score (plus region bonus) — or the
    cross-encoder score when a reranker reordered the hit.

    ``scores`` holds each signal's raw value, a key only when that signal found the chunk
    among its candidates: ``dense`` (cosine of the passage vector, -1…1), ``bm25`` (BM25 over
    title + text with synonyms, > ``min_bm25_score``), ``title_bm25`` (BM25 over the title),
    ``title_dense`` (cosine of question and title, both embedded as queries),
    ``sentence_dense`` (cosine of the chunk's best sentence piece), ``region`` (0.5 or 1.0
    when the chunk names the asked city/province, see ``qa.retrieval.fusion.region_affinity``) and
    ``rerank`` (cross-encoder score). Modes ``dense`` and ``bm25`` set only their own key.
    """

    chunk: Chunk
    rank: int
    score: float
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a hit: rank, the chunk's identity and text, score, per-signal scores."""
        c = self.chunk
        return {
            "rank": self.rank,
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "source": c.source,
            "title": c.title,
            "date": c.date,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }


@dataclass(frozen=True)
class Question:
    """A user's question, understood once (after follow-up resolution) and passed to every stage.

    Attributes:
        asked: The user's own words, as validated (shown back in answers).
        standalone: ``asked`` made standalone with the earlier user turns ("那线下怎么办"
            after "怎么激活医保码" → "怎么激活医保码 线下怎么办"); ``asked`` if it stands alone.
        text: ``standalone`` normalised (NFKC, simplified, typos fixed, fillers, particles and
            punctuation removed): what BM25, regions, intent and the composer read.
        embedding_text: ``standalone`` cleaned but with its punctuation: what the embedder reads.
        terms: BM25 tokens of ``text`` (stopwords removed).
        expanded: ``terms`` plus the tokens of their synonyms.
        content_terms: ``terms`` without greetings and thanks; empty for small talk.
        regions: Places named, most specific first.
        intent: ``insurance``, ``medical``, ``offtopic``, ``greeting`` or ``service``.
        kind: What it asks for (``qa.types.QuestionKind``), what the answer should lead with.
        key_terms: Content words of 2+ characters an answering passage should contain
            (generic 医保 words and places left out, longest of nested words kept).
        concepts: Specific 医保 concepts named (起付线, 工伤认定 …).
        asks_local: It asks for a local figure or rule (多少, 比例, 标准 …) of one place (a
            question across places — 在深圳参保去广州看病 — asks about 异地就医 instead).
        cross_region: It names two places neither of which contains the other.
        looks_up: It asks where or how to look something up (在哪查, 怎么知道): a channel
            answers it, not a figure.
        measure: What an amount question measures: ``reimbursement`` (报销), ``pension``
            (每月能领多少), ``contribution`` (交, 缴, 扣) or ``""`` (neither, or no amount asked).
        groups: Whom it asks a figure for (低保户, 职工, 儿童 …; ``qa.text.cohorts``).
        payers: Who else pays that it asks about (单位, 财政; ``qa.text.cohorts``).
        topic: A short name for what it asks about (``北京门诊起付线``), for refusals.
        follow_up: It was resolved against earlier turns.
    """

    asked: str
    standalone: str
    text: str
    embedding_text: str
    terms: tuple[str, ...] = ()
    expanded: tuple[str, ...] = ()
    content_terms: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    intent: Intent = "insurance"
    kind: QuestionKind = "other"
    key_terms: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    asks_local: bool = False
    cross_region: bool = False
    looks_up: bool = False
    measure: str = ""
    groups: tuple[str, ...] = ()
    payers: tuple[str, ...] = ()
    topic: str = ""
    follow_up: bool = False

    @property
    def is_small_talk(self) -> bool:
        """True when the question names nothing to search for (你好, 谢谢, 在吗 …)."""
        return not self.content_terms

    def to_dict(self) -> dict[str, Any]:
        """JSON shape (every field, tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that ingestion did not index, and why (in Chinese, for users)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Citation:
    """Source ``[n]`` of an answer: the exact quoted span of one document.

    ``quote == document.text[start:end]``; ``chunk_id`` names the retrieved chunk it came from.
    """

    n: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    date: str | None
    quote: str
    start: int
    end: int
    source_title: str | None = None
    url: str | None = None
    publisher: str | None = None
    added: str | None = None  # when ``date`` is None: the date the file entered the corpus

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a citation (every field)."""
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What yibao says to a question.

    Attributes:
        question: The user's question as asked.
        text: The full answer shown to users: body with ``[n]`` markers, trust notes, and
            always the disclaimer as its last line.
        citations: One per ``[n]`` marker in ``text``, numbered 1..n.
        refused: True when the corpus has no answer (or the question is medical advice).
        hits: The retrieved chunks the answer was built from.
        notes: Trust notes added to the text (conflicting figures, region, dates).
        reason: Why it refused, or why the LLM answer was replaced (empty otherwise).
        composer: ``extractive``, ``llm`` or ``refusal``.
        timings_ms: Milliseconds per stage (embed, search, fuse, compose, total).
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    hits: tuple[Hit, ...] = ()
    notes: tuple[str, ...] = ()
    reason: str = ""
    composer: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One message of a conversation (``role`` is ``user`` or ``assistant``)."""

    role: Role
    content: str


def turns_from_records(records: Sequence[object] | None) -> list[Turn]:
    """Turns from ``[{"role": "user"|"assistant", "content": str}, …]``.

    Raises:
        ValueError: naming (in Chinese) the first record that is not such a message.
    """
    turns = []
    for n, rec in enumerate(records or [], start=1):
        if not isinstance(rec, dict) or rec.get("role") not in ("user", "assistant"):
            raise ValueError(f"第 {n} 条历史消息格式不对:需要 role 为 user 或 assistant。")
        turns.append(Turn(rec["role"], str(rec.get("content", ""))))
    return turns
