"""The gold set and the records of an evaluation.

Records: a hand-written :class:`GoldItem`, what a system returned (:class:`Prediction` with its
:class:`RetrievedChunk` and :class:`CitedPassage` lists), a metric's :class:`MetricResult` of
:class:`ItemScore` values, and the :class:`System` protocol every system under evaluation
follows. Loading: :func:`load_gold` parses and validates ``gold.jsonl`` (sealed items only on
request); :func:`split_items` selects the fixed dev / test split, or the sealed split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

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
        split: ``"sealed"`` for the held-out split that is run once at the end and reported
            as it came out; ``"dev2"`` for a retired sealed split (run once, reported, and
            since then tuning data like dev); empty for the fixed dev/test rule of
            :func:`split_items`.
    """

    id: str
    question: str
    kind: GoldKind
    source: str = ""
    anchor: str = ""
    key_facts: tuple[str, ...] = ()
    reference: str = ""
    note: str = ""
    split: str = ""


@dataclass(frozen=True)
class RetrievedChunk:
    """A passage a system retrieved, as the metrics see it."""

    text: str
    source: str
    score: float = 0.0
    chunk_id: str = ""
    title: str = ""


@dataclass(frozen=True)
class CitedPassage:
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
    (``embed``, ``search``, ``fuse``, ``compose``, ``total``) to milliseconds. ``reason`` is
    why a refusing system refused (``medical``, ``offtopic``, ``greeting``, ``not_found``,
    ``region``), empty otherwise.
    """

    item_id: str
    question: str
    retrieved: list[RetrievedChunk]
    answer: str | None = None
    citations: list[CitedPassage] = field(default_factory=list)
    refused: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)
    reason: str = ""


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
    citation = CitedPassage(1, top.text, top.source, top.chunk_id, top.title)
    return Prediction(item.id, item.question, retrieved, top.text, [citation], False, timings_ms)


# --------------------------------------------------------------------------- gold.jsonl

DEFAULT_GOLD = Path(__file__).with_name("gold.jsonl")
SEALED = "sealed"
RETIRED = "dev2"
SPLITS = ("all", "dev", "test", RETIRED, SEALED)
KINDS: tuple[str, ...] = get_args(GoldKind)
_REQUIRED = ("id", "question", "kind", "source", "anchor", "key_facts", "reference", "note")
_TEXT_FIELDS = ("id", "question", "kind", "source", "anchor", "reference", "note")


class GoldFormatError(ValueError):
    """A gold file line that cannot be turned into a valid :class:`GoldItem`."""


def load_gold(path: Path = DEFAULT_GOLD, *, include_sealed: bool = False) -> list[GoldItem]:
    """Parse and validate a gold JSONL file.

    Each non-blank line must be a JSON object with the fields ``id``, ``question``,
    ``kind``, ``source``, ``anchor``, ``key_facts``, ``reference`` and ``note``, and
    optionally ``split`` (``"sealed"`` or ``"dev2"``; absent = the fixed dev/test rule). Every line
    is validated, sealed or not, but sealed items are returned only on request, so code
    that tunes, calibrates or tests on the gold set never sees them.

    Args:
        path: The JSONL file to read.
        include_sealed: Also return the ``"sealed"`` items (for ``split_items(..., "sealed")``).

    Returns:
        The items in file order.

    Raises:
        GoldFormatError: On the first invalid line, naming the file, the line number
            and the problem (bad JSON, missing field, bad kind, duplicate id, ...).
    """
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            item = _parse_line(line, path, lineno)
            if item.id in seen:
                raise _error(
                    path, lineno, f"duplicate id {item.id!r} (first on line {seen[item.id]})"
                )
            seen[item.id] = lineno
            items.append(item)
    return [it for it in items if include_sealed or it.split != SEALED]


def split_items(items: Iterable[GoldItem], split: str) -> list[GoldItem]:
    """Select the ``all``, ``dev``, ``test``, ``dev2`` or ``sealed`` part of the gold items.

    Items marked ``split: "sealed"`` form the ``sealed`` split and items marked ``"dev2"``
    (a retired sealed split) the ``dev2`` split; each belongs to no other, so ``all`` is
    dev + test, the 121 items the floors were set on. The dev/test split is fixed and
    stratified by kind: within each kind, the unmarked items are sorted by id and every
    third one (index % 3 == 2) goes to ``test``, the rest to ``dev``.

    Args:
        items: Gold items (any order).
        split: ``"all"``, ``"dev"``, ``"test"``, ``"dev2"`` or ``"sealed"``.

    Returns:
        The selected items, sorted by id.

    Raises:
        ValueError: If ``split`` is not one of the valid values.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid values: {', '.join(SPLITS)}")
    ordered = sorted(items, key=lambda it: it.id)
    if split in (SEALED, RETIRED):
        return [it for it in ordered if it.split == split]
    ordered = [it for it in ordered if not it.split]
    if split == "all":
        return ordered
    want_test = split == "test"
    chosen: list[GoldItem] = []
    for kind in sorted({it.kind for it in ordered}):
        group = [it for it in ordered if it.kind == kind]
        chosen.extend(it for i, it in enumerate(group) if (i % 3 == 2) == want_test)
    return sorted(chosen, key=lambda it: it.id)


