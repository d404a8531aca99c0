"""``yibao eval``: score systems on the gold set, or ``--calibrate`` the refusal model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from api.cli.console import console, fail
from qa.settings import Settings

if TYPE_CHECKING:
    from eval.runner import SystemRun

SYSTEMS = "yibao,langchain-default,chatchat,bm25,dense"


def eval_(
    systems: Annotated[
        str, typer.Option("--systems", help="逗号分隔:yibao,langchain-default,chatchat,bm25,dense")
    ] = SYSTEMS,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help=(
                "all(=dev+test) | dev | test | dev2(用过一次的旧封存集,现作调参数据)"
                " | sealed(封存集:只在最后跑一次,如实报告)"
            ),
        ),
    ] = "all",
    gold: Annotated[
        Path | None, typer.Option("--gold", help="金标 JSONL(默认 eval/gold.jsonl)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="报告目录(默认 eval/reports/<时间>/)")
    ] = None,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate", help="在 dev+dev2(调参数据)上校准拒答模型,在 test 上检验,并保存校准文件"
        ),
    ] = False,
    known: Annotated[
        bool,
        typer.Option(
            "--known-questions", help="从 dev+dev2(调参数据)导出已知问题文件(检索信号 known)"
        ),
    ] = False,
) -> None:
    """用金标问答集评测各系统,打印指标表并写出 report.json / predictions.jsonl / report.html。"""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eval.gold import DEFAULT_GOLD, GoldFormatError, load_gold, split_items
    from eval.report import metric_names, write_report
    from eval.runner import run_eval
    from eval.systems import RetrieverSystem, build_systems
    from qa.index.versions import IndexLoadError

    settings = Settings()
    names = [n.strip() for n in systems.split(",") if n.strip()]
    gold_path = gold or DEFAULT_GOLD
    try:
        items = split_items(load_gold(gold_path, include_sealed=split == "sealed"), split)
    except (GoldFormatError, OSError, ValueError) as exc:
        fail(str(exc))
    if not items:
        fail(f"金标集 {gold_path} 的 {split} 部分没有题目。")
    if calibrate:
        run_calibration(settings, gold_path)
        return
    if known:
        export_known_questions(settings, gold_path)
        return
    try:
        with console.status("正在准备系统(索引、模型、基线)…"):
            built = build_systems(names, settings)
    except (ValueError, IndexLoadError) as exc:
        fail(str(exc))
    own = next((s for s in built if isinstance(s, RetrieverSystem)), None)
    embedder = own.retriever.embedder if own else None
    embed = embedder.embed_queries if embedder else None
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks = {s.name: bar.add_task(s.name, total=len(items)) for s in built}
        runs = run_eval(
            built,
            items,
            embed,
            lambda name, n, _: bar.update(tasks[name], completed=n),
            # sealed / dev2: only their own items, no conversations
            conversations=() if split in ("sealed", "dev2") else None,
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
    print_tables(runs, metric_names(runs))
    written = "、".join(paths[k].name for k in ("json", "predictions", "answers"))
    console.print(f"报告已写入:{paths['html']}、{written}")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _table(
    title: str,
    runs: Sequence[SystemRun],
    metrics: Sequence[str],
    pick: Callable[[SystemRun, str], float | None],
) -> Table:
    out = Table(title=title)
    out.add_column("指标")
    for run in runs:
        out.add_column(run.name, justify="right")
    for m in metrics:
        values = [pick(run, m) for run in runs]
        if any(v is not None for v in values):
            out.add_row(m, *[_fmt(v) for v in values])
    return out


def print_tables(runs: Sequence[SystemRun], metrics: Sequence[str]) -> None:
    """One table per slice: a row per metric, a column per system (fits 80 columns)."""
    overall = _table("评测结果(全部题目)", runs, metrics, lambda run, m: run.score(m))
    for q in ("p50", "p95"):
        overall.add_row(
            f"总耗时 {q} (ms)", *[_fmt(run.latency.get("total", {}).get(q)) for run in runs]
        )
    console.print(overall)
    for kind in sorted({k for run in runs for k in run.by_kind}):

        def pick(run: SystemRun, m: str, kind: str = kind) -> float | None:
            result = run.by_kind.get(kind, {}).get(m)
            return None if result is None else result.score

        console.print(_table(f"按题型:{kind}", runs, metrics, pick))


def run_calibration(settings: Settings, gold_path: Path) -> None:
    """Fit the refusal model on dev + dev2, check it on test, save it and print the summary."""
    from eval.calibrate import calibrate, save_calibration
    from eval.gold import load_gold
    from qa.refusal.calibration import DEFAULT_CALIBRATION

    with console.status("正在校准拒答模型(dev+dev2 拟合,test 检验)…"):
        result = calibrate(settings, load_gold(gold_path))
    path = settings.calibration_path or DEFAULT_CALIBRATION
    save_calibration(result, path)
    console.print_json(data=result.summary())
    console.print(f"校准结果已保存:{path}")


def export_known_questions(settings: Settings, gold_path: Path) -> None:
    """Write the known questions of dev + dev2 (never test or sealed) as JSONL."""
    import json

    from eval.gold import known_questions, load_gold
    from qa.retrieval.known import DEFAULT_KNOWN_QUESTIONS

    entries = known_questions(load_gold(gold_path))
    path = settings.known_questions or DEFAULT_KNOWN_QUESTIONS
    lines = (json.dumps(e, ensure_ascii=False) for e in entries)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    console.print(f"已导出 {len(entries)} 条已知问题:{path}")
