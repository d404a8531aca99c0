"""The eval runner, report files and `yibao eval` with the fake embedder on a tiny gold set."""

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from eval.report import write_report
from eval.runner import run_eval
from eval.schema import GoldItem
from eval.systems import build_systems
from tests.conftest import CORPUS

ITEMS = [
    GoldItem(
        "t1",
        "合肥市医保缴费标准每人每年多少",
        "answerable",
        "002_39695e3f86a6b490.txt",
        "合肥市医保缴费标准为每人每年400元",
        ("400元",),
        "合肥普通居民个人每年缴400元。",
    ),
    GoldItem(
        "t2",
        "家里人怎么绑定家庭共济",
        "answerable",
        "001_5a948301c2343ca9.txt",
        "进入【地方专区】→【门诊共济】→【家庭成员绑定】",
        ("家庭成员绑定",),
        "在国家医保服务平台APP的地方专区→门诊共济→家庭成员绑定里办理。",
    ),
    GoldItem("t3", "明天天气怎么样", "unanswerable", reference="资料库没有天气信息。"),
]


def _write_gold(path, items):
    with open(path, "w", encoding="utf-8") as fh:
        for i in items:
            record = {**i.__dict__, "key_facts": list(i.key_facts)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_runs_score_each_system_and_write_three_files(fake_settings, tmp_path):
    systems = build_systems(["yibao", "bm25", "dense"], fake_settings)
    assert [s.name for s in systems] == ["yibao", "bm25", "dense"]
    runs = run_eval(systems, ITEMS)
    for run in runs:
        assert len(run.predictions) == 3
        assert 0.0 <= run.score("hit@5") <= 1.0
        assert run.metrics["hit@5"].items and all(s.reason for s in run.metrics["hit@5"].items)
        assert "total" in run.latency and run.latency["total"]["p95"] >= run.latency["total"]["p50"]
        assert set(run.by_kind) == {"answerable", "unanswerable"}
    hybrid = runs[0]
    assert hybrid.score("hit@5") == 1.0  # both easy questions find their anchor
    paths = write_report(runs, ITEMS, tmp_path / "out", {"split": "all"})
    report = json.loads(paths["json"].read_text("utf-8"))
    assert set(report["systems"]) == {"yibao", "bm25", "dense"}
    assert report["systems"]["yibao"]["metrics"]["hit@5"] == 1.0
    assert report["items_per_kind"] == {"answerable": 2, "unanswerable": 1}
    lines = paths["predictions"].read_text("utf-8").splitlines()
    assert len(lines) == 9
    first = json.loads(lines[0])
    assert {"system", "id", "question", "retrieved", "answer", "citations", "refused"} <= set(first)
    assert first["retrieved"][0]["rank"] == 1 and first["retrieved"][0]["text"]
    html = paths["html"].read_text("utf-8")
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 3
    assert "<script" not in html and "hit@5" in html


def test_unknown_system_is_a_clear_error(fake_settings):
    with pytest.raises(ValueError, match="未知系统"):
        build_systems(["yibao", "magic"], fake_settings)


def test_cli_eval_writes_report_and_prints_table(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    gold = tmp_path / "gold.jsonl"
    _write_gold(gold, ITEMS)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["eval", "--systems", "yibao,bm25", "--gold", str(gold), "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "评测结果" in result.output and "hit@5" in result.output
    assert {p.name for p in out.iterdir()} == {"report.json", "predictions.jsonl", "report.html"}


def test_cli_eval_bad_gold_file(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "x"}\nnot json\n', "utf-8")
    result = CliRunner().invoke(app, ["eval", "--systems", "yibao", "--gold", str(gold)])
    assert result.exit_code == 1 and "gold.jsonl" in result.output
