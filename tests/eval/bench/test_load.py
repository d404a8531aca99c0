"""Load conditions of `yibao bench`: the busy neighbour really burns a core; throughput."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from eval.bench.load import busy_neighbour, throughput


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")
def test_busy_neighbour_burns_cpu_while_the_block_runs():
    with busy_neighbour():
        burners = multiprocessing.active_children()
        assert burners and all(p.is_alive() for p in burners)
        pid = burners[0].pid
        # It spins, not sleeps: its CPU time keeps growing as long as the block runs. Polled
        # (not one timed sample) so a machine already busy with other work cannot fail it.
        spun, deadline = 0.0, time.monotonic() + 30
        while spun <= 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
            with open(f"/proc/{pid}/stat") as f:
                spun = int(f.read().split()[13]) / os.sysconf("SC_CLK_TCK")
        assert spun > 0.3
    assert not any(p.pid == pid and p.is_alive() for p in multiprocessing.active_children())


def test_throughput_counts_answers_per_second_both_ways():
    def ask(question: str) -> str:
        time.sleep(0.01)  # sleeping releases the GIL: threads overlap
        return question

    load = throughput(ask, ["q"] * 20, callers=4)
    assert load["questions"] == 20 and load["callers"] == 4
    assert load["sequential_per_s"] < 100.5
    assert load["speedup"] > 2  # 4 sleepers at once
