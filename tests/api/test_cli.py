"""The `yibao` command line with the fake embedder."""

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import CORPUS

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    return tmp_path


def test_help_lists_subcommands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "corpus", "search", "model"):
        assert command in result.output


def test_ingest_then_again_reports_no_reembedding(env):
    first = runner.invoke(app, ["ingest"])
    assert first.exit_code == 0, first.output
    assert "索引结果" in first.output and "000_6efac6a7bac98b9c.txt" in first.output
    second = runner.invoke(app, ["ingest"])
    assert second.exit_code == 0
    assert "语料未变化,未重新嵌入" in second.output
    quiet = runner.invoke(app, ["ingest", "--if-stale"])
    assert "索引已是最新" in quiet.output


def test_search_json_shape(env):
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["search", "合肥居民医保一年交多少钱", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["query"] == "合肥居民医保一年交多少钱"
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3]
    keys = {"rank", "chunk_id", "doc_id", "source", "title", "date", "text", "score"}
    assert all(set(h) == keys for h in payload["hits"])
    assert any("合肥" in h["title"] for h in payload["hits"])
    scores = [h["score"] for h in payload["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_search_modes_table(env, mode):
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["search", "家庭共济怎么绑定", "--mode", mode])
    assert result.exit_code == 0, result.output
    assert "家庭共济" in result.output


def test_search_without_index_explains(env):
    result = runner.invoke(app, ["search", "医保码"])
    assert result.exit_code == 1
    assert "yibao ingest" in result.output


def test_search_bad_mode_is_a_clear_error(env):
    result = runner.invoke(app, ["search", "医保码", "--mode", "magic"])
    assert result.exit_code == 1 and "未知检索模式" in result.output


def test_interactive_search_prompt(env):
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["search"], input="异地就医备案后怎么看病\nq\n")
    assert result.exit_code == 0, result.output
    assert "问题>" in result.output and "异地就医" in result.output


def test_corpus_table(env):
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["corpus"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "医保从来没用过怎么激活" in result.output and "snippet" in result.output


def test_ingest_missing_path(env):
    result = runner.invoke(app, ["ingest", str(env / "nope")])
    assert result.exit_code == 1 and "路径不存在" in result.output
