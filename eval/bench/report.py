"""``yibao bench``'s numbers: run the interleaved timing and shape ``bench.json``.

Every field of the report is described in README.md, section "Benchmark".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from eval.bench.load import busy_neighbour, throughput
from eval.bench.targets import Invokable, environment, operations
from eval.bench.timing import OPERATIONS, RATIOS, ratios, run_interleaved, summarize
from eval.gold import GoldItem
from qa.embedders.factory import model_id_for
from qa.service import AnswerService

ORDER_RULE = "step s (one question) runs operations[s % 4:] + operations[:s % 4]"


def run_bench(
    service: AnswerService,
    baseline: Invokable,
    items: Sequence[GoldItem],
    repeat: int,
    warmup: int,
    *,
    baseline_chunks: int | None = None,
    command: str = "",
    clock: Callable[[], int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    busy: bool = False,
    callers: int = 0,
) -> dict[str, Any]:
    """Time the four operations on ``items`` and return the ``bench.json`` record.

    Args:
        service: yibao end to end (its retriever and embedder are timed too).
        baseline: The LangChain-default retriever (anything with ``invoke(question)``).
        items: Gold items to ask (dev + test only; see ``bench_questions``).
        repeat: Passes over ``items``.
        warmup: Untimed steps first.
        baseline_chunks: Number of chunks in the baseline's index, when known.
        command: The command line that produced the run (recorded as is).
        clock: Nanosecond clock (default ``time.perf_counter_ns``).
        progress: Called with ``(done, total)`` timed steps (of both runs when ``busy``).
        busy: Time everything again with a CPU burner on another core (``busy`` block).
        callers: Also measure throughput with this many concurrent callers (0: skip).
    """
    ops = operations(service, baseline)
    questions = [it.question for it in items]
    clock = clock or time.perf_counter_ns
    samples = run_interleaved(ops, questions, repeat, warmup, clock, progress)
    summaries = {op.name: summarize(samples.ns[op.name]) for op in ops}
    settings = service.settings
    extra: dict[str, Any] = {}
    if busy:
        with busy_neighbour() as core:
            loaded = run_interleaved(ops, questions, repeat, warmup, clock, progress)
        busy_stats = {op.name: summarize(loaded.ns[op.name]) for op in ops}
        extra["busy"] = {
            "burner_core": core,
            "operations": busy_stats,
            "ratios_p50": ratios(busy_stats),
            "busy_over_quiet_p50": {
                name: round(busy_stats[name]["p50_ms"] / summaries[name]["p50_ms"], 3)
                for name in summaries
                if summaries[name]["p50_ms"]
            },
            "seconds": round(loaded.seconds, 2),
        }
    if callers > 0:
        extra["concurrency"] = throughput(service.ask, questions, callers)
    return {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "environment": environment(),
        "model": {
            "id": model_id_for(settings),
            "embedder": settings.embedder,
            "dim": service.retriever.embedder.dim,
            "composer": settings.composer,
            "backend": settings.embedding_backend,
            "encoder_threads": settings.encoder_threads,
            "llm": bool(settings.llm_base_url),
        },
        "corpus": {
            "yibao_chunks": len(service.retriever.index.chunks),
            "langchain_chunks": baseline_chunks,
        },
        "questions": {
            "count": len(items),
            "split": "dev+test",
            "ids": [it.id for it in items],
        },
        "repeat": repeat,
        "warmup": warmup,
        "clock": "time.perf_counter_ns",
        "order": {"operations": list(OPERATIONS), "rule": ORDER_RULE, "steps": len(samples.orders)},
        "operations": {op.name: {"call": op.call, **summaries[op.name]} for op in ops},
        "ratios_p50": ratios(summaries),
        "ratio_definitions": {name: f"p50({a}) / p50({b})" for name, (a, b) in RATIOS.items()},
        "seconds": round(samples.seconds, 2),
        **extra,
    }


def write_bench(report: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report`` to ``out_dir/bench.json`` (folders created) and return the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
