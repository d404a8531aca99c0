"""The sliding-window limiter behind the rate limits."""

from __future__ import annotations

import pytest

from api.middleware.limiter import SlidingWindowLimiter


def test_sliding_window_forgets_old_hits():
    now = [0.0]
    limiter = SlidingWindowLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.hit("c") == 0 and limiter.hit("c") == 0
    assert limiter.hit("c") == pytest.approx(60)
    now[0] = 30
    assert limiter.hit("c") == pytest.approx(30) and limiter.hit("d") == 0
    now[0] = 60.5
    assert limiter.hit("c") == 0


def test_wait_records_nothing():
    now = [0.0]
    limiter = SlidingWindowLimiter(1, window=60, clock=lambda: now[0])
    assert limiter.wait("c") == 0 and limiter.wait("c") == 0
    assert limiter.hit("c") == 0
    assert limiter.wait("c") == pytest.approx(60)
    now[0] = 60.5
    assert limiter.wait("c") == 0
