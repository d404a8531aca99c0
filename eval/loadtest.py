"""Load test for `POST /api/ask`: N concurrent clients for T seconds, on loopback only.

Usage::

    python -m eval.loadtest --clients 50 --seconds 60 --reindex-at 20   # starts `yibao serve`
    python -m eval.loadtest --url http://127.0.0.1:8000 --clients 20     # an existing server

Without ``--url`` it starts ``yibao serve`` on a free loopback port (rate limit off, a random
admin key, the settings of the environment otherwise) and reports the server's resident
memory after the warm-up and at the end. ``--reindex-at S`` asks the server to rebuild its
index S seconds in, re-embedding every chunk (admin key: the started server's, or
``YIBAO_ADMIN_KEY``); the report says how the reindex ended and which index version served
before and after it.

Prints requests, errors (non-200 or transport failures: must be 0), throughput and latency
p50/p95/p99. Each client's loop is bounded in time and count and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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
READY_TIMEOUT = 300.0


@dataclass
class Server:
    """A server under test: its base URL, admin key, and process id when started here."""

    url: str
    admin_key: str = ""
    pid: int | None = None


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``), or ``None``."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def started_server(env: dict[str, str] | None = None) -> Iterator[Server]:
    """``yibao serve`` on a free loopback port, rate limit off; stopped when the block ends."""
    port, key = _free_port(), secrets.token_hex(8)
    variables = {"YIBAO_RATE_LIMIT_PER_MINUTE": "0", "YIBAO_ADMIN_KEY": key}
    command = [sys.executable, "-c", "from api.cli.main import app; app()", "serve"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **(env or {}), **variables},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}", key, process.pid)
    try:
        _wait_ready(server.url, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"服务进程已退出(返回码 {process.returncode})")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("服务在 5 分钟内没有就绪")


async def _client(
    url: str, deadline: float, questions: Iterator[str], results: list, errors: list
) -> None:
    async with httpx.AsyncClient(timeout=60.0) as client:
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


async def _admin_status(client: httpx.AsyncClient, server: Server) -> dict:
    response = await client.get(
        f"{server.url}/api/admin/reindex", headers={"X-Admin-Key": server.admin_key}
    )
    response.raise_for_status()
    return dict(response.json())


async def _reindex(server: Server, at: float, deadline: float) -> dict:
    """Start a full reindex (every chunk re-embedded) ``at`` seconds in and follow it until it
    ends (or the run's end + 5 min)."""
    await asyncio.sleep(at)
    headers = {"X-Admin-Key": server.admin_key}
    async with httpx.AsyncClient(timeout=30.0) as client:
        before = (await _admin_status(client, server))["service"].get("index_version", "")
        started = await client.post(
            f"{server.url}/api/admin/reindex", headers=headers, params={"rebuild": "true"}
        )
        if started.status_code != 202:
            return {"status": f"HTTP {started.status_code}", "detail": started.text[:200]}
        while time.perf_counter() < deadline + 300:
            body = await _admin_status(client, server)
            if body["status"] in ("done", "failed"):
                return {
                    "status": body["status"],
                    "seconds": body["seconds"],
                    "error": body["error"],
                    "version_before": before,
                    "version_after": body["service"].get("index_version", ""),
                }
            await asyncio.sleep(0.5)
    return {"status": "timeout"}


async def run(server: Server, clients: int, seconds: float, reindex_at: float | None) -> dict:
    """Run the load (and the reindex) and return a summary dict."""
    host = urlparse(server.url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("只允许对本机回环地址做压测 (loopback only)")
    results: list[float] = []
    errors: list[str] = []
    questions = itertools.cycle(QUESTIONS)
    rss_before = rss_mb(server.pid)
    started = time.perf_counter()
    deadline = started + seconds
    loads = [_client(server.url, deadline, questions, results, errors) for _ in range(clients)]
    reindex = None
    if reindex_at is not None:
        task = asyncio.ensure_future(_reindex(server, reindex_at, deadline))
        await asyncio.gather(*loads)
        reindex = await task
    else:
        await asyncio.gather(*loads)
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
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_mb(server.pid),
        "reindex": reindex,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default="", help="an existing server (default: start one)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--reindex-at", type=float, default=None, help="seconds into the run")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.url:
        server = Server(args.url.rstrip("/"), os.environ.get("YIBAO_ADMIN_KEY", ""))
        summary = asyncio.run(run(server, args.clients, args.seconds, args.reindex_at))
    else:
        with started_server() as started:
            summary = asyncio.run(run(started, args.clients, args.seconds, args.reindex_at))
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")
    return summary


if __name__ == "__main__":
    main()
