"""``yibao bench --chunks N``: the index side at scale, on a synthetic corpus from the seeds.

For each size a fresh process (so its peak RSS is its own) writes ``copies`` variants of the
five seed pages (``eval.bench.synthetic``: cities, figures and years substituted, sentences
mixed across pages and shuffled, so the pages parse as the seeds do but near-duplicate
chunks are rare and the vocabulary grows), ingests them with the fake embedder (hashed
character bigrams, 384-d like e5-small: the index costs, not the model's), then a second
process loads the index and times questions and a refusal, then retrieval again with the real
query encoder inside it (interleaved with the bare encode, so sizes measured in different
processes compare as ``encoded_retrieval_over_encode``: the issue's "query p50 at N chunks vs
at the seeds' size, same embedder" is ``encoded_retrieval_vs_seeds`` of the report).

Run one size by hand::

    python -m eval.bench.scale --chunks 10000 --out /tmp/scale-10k.json
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench import synthetic
from eval.bench.encoded import with_real_encode
from eval.bench.recall import gold_questions, pooled_piece_recall, signal_recall
from ingest.pipeline import run_ingest
from qa.index.hybrid import HybridIndex
from qa.service import AnswerService
from qa.settings import Settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SEED_CHUNKS = 120  # chunks of the five seed pages with the default chunker
QUESTIONS = (
    "怎么激活医保码",
    "家庭共济怎么绑定家人",
    "合肥居民医保一年交多少钱",
    "换参保地要带什么材料",
    "错过了居民医保缴费期怎么办",
    "医保卡丢了怎么办",
)
REFUSED = "北京门诊报销起付线是多少"  # answered by no page: the refusal path, suggestions included
STORES = ("local", "milvus")


def _status_mb(status: Path, key: str = "VmHWM") -> float | None:
    """``key`` (kB) of a ``/proc/<pid>/status`` file in MB, or None."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` from ``/proc/self/status`` where there is one: ``ru_maxrss`` survives
    ``execve`` on Linux, so a child of a big process (``yibao bench`` with the model loaded)
    would report its parent's peak instead of its own.
    """
    peak = _status_mb(Path("/proc/self/status"))
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def write_corpus(folder: Path, chunks: int, seeds: Path = ROOT / "corpus") -> int:
    """Variants of the seed pages (``eval.bench.synthetic``), about ``chunks`` chunks in all;
    returns the file count."""
    return synthetic.write_corpus(folder, max(1, round(chunks / SEED_CHUNKS)), seeds)


def _settings(data: Path, corpus: Path, uri: str = "") -> Settings:
    return Settings(
        _env_file=None,
        embedder="fake",
        fake_dim=384,
        data_dir=data,
        corpus_dir=corpus,
        store="milvus" if uri else "local",
        milvus_uri=uri,
        milvus_collection="bench",
    )


@contextmanager
def milvus_server(folder: Path) -> Iterator[tuple[str, Path]]:
    """A Milvus Lite server process over ``folder``: ``(uri, its /proc status file)``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder)]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Milvus Lite server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", Path(f"/proc/{server.pid}/status")
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_ingest_phase(data: Path, corpus: Path, uri: str = "") -> dict[str, Any]:
    started = time.perf_counter()
    report = run_ingest(_settings(data, corpus, uri), rebuild=True)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (data / "index").rglob("*") if p.is_file())
    return {
        "files": report.files,
        "chunks": report.chunks,
        "ingest_seconds": round(seconds, 2),
        "ingest_chunks_per_s": round(report.chunks / max(seconds, 1e-9), 1),
        "ingest_peak_rss_mb": round(_peak_mb(), 1),
        "index_bytes": size,
        "index_bytes_per_chunk": round(size / max(report.chunks, 1), 1),
    }


def run_query_phase(data: Path, corpus: Path, repeat: int, uri: str = "") -> dict[str, Any]:
    before = _peak_mb()
    started = time.perf_counter()
    service = AnswerService.load(_settings(data, corpus, uri))
    load_seconds = time.perf_counter() - started
    service.ask(QUESTIONS[0])  # jieba and caches warm
    answer_ms, retrieval_ms, refusal_ms = [], [], []
    for _ in range(repeat):
        for question in QUESTIONS:
            t = time.perf_counter_ns()
            service.retriever.retrieve(service.understand(question))
            retrieval_ms.append((time.perf_counter_ns() - t) / 1e6)
            t = time.perf_counter_ns()
            service.ask(question)
            answer_ms.append((time.perf_counter_ns() - t) / 1e6)
        t = time.perf_counter_ns()
        refused = service.ask(REFUSED)
        refusal_ms.append((time.perf_counter_ns() - t) / 1e6)
    serve_rss = _peak_mb()  # before the exact scans below
    index = service.retriever.index
    recall = (
        signal_recall(index, service.retriever.embedder, gold_questions())
        if isinstance(index, HybridIndex)
        else {}
    )
    if recall and service.retriever.settings.piece_search == "pool":
        recall["piece_pool"] = pooled_piece_recall(service.retriever, gold_questions())
    return with_real_encode(service, gold_questions()) | {
        "piece_search": service.retriever.settings.piece_search,
        "load_seconds": round(load_seconds, 2),
        "serve_rss_mb": round(serve_rss, 1),
        "rss_before_load_mb": round(before, 1),
        "retrieval_p50_ms": round(float(np.percentile(retrieval_ms, 50)), 2),
        "retrieval_p95_ms": round(float(np.percentile(retrieval_ms, 95)), 2),
        "answer_p50_ms": round(float(np.percentile(answer_ms, 50)), 2),
        "answer_p95_ms": round(float(np.percentile(answer_ms, 95)), 2),
        "refusal_p50_ms": round(float(np.percentile(refusal_ms, 50)), 2),
        "refused": bool(refused.refused),
        "recall_at_30": recall,  # per dense signal, gold questions, vs exact scans
    }