def held_out_group(item_id: str) -> str:
    """The set an item was written in: its id's letters (``k017`` → ``k``; dev/test: ``q``)."""
    return re.sub(r"[^a-z].*", "", item_id)


def asked_in(item_id: str) -> tuple[str, ...]:
    """The known-question groups an item is asked without: its own set; for a conversation
    (``c…``) the dev/test set too, which the conversations were written beside."""
    group = held_out_group(item_id)
    return (group, "q") if group == "c" else (group,)


def known_questions(items: Iterable[GoldItem]) -> list[dict[str, str]]:
    """The known-question entries (``qa.retrieval.known``) of the tuning splits, dev and dev2:
    every answerable or conflict item with an anchor. Never test, never sealed."""
    tuning = [*split_items(items, "dev"), *split_items(items, RETIRED)]
    return [
        {
            "question": it.question,
            "source": it.source,
            "anchor": it.anchor,
            "group": held_out_group(it.id),
        }
        for it in sorted(tuning, key=lambda it: it.id)
        if it.kind in ("answerable", "conflict") and it.anchor and it.source
    ]


def _parse_line(line: str, path: Path, lineno: int) -> GoldItem:
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _error(path, lineno, f"malformed JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise _error(path, lineno, "expected a JSON object")
    missing = [name for name in _REQUIRED if name not in record]
    if missing:
        raise _error(path, lineno, f"missing field(s): {', '.join(missing)}")
    for name in _TEXT_FIELDS:
        if not isinstance(record[name], str):
            raise _error(path, lineno, f"field {name!r} must be a string")
    if not record["id"].strip() or not record["question"].strip():
        raise _error(path, lineno, "id and question must not be empty")
    kind = record["kind"]
    if kind not in KINDS:
        raise _error(path, lineno, f"bad kind {kind!r}; expected one of {', '.join(KINDS)}")
    facts = record["key_facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
        raise _error(path, lineno, "key_facts must be a list of non-empty strings")
    if kind != "unanswerable":
        if not record["source"] or not record["anchor"] or not facts:
            raise _error(path, lineno, f"a {kind} item needs a source, an anchor and a key fact")
    split = record.get("split", "")
    if "split" in record and split not in (SEALED, RETIRED):
        raise _error(
            path,
            lineno,
            f"bad split {split!r}; only {SEALED!r} or {RETIRED!r} may be given (absent = dev/test)",
        )
    return GoldItem(
        id=record["id"],
        question=record["question"],
        kind=kind,
        source=record["source"],
        anchor=record["anchor"],
        key_facts=tuple(facts),
        reference=record["reference"],
        note=record["note"],
        split=split,
    )


def _error(path: Path, lineno: int, problem: str) -> GoldFormatError:
    return GoldFormatError(f"{path}:{lineno}: {problem}")
