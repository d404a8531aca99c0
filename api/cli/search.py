"""``yibao search`` (ranked chunks, one-shot or interactive) and ``yibao corpus``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import console, fail, one_line
from qa.settings import Settings
from qa.types import SearchMode

if TYPE_CHECKING:
    from qa.retrieval.retriever import HybridRetriever

MODES = ("hybrid", "dense", "bm25")
QUIT = {"q", "quit", "exit", "退出"}


def corpus() -> None:
    """列出索引中的文档(编号、来源、类型、标题、日期、地区)。"""
    from qa.index.hybrid import HybridIndex
    from qa.index.versions import IndexLoadError

    try:
        index = HybridIndex.load(Settings().index_dir)
    except IndexLoadError as exc:
        fail(str(exc))
    table = Table(title=f"语料文档({len(index.documents)} 篇)")
    for col in ("编号", "来源", "类型", "标题", "日期", "地区"):
        table.add_column(col)
    for doc in index.documents:
        table.add_row(
            doc.doc_id,
            escape(doc.source),
            doc.kind,
            escape(doc.title),
            doc.date or "",
            "、".join(doc.regions),
        )
    console.print(table)


def search(
    query: Annotated[str | None, typer.Argument(help="问题;省略则进入交互模式")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="返回条数")] = 5,
    mode: Annotated[
        str, typer.Option("--mode", help="检索方式:hybrid(混合)、dense(向量)或 bm25(关键词)")
    ] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    """检索与问题最相关的段落。"""
    from qa.index.versions import IndexLoadError
    from qa.service import load_retriever

    if mode not in MODES:
        fail(f"未知检索模式 {mode!r},可选 hybrid、dense、bm25。")
    try:
        retriever = load_retriever(Settings())
    except IndexLoadError as exc:
        fail(str(exc))
    if query is not None:
        search_once(retriever, query, k, cast(SearchMode, mode), as_json)
        return
    console.print("医保问答检索(输入问题后回车;输入 q 或按 Ctrl-D 退出)")
    while True:
        try:
            line = console.input("[bold green]问题> [/bold green]").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if line.lower() in QUIT:
            break
        if line:
            search_once(retriever, line, k, cast(SearchMode, mode), as_json)


def search_once(
    retriever: HybridRetriever, query: str, k: int, mode: SearchMode, as_json: bool
) -> None:
    """Print the hits for ``query``: one JSON object (``{query, hits}``) or a ranked list."""
    if not query.strip():
        fail("问题不能为空。")
    hits = retriever.search(query, top_k=k, mode=mode)
    if as_json:
        payload = {"query": query, "hits": [h.to_dict() for h in hits]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    if not hits:
        console.print("没有找到相关段落。")
        return
    console.print(f"[bold]“{escape(query)}” 的检索结果[/bold]([dim]{mode}[/dim])")
    for h in hits:
        text = one_line(h.chunk.text)
        text = text if len(text) <= 180 else text[:180] + "…"
        date = f" · {h.chunk.date}" if h.chunk.date else ""
        console.print(
            f"[bold cyan]{h.rank}.[/bold cyan] [bold]{escape(h.chunk.title)}[/bold]"
            f"  [dim]得分 {h.score:.4f} · {escape(h.chunk.source)}{date}[/dim]"
        )
        console.print(f"   {escape(text)}", highlight=False)
