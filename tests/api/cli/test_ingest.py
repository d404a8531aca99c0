"""`yibao ingest` with the fake embedder."""

import logging

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


def test_many_files_print_totals_and_the_largest_sources_not_one_row_each(cli_env, runner):
    folder = cli_env / "many"
    folder.mkdir()
    for i in range(45):
        (folder / f"{i:03d}_doc.md").write_text(
            f"# 第{i}号说明\n\n医保码可以在国家医保服务平台APP激活。" + "补充说明。" * (i % 7),
            encoding="utf-8",
        )
    for i in range(23):
        (folder / f"bad_{i:02d}.bin").write_bytes(b"\x00\x01")
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 0, result.output
    listed = [n for n in range(45) if f"{n:03d}_doc.md" in result.output]
    assert len(listed) == 20  # the 20 largest sources
    assert "另有 25 个来源文件未列出" in result.output
    assert result.output.count("已跳过") == 20 and "另有 3 个文件被跳过" in result.output
    assert "45" in result.output  # the totals still count every file


def test_each_skipped_file_is_reported_once(cli_env, runner, caplog):
    """One 已跳过 line per file: no WARNING log line repeats it (nor a traceback)."""
    folder = cli_env / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("异地就医\n备案后可直接结算。", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "broken.txt").symlink_to("missing.txt")
    (folder / "x.txt").symlink_to(cli_env / "secret.txt")
    (cli_env / "secret.txt").write_text("外部\n不应被索引。", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 0, result.output
    printed = result.output + "\n".join(r.getMessage() for r in caplog.records)
    for name in ("empty.txt", "image.txt", "loop.txt", "broken.txt", "x.txt"):
        assert printed.count(name) == 1, (name, printed)
    assert result.output.count("已跳过") == 5 and "Traceback" not in printed
