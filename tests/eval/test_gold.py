"""The hand-written gold set checked against the corpus; its loader, splits and records.

The corpus checks cover the dev2 and sealed items too (strings only: nothing here retrieves or
answers them); the split tests make sure they never leak into dev, test or all.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from eval.gold import (
    DEFAULT_GOLD,
    RETIRED,
    SEALED,
    GoldFormatError,
    GoldItem,
    RetrievedChunk,
    asked_in,
    held_out_group,
    known_questions,
    load_gold,
    split_items,
    top_chunk_prediction,
)
from qa.retrieval.known import DEFAULT_KNOWN_QUESTIONS
from qa.settings import Settings
from qa.text.normalize import compact
from tests.conftest import CORPUS
from tests.eval.conftest import SEEDS, documents, forbidden_questions, link_list_titles, raw


@cache
def gold() -> tuple[GoldItem, ...]:
    """Every item in the file, sealed ones included."""
    return tuple(load_gold(DEFAULT_GOLD, include_sealed=True))


def unsealed() -> list[GoldItem]:
    """The dev + test items (what ``all`` selects)."""
    return [it for it in gold() if not it.split]


def retired() -> list[GoldItem]:
    """The retired sealed split (``dev2``): tuning data since it was run once."""
    return [it for it in gold() if it.split == RETIRED]


def sealed() -> list[GoldItem]:
    return [it for it in gold() if it.split == SEALED]


def _item_id(item: GoldItem) -> str:
    return item.id


def answered(kind: str) -> list[GoldItem]:
    return [it for it in gold() if it.kind == kind]


# ---------------------------------------------------------------- the gold file


def test_corpus_seeds_exist() -> None:
    assert all((CORPUS / s).is_file() for s in SEEDS)


def test_counts_per_kind() -> None:
    counts = Counter(it.kind for it in unsealed())
    assert counts["answerable"] >= 65
    assert counts["unanswerable"] >= 20
    assert counts["conflict"] >= 6
    assert len(unsealed()) >= 95


def test_sealed_counts_per_kind() -> None:
    counts = Counter(it.kind for it in sealed())
    assert counts["answerable"] >= 45
    assert counts["unanswerable"] >= 15
    assert len(sealed()) >= 60


@pytest.mark.parametrize("part", [unsealed, sealed], ids=["dev+test", "sealed"])
def test_every_seed_answers_at_least_eight(part) -> None:
    per_seed = Counter(it.source for it in part() if it.kind != "unanswerable")
    for seed in SEEDS:
        assert per_seed[seed] >= 8, (seed, per_seed[seed])


def test_sealed_questions_are_new() -> None:
    """Sealed questions neither repeat nor share an anchor with a dev/test/dev2 question."""
    seen = {compact(it.question) for it in [*unsealed(), *retired()]}
    anchors = {(it.source, it.anchor) for it in [*unsealed(), *retired()] if it.anchor}
    assert not [it.id for it in sealed() if compact(it.question) in seen]
    assert not [it.id for it in sealed() if it.anchor and (it.source, it.anchor) in anchors]


def test_sources_are_seeds_or_empty() -> None:
    for it in gold():
        if it.kind == "unanswerable":
            assert (it.source, it.anchor, it.key_facts) == ("", "", ()), it.id
        else:
            assert it.source in SEEDS, it.id


@pytest.mark.parametrize("part", [unsealed, sealed], ids=["dev+test", "sealed"])
def test_article_and_snippet_passages_are_covered(part) -> None:
    kinds = set()
    for it in part():
        if it.anchor:
            kinds.update(d.kind for d in documents(it.source) if it.anchor in d.text)
    assert {"article", "snippet"} <= kinds


def test_link_list_titles_are_found() -> None:
    titles = link_list_titles()
    assert len(titles) >= 20
    assert "郑州医疗保险断交了几个月能补交吗?(2025/04/27)" in titles


@pytest.mark.parametrize("item", [it for it in gold() if it.kind != "unanswerable"], ids=_item_id)
def test_anchor_is_verbatim_and_indexed(item: GoldItem) -> None:
    assert 10 <= len(item.anchor) <= 30, item.anchor
    assert "\n" not in item.anchor and "\r" not in item.anchor
    assert item.anchor in raw(item.source)
    assert any(item.anchor in d.text for d in documents(item.source)), item.anchor


@pytest.mark.parametrize("item", answered("answerable"), ids=_item_id)
def test_answerable_key_facts_are_in_source(item: GoldItem) -> None:
    assert 1 <= len(item.key_facts) <= 4
    for fact in item.key_facts:
        assert fact in raw(item.source), fact


@pytest.mark.parametrize("item", answered("conflict"), ids=_item_id)
def test_conflict_key_facts_are_indexed_somewhere(item: GoldItem) -> None:
    assert 2 <= len(item.key_facts) <= 4
    texts = [d.text for seed in SEEDS for d in documents(seed)]
    for fact in item.key_facts:
        assert any(fact in t for t in texts), fact


def test_questions_are_not_copied_titles() -> None:
    forbidden = forbidden_questions()
    copied = [it.question for it in gold() if compact(it.question) in forbidden]
    assert not copied


def test_ids_and_questions_unique() -> None:
    ids = [it.id for it in gold()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"q\d{3}", it.id) for it in unsealed())
    assert all(re.fullmatch(r"[ijklmnoprstuvwxyz]\d{3}", it.id) for it in retired())
    assert all(re.fullmatch(r"[gh]\d{3}", it.id) for it in sealed())
    questions = [compact(it.question) for it in gold()]
    assert len(questions) == len(set(questions))


def test_every_item_has_reference_and_note() -> None:
    for it in gold():
        assert it.question.strip() and it.reference.strip() and it.note.strip(), it.id


# ---------------------------------------------------------------- split


def test_split_partitions_each_kind() -> None:
    items, kept = list(gold()), unsealed()
    dev, test = split_items(items, "dev"), split_items(items, "test")
    assert split_items(items, "all") == sorted(kept, key=lambda it: it.id)
    assert {it.id for it in dev} | {it.id for it in test} == {it.id for it in kept}
    assert not {it.id for it in dev} & {it.id for it in test}
    for kind in ("answerable", "unanswerable", "conflict"):
        n = sum(it.kind == kind for it in kept)
        assert sum(it.kind == kind for it in test) == n // 3


def test_sealed_items_stay_out_of_dev_test_and_all() -> None:
    items = list(gold())
    held = split_items(items, "sealed")
    assert held == sorted(sealed(), key=lambda it: it.id) and held
    ids = {it.id for it in held}
    for name in ("all", "dev", "test", RETIRED):
        assert not ids & {it.id for it in split_items(items, name)}, name
    assert split_items(unsealed(), "test") == split_items(items, "test")  # unchanged by them


def test_retired_split_is_its_own_and_stays_out_of_all() -> None:
    items = list(gold())
    dev2 = split_items(items, RETIRED)
    assert dev2 == sorted(retired(), key=lambda it: it.id) and len(dev2) >= 60
    for name in ("all", "dev", "test", "sealed"):
        assert not {it.id for it in dev2} & {it.id for it in split_items(items, name)}, name


def test_load_gold_holds_sealed_items_back_unless_asked() -> None:
    default = load_gold(DEFAULT_GOLD)
    assert [it.id for it in default] == [it.id for it in gold() if it.split != SEALED]
    assert split_items(default, "sealed") == []
    assert len(load_gold(DEFAULT_GOLD, include_sealed=True)) == len(gold())


def test_split_is_deterministic() -> None:
    items = list(gold())
    shuffled = items[::-1]
    for name in ("dev", "test", "sealed"):
        assert split_items(items, name) == split_items(shuffled, name)
    assert split_items(items, "dev") == split_items(list(load_gold(DEFAULT_GOLD)), "dev")


def test_split_rule_on_small_set() -> None:
    items = [GoldItem(f"q{i:03d}", f"问题{i}", "unanswerable") for i in range(1, 7)]
    assert [it.id for it in split_items(items, "test")] == ["q003", "q006"]


def test_split_rule_ignores_sealed_items() -> None:
    items = [GoldItem(f"q{i:03d}", f"问题{i}", "unanswerable") for i in range(1, 7)]
    held = [GoldItem(f"s{i:03d}", f"封存{i}", "unanswerable", split=SEALED) for i in (1, 2)]
    mixed = [*held, *items]
    assert [it.id for it in split_items(mixed, "test")] == ["q003", "q006"]
    assert [it.id for it in split_items(mixed, "all")] == [it.id for it in items]
    assert [it.id for it in split_items(mixed, "sealed")] == ["s001", "s002"]


def test_unknown_split() -> None:
    with pytest.raises(ValueError, match="all, dev, test, dev2, sealed"):
        split_items(gold(), "train")


# ---------------------------------------------------------------- loader errors

_GOOD = {
    "id": "q001",
    "question": "医保码咋激活",
    "kind": "answerable",
    "source": "000_6efac6a7bac98b9c.txt",
    "anchor": "支付宝搜索“医保码”",
    "key_facts": ["刷脸激活"],
    "reference": "刷脸激活。",
    "note": "test",
}


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**changes: object) -> str:
    record = {**_GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


def test_load_valid_file_with_blank_lines(tmp_path: Path) -> None:
    refusal = _line(id="q002", kind="unanswerable", source="", anchor="", key_facts=[])
    path = _write(tmp_path, [_line(), "", "   ", refusal])
    items = load_gold(path)
    assert [it.id for it in items] == ["q001", "q002"]
    assert items[0].key_facts == ("刷脸激活",)
    assert items[0].split == ""


def test_load_sealed_items(tmp_path: Path) -> None:
    path = _write(tmp_path, [_line(), _line(id="s001", question="医保码怎么弄", split="sealed")])
    assert [it.id for it in load_gold(path)] == ["q001"]
    items = load_gold(path, include_sealed=True)
    assert [(it.id, it.split) for it in items] == [("q001", ""), ("s001", "sealed")]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("{not json", "malformed"),
        (_line(anchor=None), "anchor"),
        (_line(kind="maybe"), "kind"),
        (_line(id="q001"), "duplicate"),
        (_line(id="q009", key_facts="刷脸激活"), "key_facts"),
        (_line(id="q009", anchor=""), "anchor"),
        ("[1, 2]", "object"),
        (_line(id="q009", split="test"), "split"),
        (_line(id="q009", split=""), "split"),
        (_line(id="s001", split="sealed", kind="maybe"), "kind"),
    ],
)
def test_load_errors_name_file_and_line(tmp_path: Path, bad: str, needle: str) -> None:
    path = _write(tmp_path, [_line(), "", bad])
    with pytest.raises(GoldFormatError, match=needle) as info:
        load_gold(path)
    assert f"{path}:3:" in str(info.value)
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------- records


def test_top_chunk_prediction_cites_the_top_chunk():
    item = GoldItem("q1", "医保码咋激活", "answerable")
    chunks = [RetrievedChunk("刷脸激活", "a.txt", 0.9, "c1", "激活"), RetrievedChunk("x", "b.txt")]
    pred = top_chunk_prediction(item, chunks, {"total": 1.0})
    assert pred.answer == "刷脸激活" and not pred.refused and pred.reason == ""
    assert [(c.n, c.source, c.doc_id) for c in pred.citations] == [(1, "a.txt", "c1")]
    empty = top_chunk_prediction(item, [], {})
    assert empty.refused and empty.answer == "" and not empty.citations


# ---------------------------------------------------------------- yibao eval --split


@pytest.fixture
def tiny_gold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eval_settings: Settings) -> Path:
    """A two-item gold file (one dev/test, one sealed) and the fake-embedder environment."""
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(eval_settings.data_dir))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(eval_settings.corpus_dir))
    held = _line(
        id="s001",
        question="家里人怎么绑定家庭共济",
        source="001_5a948301c2343ca9.txt",
        anchor="进入【地方专区】→【门诊共济】→【家庭成员绑定】",
        key_facts=["家庭成员绑定"],
        split="sealed",
    )
    return _write(tmp_path, [_line(), held])


@pytest.mark.parametrize(("split", "ids"), [("sealed", {"s001"}), ("all", {"q001"})])
def test_cli_eval_split_sealed(tiny_gold: Path, tmp_path: Path, split: str, ids: set) -> None:
    out = tmp_path / f"report-{split}"
    args = ["eval", "--systems", "bm25", "--split", split, "--gold", str(tiny_gold)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "predictions.jsonl").read_text("utf-8").splitlines()
    assert {json.loads(line)["id"] for line in lines} == ids
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert (report["split"], report["n_items"]) == (split, 1)


def test_cli_eval_split_help_and_errors(tiny_gold: Path) -> None:
    assert "sealed" in CliRunner().invoke(app, ["eval", "--help"]).output
    bad = CliRunner().invoke(app, ["eval", "--split", "train", "--gold", str(tiny_gold)])
    assert bad.exit_code == 1 and "sealed" in bad.output


def test_packaged_known_questions_are_the_tuning_splits_export() -> None:
    """``qa/data/known_questions.jsonl`` is what ``yibao eval --known-questions`` writes now:
    dev + dev2 answerable and conflict items, never a test or sealed question."""
    packaged = [
        json.loads(line) for line in DEFAULT_KNOWN_QUESTIONS.read_text("utf-8").splitlines()
    ]
    assert packaged == known_questions(gold())
    unseen = split_items(gold(), "test") + split_items(gold(), SEALED)
    assert not {e["question"] for e in packaged} & {it.question for it in unseen}
    tuning = split_items(gold(), "dev") + split_items(gold(), RETIRED)
    assert {e["question"] for e in packaged} <= {it.question for it in tuning}
    assert {e["group"] for e in packaged} == {held_out_group(it.id) for it in tuning}


def test_each_item_is_asked_without_its_own_group() -> None:
    assert held_out_group("k017") == "k" and held_out_group("q101") == "q"
    assert asked_in("z003") == ("z",) and asked_in("c004") == ("c", "q")


def test_cli_exports_known_questions(tiny_gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "known.jsonl"
    result = CliRunner().invoke(
        app,
        ["eval", "--gold", str(tiny_gold), "--known-questions"],
        env={"YIBAO_KNOWN_QUESTIONS": str(out)},
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    expected = known_questions(load_gold(tiny_gold))
    assert written == expected and len(written) == 1 and "已导出 1" in result.output