def _phases(data: Path, corpus: Path, repeat: int, uri: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for phase in ("ingest", "query"):
        command = [sys.executable, "-m", "eval.bench.scale", "--phase", phase]
        command += ["--data", str(data), "--corpus", str(corpus), "--repeat", str(repeat)]
        done = subprocess.run(
            [*command, "--uri", uri], cwd=ROOT, capture_output=True, text=True, check=True
        )
        out |= json.loads(done.stdout.strip().splitlines()[-1])
    return out


def measure(chunks: int, repeat: int = 5, store: str = "local") -> dict[str, Any]:
    """Both phases for one size and store, each in its own Python process."""
    work = Path(tempfile.mkdtemp(prefix=f"yibao-scale-{chunks}-"))
    try:
        corpus, data = work / "corpus", work / "data"
        files = write_corpus(corpus, chunks)
        out: dict[str, Any] = {"store": store, "target_chunks": chunks, "generated_files": files}
        if store == "local":
            return out | _phases(data, corpus, repeat, "")
        with milvus_server(work / "milvus") as (uri, status):
            out |= _phases(data, corpus, repeat, uri)
            out["milvus_server_peak_rss_mb"] = round(_status_mb(status) or 0.0, 1)
        stored = sum(p.stat().st_size for p in (work / "milvus").rglob("*") if p.is_file())
        return out | {
            "milvus_bytes": stored,
            "milvus_bytes_per_chunk": round(stored / out["chunks"]),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scale_report(
    sizes: list[int], repeat: int = 5, stores: tuple[str, ...] = ("local",)
) -> dict[str, Any]:
    """The seeds' own size first, then each of ``sizes``, for each store; ratios of query p50
    to the same store's at the seeds' size."""
    rows = [measure(n, repeat, store) for n in [SEED_CHUNKS, *sizes] for store in stores]
    base = {r["store"]: r["retrieval_p50_ms"] for r in rows if r["target_chunks"] == SEED_CHUNKS}
    return {
        "embedder": "fake (hashed character bigrams), 384-d",
        "stores": list(stores),
        "sizes": rows,
        "retrieval_p50_vs_seeds": {
            (str(r["chunks"]) if stores == ("local",) else f"{r['store']}:{r['chunks']}"): round(
                r["retrieval_p50_ms"] / base[r["store"]], 2
            )
            for r in rows
        },
        # (retrieval with the real encode / encode) at each size over the same at the seeds'
        "encoded_retrieval_vs_seeds": _encoded_ratios(rows, stores),
    }


def _encoded_ratios(rows: list[dict[str, Any]], stores: tuple[str, ...]) -> dict[str, float]:
    base = {
        r["store"]: r.get("encoded_retrieval_over_encode")
        for r in rows
        if r["target_chunks"] == SEED_CHUNKS
    }
    return {
        (str(r["chunks"]) if stores == ("local",) else f"{r['store']}:{r['chunks']}"): round(
            r["encoded_retrieval_over_encode"] / base[r["store"]], 2
        )
        for r in rows
        if r.get("encoded_retrieval_over_encode") and base.get(r["store"])
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--phase", choices=("ingest", "query"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", choices=STORES, default="local")
    parser.add_argument("--uri", default="", help="a Milvus URI (phases only); empty = local")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.phase == "ingest":
        print(json.dumps(run_ingest_phase(args.data, args.corpus, args.uri)))
    elif args.phase == "query":
        print(json.dumps(run_query_phase(args.data, args.corpus, args.repeat, args.uri)))
    else:
        result = measure(args.chunks, args.repeat, args.store)
        text = json.dumps(result, ensure_ascii=False, indent=2)
        if args.out:
            args.out.write_text(text + "\n", "utf-8")
        print(text)


if __name__ == "__main__":
    main()
