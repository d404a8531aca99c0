"""Load conditions for ``yibao bench``: a busy neighbour core, and concurrent callers.

- :func:`busy_neighbour` runs a CPU burner in another process (pinned to the last core when
  the OS allows) for the duration of a ``with`` block: the "another process on the second
  core" case, where spinning encoder threads collapse.
- :func:`throughput` asks the same questions one at a time, then from ``callers`` threads at
  once, and reports answers per second of each and their ratio.

Example:
    >>> with busy_neighbour():
    ...     samples = run_interleaved(ops, questions, repeat=1, warmup=1)
    >>> throughput(service.ask, questions, callers=4)["speedup"]
    1.7
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any


def _burn(core: int | None) -> None:  # pragma: no cover - runs in the child process
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


@contextmanager
def busy_neighbour() -> Iterator[int | None]:
    """A process spinning on the last CPU core while the block runs (yields that core)."""
    cores = os.cpu_count() or 1
    core = cores - 1 if cores > 1 else None
    burner = multiprocessing.get_context("spawn").Process(target=_burn, args=(core,), daemon=True)
    burner.start()
    try:
        time.sleep(0.2)  # let it reach full speed
        yield core
    finally:
        burner.terminate()
        burner.join(timeout=5)


def throughput(
    ask: Callable[[str], object], questions: Sequence[str], callers: int
) -> dict[str, Any]:
    """Answers per second asked one at a time vs by ``callers`` threads at once."""
    started = time.perf_counter()
    for question in questions:
        ask(question)
    sequential = len(questions) / (time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(ask, questions))
    concurrent = len(questions) / (time.perf_counter() - started)
    return {
        "callers": callers,
        "questions": len(questions),
        "sequential_per_s": round(sequential, 2),
        "concurrent_per_s": round(concurrent, 2),
        "speedup": round(concurrent / sequential, 3),
    }
