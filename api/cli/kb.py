"""``yibao kb list|add|remove``: the knowledge base's sources, changed and re-published.

Every change runs an ingestion (only new or changed chunks are embedded) and publishes a new
index version; a running server swaps it in. The change is recorded only once published.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import console, fail
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.index.sources import KnowledgeBase

T = TypeVar("T")

app = typer.Typer(help="管理知识库的来源(文件与文件夹):列出、添加、移除。", no_args_is_help=True)


@app.command("list")
def list_sources() -> None:
    """列出知识库的来源,以及各来源在当前索引中的文档数和段落数。"""
    from qa.index.hybrid import HybridIndex
    from qa.index.sources import KnowledgeBase, KnowledgeBaseError
    from qa.index.versions import IndexLoadError

    settings = Settings()
    try:
        kb = KnowledgeBase.load(settings)
    except KnowledgeBaseError as exc:
        fail(str(exc))
    counts: dict[Path, list[int]] = {p: [0, 0] for p in kb.sources}
    try:
        index = HybridIndex.load(settings.index_dir)
    except IndexLoadError as exc:
        console.print(f"[yellow]{escape(str(exc))}[/yellow]")
        index = None
    if index is not None:
        owner = {d.doc_id: kb.root_of(d.source) for d in index.documents}
        for root in owner.values():
            if root is not None:
                counts[root][0] += 1
        for chunk in index.chunks:
            root = owner.get(chunk.doc_id)
            if root is not None:
                counts[root][1] += 1
    table = Table(title="知识库来源")
    for column, justify in (
        ("来源", "left"),
        ("类型", "left"),
        ("文档", "right"),
        ("段落", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for path in kb.sources:
        kind = "文件夹" if path.is_dir() else "文件" if path.is_file() else "[red]已不存在[/red]"
        docs, chunks = counts[path]
        table.add_row(escape(str(path)), kind, str(docs), str(chunks))
    console.print(table)
    for path in kb.removed:
        console.print(f"已移除的文件:{escape(str(path))}")
    if kb.removed_docs:
        console.print(f"已移除的单篇文档:{len(kb.removed_docs)} 篇")


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="要加入知识库的文件或文件夹")],
) -> None:
    """把文件或文件夹加入知识库并重建索引(只嵌入新增的段落)。"""
    settings = Settings()
    added, before, written = _change(settings, lambda kb: kb.add(paths))
    for path in added:
        console.print(f"已加入:{escape(str(path))}")
    if not added:
        console.print("这些路径已在知识库中,重新检查索引。")
    _publish(settings, before, written)


@app.command("remove")
def remove(
    target: Annotated[str, typer.Argument(help="文档 ID(见 yibao corpus),或来源路径")],
) -> None:
    """从知识库移除一篇文档(按文档 ID)或一个来源(按路径),并重建索引。"""
    settings = Settings()
    done, before, written = _change(settings, lambda kb: _remove(settings, kb, target))
    console.print(done)
    _publish(settings, before, written)


def _change(
    settings: Settings, apply: Callable[[KnowledgeBase], T]
) -> tuple[T, bytes | None, bytes | None]:
    """Apply one change to the recorded knowledge base under its lock and save it; the
    change's result and ``kb.json`` before and after (to undo it if the ingest fails)."""
    from qa.index.sources import KnowledgeBase, KnowledgeBaseError, kb_lock, recorded_bytes

    try:
        with kb_lock(settings):
            before = recorded_bytes(settings)
            kb = KnowledgeBase.load(settings)
            result = apply(kb)
            kb.save(settings)
            return result, before, recorded_bytes(settings)
    except KnowledgeBaseError as exc:
        fail(str(exc))


def _remove(settings: Settings, kb: KnowledgeBase, target: str) -> str:
    """Take ``target`` (a path, or a doc_id prefix of 6+ characters) out of ``kb``; what it did."""
    from qa.index.hybrid import HybridIndex
    from qa.index.versions import IndexLoadError

    path = Path(target)
    if path.exists() or path.absolute() in kb.sources:
        return f"已移除:{escape(str(kb.remove_path(path, settings)))}"
    try:
        documents = HybridIndex.load(settings.index_dir).documents
    except IndexLoadError as exc:
        fail(str(exc))
    matches = [d for d in documents if d.doc_id.startswith(target)]
    if len(target) < 6 or len(matches) != 1:
        found = "多篇文档" if len(matches) > 1 and len(target) >= 6 else "文档或路径"
        fail(f"没有找到唯一的{found}:{target}(文档 ID 至少写 6 位,见 yibao corpus)")
    kb.remove_document(matches[0].doc_id)
    return f"已移除文档:{escape(matches[0].title)}({escape(matches[0].source)})"


def _publish(settings: Settings, before: bytes | None, written: bytes | None) -> None:
    """Index the recorded knowledge base; if that fails, put ``kb.json`` back as it was."""
    from api.cli.ingest import print_report
    from ingest.pipeline import EmptyCorpusError, run_ingest
    from qa.index.lock import IndexBusyError
    from qa.index.sources import KnowledgeBaseError, restore
    from qa.index.versions import IndexLoadError

    try:
        report = run_ingest(settings)
    except (EmptyCorpusError, KnowledgeBaseError, IndexLoadError, IndexBusyError) as exc:
        undone = restore(settings, before, written)
        fail(f"{exc}" + ("(知识库已恢复原状)" if undone else "(知识库已被另一处修改,未恢复)"))
    print_report(report)
