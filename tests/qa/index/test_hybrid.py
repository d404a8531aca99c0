"""Index round-trip, model/format refusal, atomic publication and crash safety."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from qa.index.hybrid import FORMAT_VERSION, HybridIndex
from qa.index.versions import IndexMismatchError, IndexNotFoundError, current_version
from qa.service import load_retriever
from qa.stores.local import LocalStore
from tests.conftest import ROOT, make_settings


def test_round_trip_preserves_chunks_documents_and_vectors(fake_settings):
    run_ingest(fake_settings)
    index = HybridIndex.load(fake_settings.index_dir, model_id="fake-char-bigram-256")
    assert index.meta.format_version == FORMAT_VERSION
    assert index.meta.n_chunks == len(index.chunks) == index.vectors.ntotal
    assert len(index.documents) == index.meta.n_documents > 0
    # row i of FAISS is chunk i: its stored vector is closest to itself
    row = len(index.chunks) // 2
    _, ids = index.vectors.search(index.vector_of(row).reshape(1, -1), 1)
    assert ids[0][0] == row
    folder = current_version(fake_settings.index_dir)
    names = {p.name for p in folder.iterdir()}
    assert {"meta.json", "chunks.jsonl", "documents.jsonl.gz", "faiss.index", "bm25"} <= names
    # plain files only: nothing that needs pickle to read
    assert not list(folder.rglob("*.pkl")) and not list(folder.rglob("*.pickle"))
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    assert meta["model_id"] == "fake-char-bigram-256" and meta["dim"] == 256
    assert meta["chunk_size"] == fake_settings.chunk_size and len(meta["corpus_hash"]) == 64


def test_load_refuses_other_model_with_rebuild_hint(fake_settings):
    run_ingest(fake_settings)
    with pytest.raises(IndexMismatchError, match="yibao ingest --rebuild"):
        HybridIndex.load(fake_settings.index_dir, model_id="bundled:multilingual-e5-small")
    # the service refuses before loading any model
    with pytest.raises(IndexMismatchError):
        load_retriever(make_settings(fake_settings.data_dir.parent, fake_dim=128))


def test_load_refuses_other_format_version(fake_settings):
    run_ingest(fake_settings)
    meta_path = current_version(fake_settings.index_dir) / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["format_version"] = FORMAT_VERSION + 1
    meta_path.write_text(json.dumps(meta), "utf-8")
    with pytest.raises(IndexMismatchError, match="格式版本"):
        HybridIndex.load(fake_settings.index_dir)


def test_a_format_6_index_is_refused_and_the_next_ingest_rebuilds_it(fake_settings):
    """Format 6 had no ``link_titles`` (a page's title-only link list): this code says to
    rebuild; ``is_stale`` agrees; the rebuilt index holds the 23 titles of seed 003's list."""
    from ingest.pipeline import is_stale

    run_ingest(fake_settings)
    folder = current_version(fake_settings.index_dir)
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    (folder / "meta.json").write_text(json.dumps(meta | {"format_version": 6}), "utf-8")
    with pytest.raises(IndexMismatchError, match="yibao ingest --rebuild"):
        HybridIndex.load(fake_settings.index_dir)
    assert is_stale(fake_settings)
    assert not run_ingest(fake_settings).up_to_date
    index = HybridIndex.load(fake_settings.index_dir)
    assert index.meta.format_version == FORMAT_VERSION == 7
    assert len(index.link_titles) == 23 and index.link_titles[0].regions == ("郑州",)
    assert not [d for d in index.documents if d.kind == "link"]


def test_missing_index_says_how_to_build(fake_settings):
    with pytest.raises(IndexNotFoundError, match="yibao ingest"):
        HybridIndex.load(fake_settings.index_dir)


def test_new_version_replaces_old_keeps_the_previous_and_prunes_older(fake_settings):
    run_ingest(fake_settings)
    first = current_version(fake_settings.index_dir)
    run_ingest(fake_settings, rebuild=True)
    second = current_version(fake_settings.index_dir)
    assert first != second and second.exists()
    assert first.exists()  # a reader that read CURRENT just before the switch can still open it
    run_ingest(fake_settings, rebuild=True)
    third = current_version(fake_settings.index_dir)
    assert third not in (first, second) and not first.exists() and second.exists()


SLOW_INGEST = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path

    # A child of a background job starts with SIGINT ignored: say what Ctrl-C does here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ingest.pipeline import run_ingest
    from qa.embedders.fake import FakeEmbedder
    from qa.settings import Settings

    class SlowEmbedder(FakeEmbedder):
        def embed_passages(self, texts):
            print("EMBEDDING", flush=True)
            time.sleep(0.5)
            return super().embed_passages(texts)

    settings = Settings(_env_file=None, embedder="fake", data_dir=Path(sys.argv[1]),
                        embedding_batch_size=2)
    run_ingest(settings, embedder=SlowEmbedder(), paths=[Path(sys.argv[2])], rebuild=True)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_ingest_leaves_previous_index_usable(fake_settings, sig):
    run_ingest(fake_settings)
    before = current_version(fake_settings.index_dir)
    n_before = len(HybridIndex.load(fake_settings.index_dir).chunks)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_INGEST, str(fake_settings.data_dir), str(ROOT / "corpus")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "EMBEDDING"  # mid-way through embedding
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert "FINISHED" not in proc.stdout.read()
    assert proc.returncode != 0
    assert current_version(fake_settings.index_dir) == before
    retriever = load_retriever(fake_settings)
    assert len(retriever.index.chunks) == n_before
    assert retriever.search("怎么激活医保码", top_k=3)


def test_crash_between_write_and_publish_keeps_old_version(fake_settings, monkeypatch):
    run_ingest(fake_settings)
    before = current_version(fake_settings.index_dir)
    import qa.index.versions as index_module

    def boom(root, name):
        raise OSError("disk full")

    monkeypatch.setattr(index_module, "_publish", boom)
    with pytest.raises(OSError):
        run_ingest(fake_settings, rebuild=True)
    monkeypatch.undo()
    assert current_version(fake_settings.index_dir) == before
    assert HybridIndex.load(fake_settings.index_dir).chunks
    # the next successful run cleans up whatever the crash left behind
    run_ingest(fake_settings, rebuild=True)
    folders = sorted(p.name for p in fake_settings.index_dir.iterdir() if p.is_dir())
    assert folders == sorted({before.name, current_version(fake_settings.index_dir).name})


def test_index_is_not_pickle(fake_settings):
    run_ingest(fake_settings)
    folder = current_version(fake_settings.index_dir)
    for path in Path(folder).rglob("*.npy"):
        with open(path, "rb") as fh:
            header = fh.read(128)
        assert b"'descr': '|O'" not in header, f"{path} holds Python objects"


def test_an_index_with_hnsw_stores_round_trips_and_ranks_as_the_exact_one(
    fake_settings, monkeypatch
):
    """From ``ANN_MIN_ROWS`` rows (format 5 on): HNSW stores, 8-bit pieces, chunks without the
    fields their document holds; loaded, it serves the same chunks and near-same rankings."""
    from qa.index import vectorstore

    run_ingest(fake_settings)
    exact = HybridIndex.load(fake_settings.index_dir)
    monkeypatch.setattr(vectorstore, "ANN_MIN_ROWS", 1)  # every store becomes a graph
    monkeypatch.setattr(vectorstore, "ANN_MAX_VISITED", float("inf"))  # and stays one
    run_ingest(fake_settings, rebuild=True)  # pooled piece search: no piece graph at any size
    assert not vectorstore.is_ann(HybridIndex.load(fake_settings.index_dir).sentences.vectors)
    fake_settings = fake_settings.model_copy(update={"piece_search": "global"})
    run_ingest(fake_settings, rebuild=True)
    index = HybridIndex.load(fake_settings.index_dir)
    assert vectorstore.is_ann(index.vectors) and vectorstore.is_ann(index.sentences.vectors)
    assert vectorstore.is_ann(index.titles.vectors)
    assert index.chunks == exact.chunks  # source, kind, date and text come from documents
    record = json.loads(
        (current_version(fake_settings.index_dir) / "chunks.jsonl")
        .read_text("utf-8")
        .split("\n")[0]
    )
    assert not {"text", "source", "kind", "date"} & set(record)
    query = exact.vector_of(7)
    for field in ("passage", "title", "piece"):
        ann = load_retriever(fake_settings).store.dense_top(field, query, 10)
        flat = LocalStore(exact).dense_top(field, query, 10)
        assert len({r for r, _ in ann} & {r for r, _ in flat}) >= 9, field
