"""``SlidingWindowLimiter``: at most ``limit`` hits per client within any ``window`` seconds."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most ``limit`` hits per client within any ``window`` seconds.

    Example:
        >>> limiter = SlidingWindowLimiter(60)
        >>> limiter.hit("ip:127.0.0.1")  # 0.0 = allowed, else seconds until allowed
        0.0
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        """``client``'s hits still inside the window (the client becomes the most recent)."""
        hits = self._hits.setdefault(client, deque())
        self._hits.move_to_end(client)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(self._hits) > self.max_clients:
            self._hits.popitem(last=False)  # least recently seen client
        return hits

    def _wait(self, hits: deque[float], now: float) -> float:
        if len(hits) >= self.limit:
            return max(hits[0] + self.window - now, 0.001)
        return 0.0

    def hit(self, client: str) -> float:
        """Record a hit; 0.0 when allowed, else the seconds to wait (the hit is not counted)."""
        with self._lock:
            now = self.clock()
            hits = self._recent(client, now)
            wait = self._wait(hits, now)
            if not wait:
                hits.append(now)
            return wait

    def wait(self, client: str) -> float:
        """Seconds until ``client`` may hit again (0.0 = now), recording nothing."""
        with self._lock:
            now = self.clock()
            return self._wait(self._recent(client, now), now)
