"""``bench.json`` from a fake-embedder service and a fake LangChain-like retriever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.bench.report import run_bench, write_bench
from eval.bench.targets import bench_questions, git_commit
from eval.bench.timing import OPERATIONS, RATIOS
from eval.gold import load_gold
from ingest.pipeline import run_ingest
from qa.service import AnswerService
from qa.settings import Settings
from tests.conftest import CORPUS


class FakeRetriever:
    """Answers ``invoke`` like a LangChain retriever and remembers the questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def invoke(self, question: str) -> list[str]:
        self.asked.append(question)
        return ["一段文字"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> AnswerService:
    data = tmp_path_factory.mktemp("bench") / "data"
    settings = Settings(_env_file=None, embedder="fake", data_dir=data, corpus_dir=CORPUS)
    run_ingest(settings)
    return AnswerService.load(settings)


@pytest.fixture(scope="module")
def report_and_retriever(service: AnswerService) -> tuple[dict, FakeRetriever]:
    retriever = FakeRetriever()
    items = bench_questions(4)
    report = run_bench(service, retriever, items, 2, 1, baseline_chunks=7, command="yibao bench")
    return report, retriever


def test_json_shape(report_and_retriever, tmp_path: Path):
    report, _ = report_and_retriever
    path = write_bench(report, tmp_path / "out")
    assert path == tmp_path / "out" / "bench.json"
    data = json.loads(path.read_text("utf-8"))
    assert set(data) == {
        "created", "command", "environment", "model", "corpus", "questions", "repeat",
        "warmup", "clock", "order", "operations", "ratios_p50", "ratio_definitions", "seconds",
    }  # fmt: skip
    assert set(data["environment"]) == {
        "torch_threads", "cpu_count", "python", "platform", "git_commit",
    }  # fmt: skip
    assert data["model"]["id"].startswith("fake-char-bigram-")
    assert data["model"]["embedder"] == "fake"
    assert data["corpus"]["yibao_chunks"] > 0 and data["corpus"]["langchain_chunks"] == 7
    assert data["questions"]["count"] == 4 and len(data["questions"]["ids"]) == 4
    assert (data["repeat"], data["warmup"]) == (2, 1)
    assert data["order"]["operations"] == list(OPERATIONS) and data["order"]["steps"] == 8
    assert list(data["operations"]) == list(OPERATIONS)
    for stats in data["operations"].values():
        assert set(stats) == {"call", "p50_ms", "p95_ms", "mean_ms", "n"}
        assert stats["n"] == 8
        assert 0 <= stats["p50_ms"] <= stats["p95_ms"]
    assert set(data["ratios_p50"]) == set(RATIOS) == set(data["ratio_definitions"])


def test_ratios_are_the_quotients_of_the_p50s(report_and_retriever):
    report, _ = report_and_retriever
    ops = report["operations"]
    for name, (top, bottom) in RATIOS.items():
        expected = ops[top]["p50_ms"] / ops[bottom]["p50_ms"]
        assert report["ratios_p50"][name] == pytest.approx(expected)


def test_the_baseline_is_asked_every_question_warmup_included(report_and_retriever):
    report, retriever = report_and_retriever
    questions = [it.question for it in bench_questions(4)]
    assert len(retriever.asked) == 1 + 2 * 4
    assert retriever.asked[1:] == questions * 2


def test_bench_questions_are_dev_and_test_only():
    items = bench_questions()
    sealed = [it for it in load_gold(include_sealed=True) if it.split == "sealed"]
    assert sealed, "the gold file should hold a sealed split"
    assert len(items) == 121
    assert not {it.id for it in items} & {it.id for it in sealed}
    assert not {it.question for it in items} & {it.question for it in sealed}
    assert [it.id for it in bench_questions(5)] == [it.id for it in items[:5]]


def test_sealed_items_are_never_used_even_first_in_the_file(tmp_path: Path):
    gold = tmp_path / "gold.jsonl"
    fields = {"kind": "unanswerable", "source": "", "anchor": "", "key_facts": []}
    rows = [
        {"id": "a001", "question": "封存的问题", "split": "sealed", **fields},
        {"id": "b001", "question": "公开的问题", **fields},
    ]
    extra = {"reference": "", "note": ""}
    gold.write_text("\n".join(json.dumps(r | extra, ensure_ascii=False) for r in rows) + "\n")
    assert [it.id for it in bench_questions(None, gold)] == ["b001"]
    assert [it.id for it in bench_questions(2, gold)] == ["b001"]


def test_sealed_questions_never_reach_the_systems(service: AnswerService):
    retriever = FakeRetriever()
    report = run_bench(service, retriever, bench_questions(), 1, 0)
    sealed = {it.question for it in load_gold(include_sealed=True) if it.split == "sealed"}
    assert retriever.asked and not set(retriever.asked) & sealed
    assert not any(i.startswith("t") for i in report["questions"]["ids"])


def test_git_commit_is_none_outside_a_repository(tmp_path: Path):
    assert git_commit(tmp_path) is None
