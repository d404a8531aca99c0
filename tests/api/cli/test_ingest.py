"""`yibao ingest` with the fake embedder."""

from api.cli.main import app


def test_ingest_then_again_reports_no_reembedding(cli_env, runner):
    first = runner.invoke(app, ["ingest"])
    assert first.exit_code == 0, first.output
    assert "索引结果" in first.output and "000_6efac6a7bac98b9c.txt" in first.output
    second = runner.invoke(app, ["ingest"])
    assert second.exit_code == 0
    assert "语料未变化,未重新嵌入" in second.output
    quiet = runner.invoke(app, ["ingest", "--if-stale"])
    assert "索引已是最新" in quiet.output


def test_ingest_missing_path(cli_env, runner):
    result = runner.invoke(app, ["ingest", str(cli_env / "nope")])
    assert result.exit_code == 1 and "路径不存在" in result.output


def test_ingest_empty_folder_explains(cli_env, runner):
    empty = cli_env / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["ingest", str(empty)])
    assert result.exit_code == 1 and "错误" in result.output
