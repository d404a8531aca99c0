"""Interleaved timing of a few operations on the same questions, and their summary.

Every question is put to every operation in one step, in an order that rotates by one
place per step (step ``s`` starts with operation ``s % n``), so slow drifts of the machine
(other processes, thermal limits, caches) spread over all operations alike instead of
landing on whichever ran last. Times come from ``time.perf_counter_ns``.

Example:
    >>> ops = [Operation("encode", "embed_queries([q])", lambda q: len(q))]
    >>> samples = run_interleaved(ops, ["怎么激活医保码"], repeat=2, warmup=1)
    >>> len(samples.ns["encode"])
    2
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: The four benchmarked operations, in their base order.
OPERATIONS = ("encode", "retrieval", "answer", "langchain")
#: Reported ratios of medians: name → (numerator, denominator).
RATIOS: dict[str, tuple[str, str]] = {
    "answer/encode": ("answer", "encode"),
    "retrieval/encode": ("retrieval", "encode"),
    "answer/langchain": ("answer", "langchain"),
    "retrieval/langchain": ("retrieval", "langchain"),
}


@dataclass(frozen=True)
class Operation:
    """One timed call: ``run(question)``; ``call`` says what it runs (for the report)."""

    name: str
    call: str
    run: Callable[[str], object]


@dataclass
class Samples:
    """What :func:`run_interleaved` measured.

    Attributes:
        ns: Operation name → one duration (nanoseconds) per timed call, in run order.
        orders: The operation order of every timed step (one step = one question).
        seconds: Wall time of the whole run, warm-up included.
    """

    ns: dict[str, list[int]] = field(default_factory=dict)
    orders: list[tuple[str, ...]] = field(default_factory=list)
    seconds: float = 0.0


def rotated(items: Sequence[Operation], step: int) -> list[Operation]:
    """``items`` starting at position ``step % len(items)``, wrapping around."""
    start = step % len(items)
    return [*items[start:], *items[:start]]


def run_interleaved(
    operations: Sequence[Operation],
    questions: Sequence[str],
    repeat: int,
    warmup: int,
    clock: Callable[[], int] = time.perf_counter_ns,
    progress: Callable[[int, int], None] | None = None,
) -> Samples:
    """Time every operation on every question, ``repeat`` times, in rotating order.

    Args:
        operations: What to time (names must be unique).
        questions: The questions; each pass asks all of them in this order.
        repeat: Number of passes over ``questions``.
        warmup: Untimed steps first (questions cycled), every operation once each.
        clock: Nanosecond clock (tests pass a fake one).
        progress: Called with ``(done, total)`` timed steps.
    """
    if not operations or not questions:
        raise ValueError("need at least one operation and one question")
    started = time.perf_counter()
    for i in range(warmup):
        for op in rotated(operations, i):
            op.run(questions[i % len(questions)])
    samples = Samples({op.name: [] for op in operations})
    total = repeat * len(questions)
    for step in range(total):
        question = questions[step % len(questions)]
        order = rotated(operations, step)
        for op in order:
            before = clock()
            op.run(question)
            samples.ns[op.name].append(clock() - before)
        samples.orders.append(tuple(op.name for op in order))
        if progress:
            progress(step + 1, total)
    samples.seconds = time.perf_counter() - started
    return samples


def summarize(ns: Sequence[int]) -> dict[str, float]:
    """p50, p95 (numpy ``percentile``, linear, as ``eval.metrics``), mean (ms, to 1 µs) and n."""
    ms = np.asarray(ns, dtype=float) / 1e6
    return {
        "p50_ms": round(float(np.percentile(ms, 50, method="linear")), 3),
        "p95_ms": round(float(np.percentile(ms, 95, method="linear")), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "n": len(ms),
    }


def ratios(stats: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """Each of :data:`RATIOS` as ``p50(numerator) / p50(denominator)`` (None if either missing
    or the denominator is 0)."""
    out: dict[str, float | None] = {}
    for name, (num, den) in RATIOS.items():
        top, bottom = stats.get(num, {}).get("p50_ms"), stats.get(den, {}).get("p50_ms")
        out[name] = top / bottom if top is not None and bottom else None
    return out
