"""Records of the evaluation: gold items, what a system returned, and metric results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

GoldKind = Literal["answerable", "unanswerable", "conflict"]


@dataclass(frozen=True)
class GoldItem:
    """One hand-written question with what a correct system must find and say.

    Attributes:
        id: Stable id, e.g. ``"q001"``.
        question: What a user types (colloquial, paraphrased).
        kind: ``answerable``, ``unanswerable`` or ``conflict``.
        source: Seed file that answers it (empty for unanswerable items).
        anchor: Verbatim substring (10–30 chars) of the answering passage ('' if none).
        key_facts: Verbatim substrings a correct answer must contain (all differing
            values for ``conflict`` items).
        reference: The gold answer a careful human would give (a refusal for unanswerable).
        note: Why the item exists / what it tests.
    """

    id: str
    question: str
    kind: GoldKind
    source: str = ""
    anchor: str = ""
    key_facts: tuple[str, ...] = ()
    reference: str = ""
    note: str = ""


@dataclass(frozen=True)
class RetrievedChunk:
    """A passage a system retrieved, as the metrics see it."""

    text: str
    source: str
    score: float = 0.0
    chunk_id: str = ""
    title: str = ""


@dataclass(frozen=True)
class Citation:
    """A source an answer cites with marker ``[n]``."""

    n: int
    text: str
    source: str
    doc_id: str = ""
    title: str = ""


@dataclass
class Prediction:
    """Everything one system produced for one gold question.

    ``answer`` is None when the system composes no answer. ``timings_ms`` maps a stage
    (``embed``, ``search``, ``fuse``, ``compose``, ``total``) to milliseconds.
    """

    item_id: str
    question: str
    retrieved: list[RetrievedChunk]
    answer: str | None = None
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemScore:
    """One item's value for a metric, with the reason (e.g. ``"anchor at rank 2"``)."""

    item_id: str
    value: float
    reason: str


@dataclass(frozen=True)
class MetricResult:
    """A metric's aggregate ``score`` (mean over scored items) and its per-item values.

    ``score`` is None when no item applies (e.g. refusal rate on a set with no
    unanswerable item).
    """

    name: str
    score: float | None
    items: list[ItemScore] = field(default_factory=list)


class System(Protocol):
    """A question-answering system under evaluation.

    ``composes_answers`` is False for retrieval-only systems (answer = top chunk).
    """

    name: str
    composes_answers: bool

    def predict(self, item: GoldItem) -> Prediction: ...


def top_chunk_prediction(
    item: GoldItem, retrieved: list[RetrievedChunk], timings_ms: dict[str, float]
) -> Prediction:
    """A retrieval-only system's answer: its top chunk, citing that chunk as source [1]."""
    if not retrieved:
        return Prediction(item.id, item.question, [], "", [], True, timings_ms)
    top = retrieved[0]
    citation = Citation(1, top.text, top.source, top.chunk_id, top.title)
    return Prediction(item.id, item.question, retrieved, top.text, [citation], False, timings_ms)
