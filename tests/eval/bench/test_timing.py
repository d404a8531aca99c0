"""Interleaving, summaries and ratios on fake operations and a fake clock (nothing timed)."""

from __future__ import annotations

import pytest

from eval.bench.timing import (
    OPERATIONS,
    RATIOS,
    Operation,
    ratios,
    rotated,
    run_interleaved,
    summarize,
)


class FakeClock:
    """A nanosecond clock that only moves when an operation says so."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += int(ms * 1_000_000)


def _recording_ops(calls: list[tuple[str, str]], clock: FakeClock | None = None, ms=None):
    ms = ms or {}

    def make(name: str):
        def run(question: str) -> None:
            calls.append((name, question))
            if clock is not None:
                clock.advance(ms.get(name, 0.0))

        return Operation(name, f"{name}(q)", run)

    return [make(name) for name in OPERATIONS]


def test_rotated_starts_one_place_later_each_step():
    ops = _recording_ops([])
    names = [[op.name for op in rotated(ops, step)] for step in range(5)]
    assert names[0] == ["encode", "retrieval", "answer", "langchain"]
    assert names[1] == ["retrieval", "answer", "langchain", "encode"]
    assert names[3] == ["langchain", "encode", "retrieval", "answer"]
    assert names[4] == names[0]


def test_interleaving_rotates_and_asks_every_operation_the_same_question():
    calls: list[tuple[str, str]] = []
    samples = run_interleaved(_recording_ops(calls), ["a", "b", "c"], repeat=2, warmup=0)
    steps = [calls[i : i + 4] for i in range(0, len(calls), 4)]
    assert len(steps) == 6
    for step, group in enumerate(steps):
        assert {q for _, q in group} == {"abc"[step % 3]}  # one question per step
        expected = OPERATIONS[step % 4 :] + OPERATIONS[: step % 4]
        assert tuple(name for name, _ in group) == expected
        assert samples.orders[step] == expected
    first = [order[0] for order in samples.orders]  # every operation gets to go first
    assert set(first) == set(OPERATIONS)
    assert all(len(v) == 6 for v in samples.ns.values())


def test_warmup_runs_untimed_steps_first():
    calls: list[tuple[str, str]] = []
    samples = run_interleaved(_recording_ops(calls), ["a", "b"], repeat=1, warmup=3)
    assert len(calls) == 4 * (3 + 2)
    assert [q for _, q in calls[:12:4]] == ["a", "b", "a"]  # warm-up cycles the questions
    assert len(samples.orders) == 2 and all(len(v) == 2 for v in samples.ns.values())


def test_durations_come_from_the_clock_around_each_call():
    clock = FakeClock()
    ms = {"encode": 2.0, "retrieval": 5.0, "answer": 8.0, "langchain": 4.0}
    samples = run_interleaved(_recording_ops([], clock, ms), ["a", "b"], 2, 1, clock)
    assert samples.ns["encode"] == [2_000_000] * 4
    assert samples.ns["answer"] == [8_000_000] * 4


def test_summarize_is_linear_percentiles_in_ms():
    stats = summarize([1_000_000, 2_000_000, 3_000_000, 4_000_000, 100_000_000])
    assert stats["p50_ms"] == pytest.approx(3.0)
    assert stats["p95_ms"] == pytest.approx(4.0 + 0.8 * 96.0)
    assert stats["mean_ms"] == pytest.approx(22.0)
    assert stats["n"] == 5


def test_ratios_divide_the_medians_not_the_means():
    clock = FakeClock()
    durations = iter([2.0, 2.0, 2.0, 50.0])  # encode: median 2, mean 14

    def encode(_: str) -> None:
        clock.advance(next(durations))

    ops = [Operation("encode", "e", encode)]
    for name, ms in (("retrieval", 6.0), ("answer", 10.0), ("langchain", 4.0)):
        ops.append(Operation(name, name, lambda _, ms=ms: clock.advance(ms)))
    samples = run_interleaved(ops, ["a", "b"], 2, 0, clock)
    stats = {name: summarize(ns) for name, ns in samples.ns.items()}
    assert stats["encode"]["p50_ms"] == pytest.approx(2.0)
    got = ratios(stats)
    assert set(got) == set(RATIOS)
    assert got["answer/encode"] == pytest.approx(5.0)
    assert got["retrieval/encode"] == pytest.approx(3.0)
    assert got["answer/langchain"] == pytest.approx(2.5)
    assert got["retrieval/langchain"] == pytest.approx(1.5)


def test_ratio_is_none_without_a_usable_denominator():
    got = ratios({"answer": {"p50_ms": 3.0}, "encode": {"p50_ms": 0.0}})
    assert got["answer/encode"] is None and got["answer/langchain"] is None


def test_nothing_to_time_is_an_error():
    with pytest.raises(ValueError):
        run_interleaved([], ["a"], 1, 0)
