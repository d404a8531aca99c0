"""``yibao bench``: how fast yibao is next to a bare query encode and the LangChain default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.console import console, fail
from qa.settings import Settings

#: Operation name → its Chinese label in the table.
LABELS = {
    "encode": "查询编码(下限)",
    "retrieval": "yibao 检索",
    "answer": "yibao 完整回答",
    "langchain": "LangChain 默认检索",
}
SCALE_COLUMNS = (
    "存储",
    "段落",
    "入库秒",
    "入库峰值内存 MB",
    "索引 kB/段",
    "加载秒",
    "检索 p50",
    "回答 p50",
    "拒答 p50",
    "含编码检索 p50",
    "含编码检索 / 种子",
)
RATIO_LABELS = {
    "answer/encode": "完整回答 / 查询编码",
    "retrieval/encode": "检索 / 查询编码",
    "answer/langchain": "完整回答 / LangChain",
    "retrieval/langchain": "检索 / LangChain",
}


def bench(
    questions: Annotated[
        int | None, typer.Option("--questions", min=1, help="题数(默认全部 dev+test 金标题)")
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="每题重复轮数")] = 3,
    warmup: Annotated[int, typer.Option("--warmup", min=0, help="不计时的预热步数")] = 5,
    out: Annotated[
        Path | None, typer.Option("--out", help="结果目录(默认 eval/reports/bench-<时间>/)")
    ] = None,
    busy: Annotated[
        bool, typer.Option("--busy/--no-busy", help="另一个核心满载时再计时一遍")
    ] = True,
    callers: Annotated[
        int, typer.Option("--callers", min=0, help="并发调用者数,测吞吐(0 = 不测)")
    ] = 4,
    ingest: Annotated[
        bool, typer.Option("--ingest/--no-ingest", help="测入库吞吐与纯段落编码之比")
    ] = True,
    chunks: Annotated[
        list[int] | None,
        typer.Option("--chunks", min=1, help="合成语料规模(段落数,可多次给出),测索引侧"),
    ] = None,
    store: Annotated[
        list[str] | None,
        typer.Option("--store", help="合成语料规模所测的存储:local、milvus(可多次给出;默认 local)"),
    ] = None,
) -> None:
    """在真实模型上交替计时:查询编码、检索、完整回答与 LangChain 默认检索,写出 bench.json。"""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eval.bench.report import run_bench, write_bench
    from eval.bench.targets import bench_questions, build_targets
    from eval.gold import GoldFormatError
    from qa.index.versions import IndexLoadError

    stores = tuple(dict.fromkeys(store or ["local"]))
    if unknown := [s for s in stores if s not in ("local", "milvus")]:
        fail(f"未知的存储:{', '.join(unknown)}(可选 local、milvus)")
    settings = Settings()
    try:
        items = bench_questions(questions)
    except (GoldFormatError, OSError) as exc:
        fail(str(exc))
    try:
        with console.status("正在准备索引、模型与 LangChain 基线…"):
            targets = build_targets(settings)
    except (ValueError, IndexLoadError) as exc:
        fail(str(exc))
    command = (
        f"yibao bench --questions {len(items)} --repeat {repeat} --warmup {warmup}"
        f" {'--busy' if busy else '--no-busy'} --callers {callers}"
    )
    with Progress(
        TextColumn("[bold]交替计时"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("bench", total=len(items) * repeat * (2 if busy else 1))
        runs = {"done": 0}

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=runs["done"] + done)
            if done == total:
                runs["done"] += total

        report = run_bench(
            targets.service,
            targets.baseline,
            items,
            repeat,
            warmup,
            baseline_chunks=targets.baseline_chunks,
            command=command,
            progress=advance,
            busy=busy,
            callers=callers,
        )
    if ingest:
        from eval.bench.ingest_rate import ingest_rate

        with console.status("入库吞吐:纯段落编码与完整重建…"):
            report["ingest"] = ingest_rate(settings)
        report["command"] += " --ingest"
    if chunks:
        from eval.bench.scale import scale_report

        with console.status("合成语料:入库与查询计时(每个规模两个子进程)…"):
            report["scale"] = scale_report(chunks, stores=stores)
        report["command"] += "".join(f" --chunks {n}" for n in chunks)
        report["command"] += "".join(f" --store {s}" for s in stores if stores != ("local",))
    out_dir = out or Path("eval/reports") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}"
    path = write_bench(report, out_dir)
    print_report(report)
    console.print(f"结果已写入:{path}")


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def print_report(report: dict[str, Any]) -> None:
    """Latency per operation (and with a busy neighbour core), the ratios of medians,
    concurrent throughput, then the machine."""
    busy = report.get("busy")
    ops = Table(title=f"耗时(毫秒,{report['questions']['count']} 题 × {report['repeat']} 轮)")
    columns = ["操作", "p50", "p95", "平均", "次数"] + (
        ["邻核满载 p50", "满载/空闲"] if busy else []
    )
    for column in columns:
        ops.add_column(column, justify="left" if column == "操作" else "right")
    for name, stats in report["operations"].items():
        cells = [_ms(stats["p50_ms"]), _ms(stats["p95_ms"]), _ms(stats["mean_ms"]), str(stats["n"])]
        if busy:
            cells += [
                _ms(busy["operations"][name]["p50_ms"]),
                f"{busy['busy_over_quiet_p50'][name]:.2f}",
            ]
        ops.add_row(LABELS.get(name, name), *cells)
    console.print(ops)
    table = Table(title="中位数之比(p50)")
    table.add_column("比值")
    table.add_column("倍数", justify="right")
    for name, value in report["ratios_p50"].items():
        table.add_row(RATIO_LABELS.get(name, name), "—" if value is None else f"{value:.2f}")
    console.print(table)
    if scale := report.get("scale"):
        sizes = Table(title="合成语料规模(索引用假嵌入,384 维;含编码检索用真实查询编码)")
        for column in SCALE_COLUMNS:
            sizes.add_column(column, justify="right")
        for row in scale["sizes"]:
            sizes.add_row(
                row.get("store", "local"),
                str(row["chunks"]),
                f"{row['ingest_seconds']:.1f}",
                f"{row['ingest_peak_rss_mb']:.0f}",
                f"{row['index_bytes_per_chunk'] / 1024:.1f}",
                f"{row['load_seconds']:.2f}",
                f"{row['retrieval_p50_ms']:.1f}",
                f"{row['answer_p50_ms']:.1f}",
                f"{row['refusal_p50_ms']:.1f}",
                _ms(row.get("encoded_retrieval_p50_ms")),
                _times(scale.get("encoded_retrieval_vs_seeds", {}).get(_size_key(row, scale))),
            )
        console.print(sizes)
    if rate := report.get("ingest"):
        console.print(
            f"入库吞吐:{rate['chunks']} 段完整重建 {rate['ingest_chunks_per_s']:.1f} 段/秒,"
            f"纯段落编码 {rate['encode_chunks_per_s']:.1f} 段/秒,比值 {rate['ratio']:.2f}"
        )
    if load := report.get("concurrency"):
        console.print(
            f"并发吞吐:{load['callers']} 个调用者 {load['concurrent_per_s']:.1f} 问/秒,"
            f"逐个 {load['sequential_per_s']:.1f} 问/秒,{load['speedup']:.2f} 倍"
        )
    env, model = report["environment"], report["model"]
    console.print(
        f"模型 {model['id']} · 后端 {model.get('backend', '—')} · 编码线程 "
        f"{model.get('encoder_threads', '—')} · 段落 yibao {report['corpus']['yibao_chunks']} / "
        f"LangChain {report['corpus']['langchain_chunks']} · torch 线程 {env['torch_threads']} · "
        f"CPU {env['cpu_count']} · 提交 {env['git_commit'] or '—'}"
    )


def _size_key(row: dict, scale: dict) -> str:
    """The key of ``row`` in the scale report's ratio tables."""
    local = scale.get("stores", ["local"]) == ["local"]
    return str(row["chunks"]) if local else f"{row.get('store', 'local')}:{row['chunks']}"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"
