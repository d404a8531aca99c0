"""`yibao search` (JSON, table, interactive) and `yibao corpus` with the fake embedder."""

import json

import pytest

from api.cli.main import app

HIT_KEYS = {"rank", "chunk_id", "doc_id", "source", "title", "date", "text", "score"}


def test_search_json_shape(indexed, runner):
    result = runner.invoke(app, ["search", "合肥居民医保一年交多少钱", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["query"] == "合肥居民医保一年交多少钱"
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3]
    assert all(HIT_KEYS <= set(h) for h in payload["hits"])  # the README's fields, at least
    assert any("合肥" in h["title"] for h in payload["hits"])
    scores = [h["score"] for h in payload["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_search_modes_table(indexed, runner, mode):
    result = runner.invoke(app, ["search", "家庭共济怎么绑定", "--mode", mode])
    assert result.exit_code == 0, result.output
    assert "家庭共济" in result.output


def test_search_without_index_explains(cli_env, runner):
    result = runner.invoke(app, ["search", "医保码"])
    assert result.exit_code == 1
    assert "yibao ingest" in result.output


def test_search_bad_mode_is_a_clear_error(cli_env, runner):
    result = runner.invoke(app, ["search", "医保码", "--mode", "magic"])
    assert result.exit_code == 1 and "未知检索模式" in result.output


def test_interactive_search_prompt(indexed, runner):
    result = runner.invoke(app, ["search"], input="异地就医备案后怎么看病\nq\n")
    assert result.exit_code == 0, result.output
    assert "问题>" in result.output and "异地就医" in result.output


def test_corpus_table(indexed, runner):
    result = runner.invoke(app, ["corpus"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "医保从来没用过怎么激活" in result.output and "snippet" in result.output
