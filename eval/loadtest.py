"""Load test for `POST /api/ask`: N concurrent clients for T seconds, on loopback only.

Usage::

    yibao serve --port 8000 &          # with YIBAO_RATE_LIMIT_PER_MINUTE=0
    python -m eval.loadtest --url http://127.0.0.1:8000 --clients 20 --seconds 30

Prints requests, errors (non-200 or transport failures), throughput and latency p50/p95/p99.
Each client's loop is bounded in time and count and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import numpy as np

QUESTIONS = (
    "怎么激活医保码",
    "家庭共济怎么绑定家人",
    "合肥居民医保一年交多少钱",
    "换参保地要带什么材料",
    "错过了居民医保缴费期怎么办",
    "异地就医备案后怎么看病",
    "医保卡丢了去哪补办",
    "你好",
)
MAX_REQUESTS_PER_CLIENT = 10_000


async def _client(
    url: str, deadline: float, questions: Iterator[str], results: list, errors: list
) -> None:
    async with httpx.AsyncClient(timeout=30.0) as client:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/api/ask", json={"question": next(questions)})
                ok = response.status_code == 200 and response.json()["answer"]
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                errors.append(repr(exc))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if ok:
                results.append(elapsed)
            else:
                errors.append(f"HTTP {response.status_code}")


async def run(url: str, clients: int, seconds: float) -> dict:
    """Run the load and return a summary dict."""
    host = urlparse(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("只允许对本机回环地址做压测 (loopback only)")
    results: list[float] = []
    errors: list[str] = []
    questions = itertools.cycle(QUESTIONS)
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(url, deadline, questions, results, errors) for _ in range(clients))
    )
    wall = time.perf_counter() - started
    lat = np.asarray(results) if results else np.zeros(1)
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(results) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "throughput_rps": round(len(results) / wall, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    summary = asyncio.run(run(args.url.rstrip("/"), args.clients, args.seconds))
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
