"""`yibao kb list|add|remove` and `yibao ingest` keep what an operator added."""

from __future__ import annotations

import json

from api.cli.main import app
from qa.index.hybrid import HybridIndex
from qa.settings import Settings
from tests.conftest import CORPUS

PAGE = "# 青稞市居民医保缴费\n\n青稞市居民医保个人缴费标准为每年 999 元,缴费时间为每年 9 月至 12 月。\n"  # noqa: E501


def _sources(data_dir) -> set[str]:
    return {d.source for d in HybridIndex.load(data_dir / "index").documents}


def test_add_embeds_only_the_new_chunks_and_ingest_keeps_them(indexed, runner):
    data = indexed / "data"
    mine = indexed / "mine"
    mine.mkdir()
    (mine / "qingke.md").write_text(PAGE, "utf-8")
    before = _sources(data)
    added = runner.invoke(app, ["kb", "add", str(mine)])
    assert added.exit_code == 0, added.output
    assert "已加入" in added.output
    row = next(line for line in added.output.splitlines() if line.startswith("│") and "│" in line)
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[4] == "1"  # 新嵌入: only the new page's chunk; the corpus vectors are reused
    assert _sources(data) == before | {"qingke.md"}
    rebuilt = runner.invoke(app, ["ingest"])  # what `make serve` runs: the knowledge base
    assert rebuilt.exit_code == 0 and "qingke.md" in _sources(data)
    listed = runner.invoke(app, ["kb", "list"])
    rows = [" ".join(line.split()) for line in listed.output.splitlines()]
    assert any(r.endswith("文件夹 │ 84 │ 120 │") and "corpus" in r for r in rows)  # the seeds
    assert any(r.endswith("文件夹 │ 1 │ 1 │") for r in rows)  # mine: 1 document, 1 chunk


def test_remove_a_document_by_id_prefix_then_a_source_by_path(indexed, runner):
    data = indexed / "data"
    mine = indexed / "mine"
    mine.mkdir()
    (mine / "qingke.md").write_text(PAGE, "utf-8")
    assert runner.invoke(app, ["kb", "add", str(mine)]).exit_code == 0
    doc = next(d for d in HybridIndex.load(data / "index").documents if d.source == "qingke.md")
    removed = runner.invoke(app, ["kb", "remove", doc.doc_id[:8]])
    assert removed.exit_code == 0, removed.output
    assert "qingke.md" not in _sources(data)
    assert json.loads((data / "kb.json").read_text("utf-8"))["removed_docs"] == [doc.doc_id]
    recorded = (data / "kb.json").read_bytes()
    emptied = runner.invoke(app, ["kb", "remove", str(CORPUS)])  # nothing would be left
    assert emptied.exit_code == 1 and "知识库已恢复原状" in emptied.output.replace("\n", "")
    assert len(_sources(data)) == 5  # nothing changed by the failed removal
    assert (data / "kb.json").read_bytes() == recorded
    short = runner.invoke(app, ["kb", "remove", "abc"])
    assert short.exit_code == 1 and "至少写 6 位" in short.output


def test_ingest_with_paths_replaces_the_knowledge_base_and_records_it(indexed, runner):
    data = indexed / "data"
    mine = indexed / "mine"
    mine.mkdir()
    (mine / "qingke.md").write_text(PAGE, "utf-8")
    assert runner.invoke(app, ["ingest", str(mine)]).exit_code == 0
    assert _sources(data) == {"qingke.md"}
    assert runner.invoke(app, ["ingest"]).exit_code == 0  # no argument: the recorded sources
    assert _sources(data) == {"qingke.md"}


def test_a_missing_source_stops_the_ingest_and_keeps_the_index(indexed, runner):
    data = indexed / "data"
    mine = indexed / "mine"
    mine.mkdir()
    (mine / "qingke.md").write_text(PAGE, "utf-8")
    assert runner.invoke(app, ["kb", "add", str(mine)]).exit_code == 0
    (mine / "qingke.md").unlink()
    mine.rmdir()
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1 and "已不存在" in result.output
    assert "qingke.md" in _sources(data)


def test_a_change_waits_for_the_knowledge_base_lock_held_elsewhere(indexed, runner, monkeypatch):
    import threading

    import qa.index.sources as sources

    data = indexed / "data"
    mine = indexed / "mine"
    mine.mkdir()
    (mine / "qingke.md").write_text(PAGE, "utf-8")
    monkeypatch.setattr(sources, "KB_LOCK_WAIT", 0.3)
    settings = Settings(_env_file=None, data_dir=data)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # e.g. the server storing an upload
        with sources.kb_lock(settings):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        busy = runner.invoke(app, ["kb", "add", str(mine)])
    finally:
        release.set()
        holder.join()
    assert busy.exit_code == 1 and "正被另一个进程修改" in busy.output.replace("\n", "")
    assert "qingke.md" not in _sources(data) and not (data / "kb.json").exists()
    assert runner.invoke(app, ["kb", "add", str(mine)]).exit_code == 0  # free again
