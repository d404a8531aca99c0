"""Multi-turn conversations: the set in ``conversations.jsonl`` and how a system is scored on it.

Each record is a short chat as typed into the widget: the earlier turns (the user's questions,
optionally the assistant's replies), the last user message, whether it should be answered or
refused (and why), and the key facts a correct answer quotes (verbatim corpus substrings). A
system that takes a history (:class:`ConversationalSystem`: ``yibao``) is asked the last message
with the earlier turns as history, and :func:`score_conversations` scores the answers.

Example:
    >>> conversations = load_conversations()
    >>> preds = {c.id: system.converse(c) for c in conversations}
    >>> score_conversations(conversations, preds)["answered_when_should"].score
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from eval import answer_metrics as am
from eval.gold import GoldItem, GoldKind, ItemScore, MetricResult, Prediction
from eval.metrics import make_result
from qa.types import Turn, turns_from_records

DEFAULT_CONVERSATIONS = Path(__file__).with_name("conversations.jsonl")
SLICE = "conversations"
"""Name of the conversation slice in :attr:`eval.runner.SystemRun.by_kind` and the reports."""

Expect = Literal["answer", "refuse"]
EXPECTS: tuple[str, ...] = get_args(Expect)
REASONS = ("medical", "offtopic", "not_found", "region")
"""Refusal kinds a conversation may expect (``qa.refusal.decision.RefusalDecision.kind``)."""

_REQUIRED = ("id", "turns", "question", "expect", "key_facts", "source", "note")


class ConversationFormatError(ValueError):
    """A conversations file line that cannot be turned into a valid :class:`Conversation`."""


@dataclass(frozen=True)
class Conversation:
    """One chat whose last user message is asked with the earlier turns as history.

    Attributes:
        id: Stable id, e.g. ``"c001"``.
        turns: The earlier messages, oldest first (at least one user turn).
        question: The last user message, the one scored.
        expect: ``answer`` or ``refuse``.
        reason: The refusal kind expected (one of :data:`REASONS`), '' when any will do.
        key_facts: Verbatim corpus substrings a correct answer contains (answer only).
        source: Seed file that answers the last message ('' for refusals).
        note: What the conversation tests.
    """

    id: str
    turns: tuple[Turn, ...]
    question: str
    expect: Expect
    reason: str = ""
    key_facts: tuple[str, ...] = ()
    source: str = ""
    note: str = ""

    def as_gold_item(self) -> GoldItem:
        """The last message as a gold item, so the answer metrics can score it."""
        kind: GoldKind = "answerable" if self.expect == "answer" else "unanswerable"
        return GoldItem(self.id, self.question, kind, self.source, "", self.key_facts)


@runtime_checkable
class ConversationalSystem(Protocol):
    """A system that answers a message given the earlier turns of the conversation."""

    name: str

    def converse(self, conversation: Conversation) -> Prediction: ...


def load_conversations(path: Path = DEFAULT_CONVERSATIONS) -> list[Conversation]:
    """Parse and validate a conversations JSONL file.

    Each non-blank line is a JSON object with ``id``, ``turns`` (a list whose items are user
    questions as strings or ``{"role", "content"}`` messages), ``question``, ``expect``
    (``answer`` | ``refuse``), ``reason`` (optional, refusals only), ``key_facts`` (non-empty
    for ``answer``, empty for ``refuse``), ``source`` and ``note``.

    Raises:
        ConversationFormatError: On the first invalid line, naming the file, the line
            number and the problem.
    """
    conversations: list[Conversation] = []
    seen: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                conversation = _parse(json.loads(line))
            except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
                raise ConversationFormatError(f"{path}:{lineno}: {exc}") from exc
            if conversation.id in seen:
                raise ConversationFormatError(
                    f"{path}:{lineno}: duplicate id {conversation.id!r} "
                    f"(first on line {seen[conversation.id]})"
                )
            seen[conversation.id] = lineno
            conversations.append(conversation)
    return conversations


def _parse(record: Any) -> Conversation:
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    missing = [name for name in _REQUIRED if name not in record]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    texts = ("id", "question", "expect", "source", "note")
    if not all(isinstance(record[name], str) for name in texts):
        raise ValueError(f"fields {', '.join(texts)} must be strings")
    if not record["id"].strip() or not record["question"].strip():
        raise ValueError("id and question must not be empty")
    raw_turns = record["turns"]
    if not isinstance(raw_turns, list) or not raw_turns:
        raise ValueError("turns must be a non-empty list")
    turns = tuple(
        Turn("user", t) if isinstance(t, str) else turns_from_records([t])[0] for t in raw_turns
    )
    if not any(t.role == "user" and t.content.strip() for t in turns):
        raise ValueError("turns need at least one user question")
    expect, reason = record["expect"], record.get("reason", "")
    if expect not in EXPECTS:
        raise ValueError(f"bad expect {expect!r}; expected one of {', '.join(EXPECTS)}")
    if reason and (expect != "refuse" or reason not in REASONS):
        raise ValueError(f"reason {reason!r} needs expect 'refuse' and one of {REASONS}")
    facts = record["key_facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
        raise ValueError("key_facts must be a list of non-empty strings")
    if (expect == "answer") != bool(facts and record["source"]):
        raise ValueError("an answer needs key facts and a source; a refusal has neither")
    return Conversation(
        id=record["id"],
        turns=turns,
        question=record["question"],
        expect=expect,
        reason=reason,
        key_facts=tuple(facts),
        source=record["source"],
        note=record["note"],
    )


# --------------------------------------------------------------------------- metrics

Preds = Mapping[str, Prediction]


def _rate(
    name: str,
    conversations: Sequence[Conversation],
    preds: Preds,
    applies: Callable[[Conversation], bool],
    good: Callable[[Conversation, Prediction], bool],
) -> MetricResult:
    out = []
    for conv in conversations:
        pred = preds.get(conv.id)
        if pred is None or not applies(conv):
            continue
        said = f"refused ({pred.reason or 'no reason'})" if pred.refused else "answered"
        out.append(ItemScore(conv.id, 1.0 if good(conv, pred) else 0.0, said))
    return make_result(name, out)


def answered_when_should(conversations: Sequence[Conversation], preds: Preds) -> MetricResult:
    """Answered when should = 1[not refused] over conversations expecting an answer."""
    return _rate(
        "answered_when_should",
        conversations,
        preds,
        lambda c: c.expect == "answer",
        lambda _, p: not p.refused,
    )


def refused_when_should(conversations: Sequence[Conversation], preds: Preds) -> MetricResult:
    """Refused when should = 1[refused] over conversations expecting a refusal (any kind)."""
    return _rate(
        "refused_when_should",
        conversations,
        preds,
        lambda c: c.expect == "refuse",
        lambda _, p: p.refused,
    )


def refusal_kind(conversations: Sequence[Conversation], preds: Preds) -> MetricResult:
    """Refusal kind = 1[refused AND pred.reason == expected reason] over refusals with a reason."""
    return _rate(
        "refusal_kind",
        conversations,
        preds,
        lambda c: c.expect == "refuse" and bool(c.reason),
        lambda c, p: p.refused and p.reason == c.reason,
    )


def answered_key_fact_recall(conversations: Sequence[Conversation], preds: Preds) -> MetricResult:
    """Key-fact recall (:func:`eval.answer_metrics.key_fact_recall`) on the answered ones.

    Applies to conversations expecting an answer that were not refused, so a wrong refusal
    counts once, in :func:`answered_when_should`, and this measures what the answers say.
    """
    items = [c.as_gold_item() for c in conversations]
    answered = {i: p for i, p in preds.items() if not p.refused}
    result = am.key_fact_recall(items, answered)
    return MetricResult("answered_key_fact_recall", result.score, result.items)


def score_conversations(
    conversations: Sequence[Conversation], preds: Preds
) -> dict[str, MetricResult]:
    """Every conversation metric keyed by name (plus the disclaimer rate on every reply)."""
    items = [c.as_gold_item() for c in conversations]
    results = [
        answered_when_should(conversations, preds),
        refused_when_should(conversations, preds),
        refusal_kind(conversations, preds),
        answered_key_fact_recall(conversations, preds),
        am.disclaimer_rate(items, preds),
    ]
    return {r.name: r for r in results}
