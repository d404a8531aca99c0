"""The report files and `yibao eval` with the fake embedder on a tiny gold set."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli.main import app
from eval.conversations import SLICE
from eval.report import CONVERSATION_METRICS, metric_names, write_report
from tests.conftest import CORPUS
from tests.eval.conftest import TINY_GOLD


def _write_gold(path, items):
    with open(path, "w", encoding="utf-8") as fh:
        for i in items:
            record = {**i.__dict__, "key_facts": list(i.key_facts)}
            if not record.get("split"):  # absent = the fixed dev/test rule
                record.pop("split", None)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_writes_four_files_with_the_conversation_slice(fake_runs, tmp_path):
    paths = write_report(fake_runs, TINY_GOLD, tmp_path / "out", {"split": "all"})
    report = json.loads(paths["json"].read_text("utf-8"))
    assert set(report["systems"]) == {"yibao", "bm25", "dense"}
    yibao = report["systems"]["yibao"]
    assert yibao["metrics"]["hit@5"] == 1.0
    assert report["items_per_kind"] == {"answerable": 2, "unanswerable": 1}
    assert yibao[SLICE]["n"] == 3
    assert yibao[SLICE]["metrics"]["refused_when_should"] == 1.0
    assert yibao["by_kind"][SLICE] == yibao[SLICE]["metrics"]
    assert [s["item_id"] for s in yibao[SLICE]["per_item"]["refusal_kind"]] == ["k2", "k3"]
    assert SLICE not in report["systems"]["bm25"]

    lines = [json.loads(line) for line in paths["predictions"].read_text("utf-8").splitlines()]
    assert len(lines) == 9 + 3
    first = lines[0]
    assert {"system", "id", "question", "retrieved", "answer", "citations", "refused"} <= set(first)
    assert first["retrieved"][0]["rank"] == 1 and first["retrieved"][0]["text"]
    talk = [r for r in lines if r["kind"] == SLICE]
    assert [r["id"] for r in talk] == ["k1", "k2", "k3"]
    assert talk[1]["history"] == [{"role": "user", "content": "医保码怎么激活"}]
    assert talk[1]["refused"] and talk[1]["reason"] == "offtopic" and talk[1]["expect"] == "refuse"

    html = paths["html"].read_text("utf-8")
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 3
    assert "<script" not in html and "hit@5" in html
    assert "Conversations (3" in html and "answered_when_should" in html
    assert 'href="answers.html"' in html and "duplicate_sentence_rate ↓" in html
    assert "body_chars_p90" in html and "key_fact_gain" in yibao["per_item"]

    answers = paths["answers"].read_text("utf-8")
    assert paths["answers"].name == "answers.html" and "<script" not in answers
    assert all(f"{run.name}: " in answers for run in fake_runs)
    assert all(f"{i.id} · " in answers for i in TINY_GOLD)


def test_metric_names_include_the_conversation_metrics_of_slices(fake_runs):
    names = metric_names(fake_runs)
    assert names[:2] == ["hit@1", "hit@5"]
    shown = [m for m in names if m in CONVERSATION_METRICS]
    assert shown[:3] == ["answered_when_should", "refused_when_should", "refusal_kind"]
    assert names[-len(shown) :] == shown  # after the gold metrics


def test_cli_eval_prints_the_conversation_table(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    gold = tmp_path / "gold.jsonl"
    _write_gold(gold, TINY_GOLD)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["eval", "--systems", "yibao,bm25", "--gold", str(gold), "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "评测结果" in result.output and "hit@5" in result.output
    assert f"按题型:{SLICE}" in result.output and "answered_when_should" in result.output
    assert "duplicate_sentence_rate" in result.output and "body_chars_p90" in result.output
    files = {p.name for p in out.iterdir()}
    assert files == {"report.json", "predictions.jsonl", "report.html", "answers.html"}


def test_cli_eval_bad_gold_file(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "x"}\nnot json\n', "utf-8")
    result = CliRunner().invoke(app, ["eval", "--systems", "yibao", "--gold", str(gold)])
    assert result.exit_code == 1 and "gold.jsonl" in result.output
