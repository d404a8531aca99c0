"""The synthetic-corpus side of `yibao bench` (`--chunks`): real subprocesses, small sizes."""

from __future__ import annotations

import pytest

from eval.bench.scale import ROOT, SEED_CHUNKS, measure, scale_report, write_corpus
from eval.bench.synthetic import duplicate_share
from ingest.chunking import chunk_documents
from ingest.loaders import load_paths
from qa.settings import Settings


def test_the_synthetic_corpus_parses_like_the_seeds(tmp_path):
    files = write_corpus(tmp_path / "c", 3 * SEED_CHUNKS)
    assert files == 15
    paths = sorted((tmp_path / "c").iterdir())
    texts = [p.read_text("utf-8") for p in paths]
    assert len(set(texts)) == 15  # every copy differs
    assert texts[0] == (ROOT / "corpus" / paths[0].name[6:]).read_text("utf-8")  # copy 0: seeds
    assert "健康新闻 2025-" in texts[-1] and "相关推荐" in texts[-1]  # the layout is kept
    settings = Settings(_env_file=None, embedder="fake", data_dir=tmp_path / "d")
    loaded = load_paths([tmp_path / "c"], settings.max_file_bytes)
    chunks = chunk_documents(loaded.documents, settings.chunk_size, settings.chunk_overlap)
    assert 0.8 * 3 * SEED_CHUNKS <= len(chunks) <= 1.2 * 3 * SEED_CHUNKS


def test_near_duplicate_chunks_are_rare_in_the_synthetic_corpus(tmp_path):
    """Copies of the seeds would all be near-duplicates; the variants almost never are."""
    write_corpus(tmp_path / "c", 6 * SEED_CHUNKS)
    settings = Settings(_env_file=None, embedder="fake", data_dir=tmp_path / "d")
    loaded = load_paths([tmp_path / "c"], settings.max_file_bytes)
    chunks = chunk_documents(loaded.documents, settings.chunk_size, settings.chunk_overlap)
    texts = [c.text for c in chunks if len(c.text) >= 100]  # headings repeat, as in real pages
    assert duplicate_share(texts, settings.duplicate_jaccard) <= 0.05
    copies = [t for t in texts for _ in range(2)]  # the old corpus: every text twice
    assert duplicate_share(copies, settings.duplicate_jaccard) == 1.0


def test_one_size_is_ingested_and_queried_in_their_own_processes():
    row = measure(2 * SEED_CHUNKS, repeat=1)
    assert 0.9 * 2 * SEED_CHUNKS <= row["chunks"] <= 1.1 * 2 * SEED_CHUNKS
    assert row["files"] == row["generated_files"] == 10
    assert row["index_bytes"] > 0 and row["ingest_peak_rss_mb"] > 0
    assert row["refused"] is True  # the refusal question is refused at any size
    assert 0 < row["retrieval_p50_ms"] <= row["retrieval_p95_ms"]


def test_the_report_compares_each_size_with_the_seeds():
    report = scale_report([2 * SEED_CHUNKS], repeat=1)
    seeds, bigger = report["sizes"]
    assert seeds["chunks"] < bigger["chunks"]
    assert set(report["retrieval_p50_vs_seeds"]) == {str(seeds["chunks"]), str(bigger["chunks"])}
    assert report["retrieval_p50_vs_seeds"][str(seeds["chunks"])] == 1.0
    # the real encoder inside retrieval (installed by make model): never faster than its encode
    for row in (seeds, bigger):
        assert row["encoded_retrieval_p50_ms"] > 0.5 * row["encode_p50_ms"] > 0
        assert row["encoded_retrieval_over_encode"] > 0.5
    assert report["encoded_retrieval_vs_seeds"][str(seeds["chunks"])] == 1.0
    assert str(bigger["chunks"]) in report["encoded_retrieval_vs_seeds"]


def test_peak_memory_is_this_process_own(tmp_path):
    """A child of a big process reports its own peak, not the parent's (ru_maxrss would)."""
    import json
    import subprocess
    import sys

    code = "import json; from eval.bench.scale import _peak_mb; print(json.dumps(_peak_mb()))"
    ballast = bytearray(400 * 1024 * 1024)  # the parent grows by 400 MB
    ballast[::4096] = b"x" * len(ballast[::4096])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) < 300  # a bare interpreter + numpy, far below the parent
    del ballast


def test_the_milvus_store_is_measured_on_its_own_server_process():
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    report = scale_report([], repeat=1, stores=("milvus",))
    (row,) = report["sizes"]
    assert report["stores"] == ["milvus"]
    assert report["retrieval_p50_vs_seeds"] == {f"milvus:{row['chunks']}": 1.0}
    assert row["store"] == "milvus" and row["refused"] is True
    assert 0.9 * SEED_CHUNKS <= row["chunks"] <= 1.1 * SEED_CHUNKS
    assert row["milvus_bytes"] > 0 and row["milvus_bytes_per_chunk"] > 0
    # the server's memory is its own: not counted in the yibao (client) process
    assert row["milvus_server_peak_rss_mb"] > 0 and row["serve_rss_mb"] > 0
    assert 0 < row["retrieval_p50_ms"] <= row["retrieval_p95_ms"]
    assert row["ingest_chunks_per_s"] > 0
