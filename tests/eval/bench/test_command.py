"""`yibao bench` end to end on the fake embedder: the table and bench.json (nothing timed)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from tests.conftest import make_settings


@pytest.fixture
def fake_env(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    monkeypatch.setenv("YIBAO_EMBEDDER", settings.embedder)
    monkeypatch.setenv("YIBAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(settings.corpus_dir))
    return tmp_path


def test_bench_builds_both_systems_and_writes_the_report(fake_env):
    out = fake_env / "bench"
    args = ["bench", "--questions", "3", "--repeat", "1", "--warmup", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for label in ("查询编码(下限)", "yibao 完整回答", "LangChain 默认检索", "完整回答 / 查询编码"):
        assert label in result.output
    data = json.loads((out / "bench.json").read_text("utf-8"))
    expected = "yibao bench --questions 3 --repeat 1 --warmup 1 --busy --callers 4 --ingest"
    assert data["command"] == expected
    rate = data["ingest"]  # a full rebuild next to the bare passage encode
    assert rate["chunks"] > 100 and rate["chunks_embedded"] == rate["chunks"]
    assert rate["ratio"] == pytest.approx(
        rate["ingest_chunks_per_s"] / rate["encode_chunks_per_s"], rel=0.01
    )
    assert "入库吞吐" in result.output
    busy = data["busy"]  # timed again with a CPU burner on another core
    assert all(stats["n"] == 3 for stats in busy["operations"].values())
    assert set(busy["busy_over_quiet_p50"]) == set(data["operations"])
    load = data["concurrency"]
    assert load["callers"] == 4 and load["questions"] == 3 and load["speedup"] > 0
    assert "邻核满载 p50" in result.output and "并发吞吐" in result.output
    assert data["questions"]["ids"] == ["q001", "q002", "q003"]
    assert data["corpus"]["langchain_chunks"] > 0  # the real LangChain-default index was built
    assert all(stats["n"] == 3 for stats in data["operations"].values())


def test_bench_is_listed_in_help():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "bench" in result.output


def test_bench_without_load_runs(fake_env):
    out = fake_env / "quiet"
    args = ["bench", "--questions", "2", "--repeat", "1", "--warmup", "0", "--no-busy"]
    result = CliRunner().invoke(app, [*args, "--callers", "0", "--no-ingest", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "bench.json").read_text("utf-8"))
    assert "busy" not in data and "concurrency" not in data and "ingest" not in data
    assert data["model"]["backend"] == "openvino" and data["model"]["encoder_threads"] == 1


def test_bench_with_synthetic_sizes_adds_the_scale_table(fake_env):
    out = fake_env / "scale"
    args = ["bench", "--questions", "1", "--repeat", "1", "--warmup", "0", "--no-busy"]
    args += ["--callers", "0", "--chunks", "240", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "bench.json").read_text("utf-8"))
    assert data["command"].endswith("--chunks 240")
    assert [row["target_chunks"] for row in data["scale"]["sizes"]] == [120, 240]
    assert "合成语料规模" in result.output


def test_an_unknown_store_is_refused_before_any_work(fake_env):
    result = CliRunner().invoke(app, ["bench", "--chunks", "240", "--store", "elastic"])
    assert result.exit_code != 0 and "未知的存储:elastic" in result.output
