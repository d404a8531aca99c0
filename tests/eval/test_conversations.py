"""The conversation set checked against the corpus; its loader and its metrics."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.conversations import (
    DEFAULT_CONVERSATIONS,
    REASONS,
    Conversation,
    ConversationFormatError,
    answered_key_fact_recall,
    answered_when_should,
    load_conversations,
    refusal_kind,
    refused_when_should,
    score_conversations,
)
from eval.metrics import index_predictions
from qa.text.normalize import compact
from qa.types import Turn
from tests.eval.conftest import DISC, SEEDS, documents, forbidden_questions, pred, raw

CONVERSATIONS = load_conversations()


def _conv_id(conv: Conversation) -> str:
    return conv.id


# ---------------------------------------------------------------- the conversations file


def test_size_and_mix():
    assert len(CONVERSATIONS) >= 30
    expects = Counter(c.expect for c in CONVERSATIONS)
    assert expects["answer"] >= 20 and expects["refuse"] >= 8
    assert {c.reason for c in CONVERSATIONS if c.expect == "refuse"} == set(REASONS)
    user_turns = Counter(sum(t.role == "user" for t in c.turns) for c in CONVERSATIONS)
    assert set(user_turns) == {1, 2} and user_turns[2] >= 4  # two- and three-turn chats
    assert any(t.role == "assistant" for c in CONVERSATIONS for t in c.turns)
    assert {c.source for c in CONVERSATIONS if c.source} == set(SEEDS)


@pytest.mark.parametrize("conv", [c for c in CONVERSATIONS if c.expect == "answer"], ids=_conv_id)
def test_key_facts_are_verbatim_in_the_source_and_indexed(conv: Conversation) -> None:
    assert 1 <= len(conv.key_facts) <= 3
    for fact in conv.key_facts:
        assert fact in raw(conv.source), fact
        assert any(fact in d.text for d in documents(conv.source)), fact


def test_refusals_name_no_source_or_fact():
    for conv in CONVERSATIONS:
        if conv.expect == "refuse":
            assert (conv.source, conv.key_facts) == ("", ()) and conv.reason, conv.id


def test_messages_are_not_copied_titles():
    forbidden = forbidden_questions()
    texts = [c.question for c in CONVERSATIONS] + [
        t.content for c in CONVERSATIONS for t in c.turns if t.role == "user"
    ]
    assert not [t for t in texts if compact(t) in forbidden]


def test_ids_unique_and_every_record_has_a_note():
    ids = [c.id for c in CONVERSATIONS]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"c\d{3}", i) for i in ids)
    assert all(c.note.strip() for c in CONVERSATIONS)


def test_the_named_follow_ups_are_there():
    chats = {(c.turns[0].content, c.question) for c in CONVERSATIONS}
    assert ("怎么激活医保码", "那线下怎么办") in chats
    assert ("南宁居民医保怎么交", "合肥呢") in chats


# ---------------------------------------------------------------- loader errors

_GOOD = {
    "id": "c001",
    "turns": ["怎么激活医保码"],
    "question": "那线下怎么办",
    "expect": "answer",
    "key_facts": ["医保经办机构"],
    "source": "000_6efac6a7bac98b9c.txt",
    "note": "test",
}


def _line(**changes: object) -> str:
    record = {**_GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


def test_load_turns_as_strings_or_messages(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    turns = ["医保码怎么激活", {"role": "assistant", "content": "在APP里激活。"}]
    refusal = _line(id="c002", turns=turns, expect="refuse", reason="offtopic", key_facts=[])
    path.write_text("\n".join([_line(), "", refusal.replace('"source": "000', '"source": "')]))
    first, second = load_conversations(path)
    assert first.turns == (Turn("user", "怎么激活医保码"),)
    assert second.turns[1] == Turn("assistant", "在APP里激活。") and second.reason == "offtopic"
    assert second.as_gold_item().kind == "unanswerable"
    assert first.as_gold_item().key_facts == ("医保经办机构",)


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("{not json", "Expecting"),
        ("[1]", "object"),
        (_line(note=None), "note"),
        (_line(id="c001"), "duplicate"),
        (_line(id="c009", turns=[]), "turns"),
        (_line(id="c009", turns=[{"role": "bot", "content": "x"}]), "第 1 条"),
        (_line(id="c009", expect="maybe"), "expect"),
        (_line(id="c009", reason="medical"), "reason"),
        (_line(id="c009", expect="refuse", reason="weather", key_facts=[]), "reason"),
        (_line(id="c009", key_facts=[]), "key facts"),
        (_line(id="c009", expect="refuse"), "key facts"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path: Path, bad: str, needle: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([_line(), "", bad]) + "\n", encoding="utf-8")
    with pytest.raises(ConversationFormatError, match=needle) as info:
        load_conversations(path)
    assert f"{path}:3:" in str(info.value)


def test_default_file_is_next_to_the_module():
    assert DEFAULT_CONVERSATIONS.name == "conversations.jsonl" and DEFAULT_CONVERSATIONS.exists()


# ---------------------------------------------------------------- metrics


def _conv(cid: str, expect: str = "answer", reason: str = "") -> Conversation:
    facts = ("400元", "670元") if expect == "answer" else ()
    turns = (Turn("user", "合肥居民医保怎么交"),)
    return Conversation(cid, turns, "交多少", expect, reason, facts, "a.md" if facts else "")  # type: ignore[arg-type]


def test_conversation_metrics_by_hand():
    convs = [
        _conv("a1"),
        _conv("a2"),
        _conv("a3"),
        _conv("r1", "refuse", "region"),
        _conv("r2", "refuse", "medical"),
        _conv("r3", "refuse"),
    ]
    preds = index_predictions(
        [
            pred("a1", answer="个人缴费400元[1]。" + DISC),  # 1 of 2 facts
            pred("a2", answer="400元,补助670元。" + DISC),  # both facts
            pred("a3", answer="抱歉,没有找到。" + DISC, refused=True, reason="not_found"),
            pred("r1", answer="抱歉。" + DISC, refused=True, reason="region"),
            pred("r2", answer="抱歉。" + DISC, refused=True, reason="offtopic"),  # wrong kind
            pred("r3", answer="大概400元。"),  # answered, no disclaimer
        ]
    )
    answered = answered_when_should(convs, preds)
    assert [(s.item_id, s.value) for s in answered.items] == [("a1", 1), ("a2", 1), ("a3", 0)]
    assert answered.items[2].reason == "refused (not_found)"
    refused = refused_when_should(convs, preds)
    assert [s.value for s in refused.items] == [1.0, 1.0, 0.0]
    kind = refusal_kind(convs, preds)
    assert [(s.item_id, s.value) for s in kind.items] == [("r1", 1.0), ("r2", 0.0)]
    recall = answered_key_fact_recall(convs, preds)
    assert [(s.item_id, s.value) for s in recall.items] == [("a1", 0.5), ("a2", 1.0)]
    assert recall.name == "answered_key_fact_recall" and recall.score == pytest.approx(0.75)
    scores = score_conversations(convs, preds)
    assert list(scores) == [
        "answered_when_should", "refused_when_should", "refusal_kind",
        "answered_key_fact_recall", "disclaimer_rate",
    ]  # fmt: skip
    assert scores["answered_when_should"].score == pytest.approx(2 / 3)
    assert scores["refused_when_should"].score == pytest.approx(2 / 3)
    assert scores["refusal_kind"].score == 0.5
    assert scores["disclaimer_rate"].score == pytest.approx(5 / 6)


def test_conversations_without_predictions_are_skipped():
    result = answered_when_should([_conv("a1")], {})
    assert result.score is None and result.items == []
