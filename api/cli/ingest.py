"""``yibao ingest``: parse, chunk and embed the corpus, then publish the index atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import console, err_console, fail
from qa.settings import Settings

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

REPORT_COLUMNS = (
    "文件",
    "文档",
    "段落",
    "重复文档",
    "新嵌入",
    "复用向量",
    "跳过文件",
    "耗时(秒)",
    "段落/秒",
)


def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="要索引的文件或目录:它们成为知识库的全部来源(默认:重建已记录的知识库,"
            "初始为 corpus/;追加请用 yibao kb add)"
        ),
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="忽略旧索引,全部重新嵌入")] = False,
    if_stale: Annotated[
        bool, typer.Option("--if-stale", help="索引已是最新时直接退出(供 make serve 使用)")
    ] = False,
) -> None:
    """解析、切分、嵌入语料,原子地发布新索引。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.pipeline import EmptyCorpusError, run_ingest
    from qa.index.lock import IndexBusyError
    from qa.index.sources import KnowledgeBase, KnowledgeBaseError
    from qa.index.versions import IndexLoadError

    settings = Settings()
    for path in paths or []:
        if not path.exists():
            fail(f"路径不存在:{path}")
    with Progress(
        TextColumn("[bold]嵌入段落"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("embed", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            # Paths given: they become the knowledge base (recorded once published).
            kb = KnowledgeBase([p.absolute() for p in paths]) if paths else None
            report = run_ingest(settings, rebuild=rebuild, progress=on_progress, kb=kb)
        except EmptyCorpusError as exc:
            for skipped in exc.skipped:
                err_console.print(
                    f"[yellow]已跳过[/yellow] {escape(skipped.path)}:{escape(skipped.reason)}"
                )
            fail(str(exc))
        except (IndexLoadError, IndexBusyError, KnowledgeBaseError) as exc:
            fail(str(exc))
    if if_stale and report.up_to_date:
        console.print(f"索引已是最新({report.chunks} 个段落),无需重建。")
        return
    print_report(report)


#: Most source files (and skipped files) listed one per row; the totals cover all of them.
MAX_ROWS = 20


def print_report(report: IngestReport) -> None:
    """The ingest totals as a table, then the source files (the largest :data:`MAX_ROWS` when
    there are more) and the skipped files (likewise capped, with a count of the rest)."""
    table = Table(title="索引结果" + ("(语料未变化,未重新嵌入)" if report.up_to_date else ""))
    for col in REPORT_COLUMNS:
        table.add_column(col, justify="right")
    table.add_row(
        str(report.files),
        str(report.documents),
        str(report.chunks),
        str(report.duplicates),
        str(report.embedded),
        str(report.reused),
        str(len(report.skipped)),
        f"{report.seconds:.2f}",
        f"{report.chunks_per_second:.1f}",
    )
    console.print(table)
    if report.per_source:
        sources = sorted(report.per_source.items(), key=lambda item: (-item[1][1], item[0]))
        shown = sources if len(sources) <= MAX_ROWS else sources[:MAX_ROWS]
        title = "按来源文件" if shown is sources else f"段落最多的 {MAX_ROWS} 个来源文件"
        per = Table(title=title)
        per.add_column("来源")
        per.add_column("文档", justify="right")
        per.add_column("段落", justify="right")
        for source, (docs, chunks) in shown:
            per.add_row(source, str(docs), str(chunks))
        console.print(per)
        if len(sources) > len(shown):
            console.print(f"另有 {len(sources) - len(shown)} 个来源文件未列出(合计见上表)。")
    for skipped in report.skipped[:MAX_ROWS]:
        console.print(f"[yellow]已跳过[/yellow] {escape(skipped.path)}:{escape(skipped.reason)}")
    if len(report.skipped) > MAX_ROWS:
        console.print(f"[yellow]另有 {len(report.skipped) - MAX_ROWS} 个文件被跳过。[/yellow]")
