"""A damaged index: every on-disk corruption is one typed error, and ingestion heals it.

The matrix damages each file of a published version (truncated, emptied, garbled, removed,
plausible-but-wrong content) and checks that loading raises an ``IndexLoadError`` whose
Chinese message names the file, that ``is_stale`` reports the index stale and that the next
ingestion rebuilds a working index; plus leftovers of killed runs and concurrent ingestions.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import is_stale, run_ingest
from qa.index.hybrid import HybridIndex
from qa.index.lock import IndexBusyError, writer_lock
from qa.index.versions import IndexCorruptError, IndexLoadError, current_version
from qa.service import load_retriever
from tests.conftest import CORPUS, ROOT, make_settings


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garble_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[len(lines) // 2] = b'{"doc_id": 12, oops\n'
    path.write_bytes(b"".join(lines))


def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(7).bytes(4096))


def _invalid_utf8(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff\xfe\xfa" + data[100:])


def _invalid_utf8_inside(path: Path) -> None:  # a sound gzip stream of bad text
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:100] + b"\xff\xfe\xfa" + data[100:]))


def _remove(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() else path.unlink()


def _rows_out_of_range(path: Path) -> None:  # parses, but points at rows that do not exist
    array = np.load(path, allow_pickle=False)
    np.save(path, array + 10_000, allow_pickle=False)


def _gaps_out_of_range(path: Path) -> None:  # parses, but points at rows that do not exist
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["gaps"] = arrays["gaps"].astype(np.int64) + 10_000
    np.savez_compressed(path, **arrays)


def _span_out_of_range(path: Path) -> None:
    lines = path.read_text("utf-8").splitlines()
    record = json.loads(lines[0])
    record["end"] = 10**9
    path.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n", "utf-8")


def _bad_dim(path: Path) -> None:
    meta = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps(meta | {"dim": "many"}), "utf-8")


Damage = Callable[[Path], None]
MATRIX: list[tuple[str, Damage]] = [
    ("faiss.index", _truncate),
    ("faiss.index", _empty),
    ("faiss.index", _remove),
    ("chunks.jsonl", _garble_line),
    ("chunks.jsonl", _random_bytes),
    ("chunks.jsonl", _empty),
    ("chunks.jsonl", _span_out_of_range),
    ("meta.json", _random_bytes),
    ("meta.json", _bad_dim),
    ("documents.jsonl.gz", _invalid_utf8_inside),
    ("documents.jsonl.gz", _invalid_utf8),  # the compressed stream itself damaged
    ("documents.jsonl.gz", _truncate),
    ("documents.jsonl.gz", _remove),
    ("bm25", _remove),
    ("bm25/arrays.npz", _truncate),
    ("bm25/arrays.npz", _gaps_out_of_range),
    ("bm25/vocab.json", _truncate),
    ("title_bm25/arrays.npz", _random_bytes),
    ("title_vectors.faiss", _truncate),
    ("title_rows.npy", _rows_out_of_range),
    ("sentence_spans.npy", _truncate),
    ("sentence_keys.json", _remove),
    ("substrings/low.npy", _truncate),
    ("substrings/starts.npy", _random_bytes),
    ("substrings/keys.npy", _remove),
    ("../CURRENT", lambda path: path.write_text("nonsense\x00\n")),
    ("../CURRENT", _empty),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A data dir indexed once from the corpus (fake embedder); copied by each case."""
    root = tmp_path_factory.mktemp("pristine")
    run_ingest(make_settings(root))
    return root / "data"


@pytest.fixture
def damaged(request, pristine, tmp_path):
    """Settings over a copy of ``pristine`` with one file damaged as the case says."""
    name, damage = request.param
    settings = make_settings(tmp_path)
    shutil.copytree(pristine, settings.data_dir)
    damage(current_version(settings.index_dir) / name)
    return settings, name


def _case_id(case: tuple[str, Damage]) -> str:
    return f"{case[0]}-{case[1].__name__ if case[1].__name__ != '<lambda>' else 'garbage'}"


@pytest.mark.parametrize("damaged", MATRIX, ids=[_case_id(c) for c in MATRIX], indirect=True)
def test_a_damaged_file_is_one_typed_error_and_the_next_ingest_rebuilds(damaged):
    settings, name = damaged
    with pytest.raises(IndexLoadError) as raised:
        HybridIndex.load(settings.index_dir)
    message = str(raised.value)
    assert "yibao ingest" in message and "Traceback" not in message
    named = Path(name).parts[-1] if name.startswith("..") else Path(name).parts[0]
    assert named.split("_")[0] in message  # names the file (or its folder / family)
    assert is_stale(settings)
    report = run_ingest(settings)  # what `yibao ingest --if-stale` / `make serve` run
    assert not report.up_to_date and report.chunks > 0
    retriever = load_retriever(settings)
    assert retriever.search("异地就医怎么备案", top_k=3)


ANN_MATRIX: list[tuple[str, Damage]] = [
    ("faiss.index", _truncate),
    ("faiss.index", _random_bytes),
    ("sentence_vectors.faiss", _truncate),
    ("title_vectors.faiss", _empty),
]


@pytest.fixture(scope="module")
def pristine_ann(tmp_path_factory) -> Path:
    """Like ``pristine``, with every vector store an HNSW graph (memory-mapped on load)."""
    from qa.index import vectorstore

    root = tmp_path_factory.mktemp("pristine-ann")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vectorstore, "ANN_MIN_ROWS", 1)
        patch.setattr(vectorstore, "ANN_MAX_VISITED", float("inf"))
        run_ingest(make_settings(root))
    return root / "data"


@pytest.mark.parametrize("case", ANN_MATRIX, ids=[_case_id(c) for c in ANN_MATRIX])
def test_a_damaged_hnsw_store_is_one_typed_error_and_the_next_ingest_rebuilds(
    case, pristine_ann, tmp_path
):
    name, damage = case
    settings = make_settings(tmp_path)
    shutil.copytree(pristine_ann, settings.data_dir)
    damage(current_version(settings.index_dir) / name)
    with pytest.raises(IndexLoadError, match=name.split("_")[0]):
        HybridIndex.load(settings.index_dir)
    assert is_stale(settings)
    assert run_ingest(settings).chunks > 0
    assert load_retriever(settings).search("异地就医怎么备案", top_k=3)


def test_corrupt_error_names_the_damaged_file(pristine, tmp_path):
    settings = make_settings(tmp_path)
    shutil.copytree(pristine, settings.data_dir)
    target = current_version(settings.index_dir) / "documents.jsonl.gz"
    _invalid_utf8_inside(target)
    with pytest.raises(IndexCorruptError) as raised:
        HybridIndex.load(settings.index_dir)
    assert raised.value.path == target and str(target) in str(raised.value)
    assert "UTF-8" in str(raised.value)


@pytest.mark.parametrize("command", [["search", "医保码"], ["ask", "医保码怎么激活"]])
def test_cli_reports_a_damaged_index_without_a_traceback(pristine, tmp_path, monkeypatch, command):
    from typer.testing import CliRunner

    from api.cli.main import app

    settings = make_settings(tmp_path)
    shutil.copytree(pristine, settings.data_dir)
    _truncate(current_version(settings.index_dir) / "faiss.index")
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "索引文件损坏" in result.output and "faiss.index" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_if_stale_ingest_rebuilds_a_damaged_index(pristine, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli.main import app

    settings = make_settings(tmp_path)
    shutil.copytree(pristine, settings.data_dir)
    _garble_line(current_version(settings.index_dir) / "chunks.jsonl")
    monkeypatch.setenv("YIBAO_EMBEDDER", "fake")
    monkeypatch.setenv("YIBAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("YIBAO_CORPUS_DIR", str(CORPUS))
    result = CliRunner().invoke(app, ["ingest", "--if-stale"])
    assert result.exit_code == 0, result.output
    assert HybridIndex.load(settings.index_dir).chunks


def test_leftovers_of_a_killed_run_are_removed_by_the_next_ingest(fake_settings):
    run_ingest(fake_settings)
    root = fake_settings.index_dir
    (root / ".tmp-20260101T000000-dead00").mkdir()
    (root / ".tmp-20260101T000000-dead00" / "faiss.index").write_bytes(b"half")
    (root / ".CURRENT.abc123").write_text("v-x\n")
    run_ingest(fake_settings)  # up to date: nothing re-published, leftovers still removed
    assert not [p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".CURRENT."))]


def test_a_second_ingest_waits_for_the_first(fake_settings):
    run_ingest(fake_settings)
    holder_ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(fake_settings.index_dir, timeout=5):
            holder_ready.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holder_ready.wait(5)
    busy = fake_settings.model_copy(update={"ingest_lock_wait": 0})
    with pytest.raises(IndexBusyError, match="另一个建索引进程"):
        run_ingest(busy, rebuild=True)
    before = current_version(fake_settings.index_dir)
    threading.Timer(0.5, release.set).start()
    report = run_ingest(fake_settings, rebuild=True)  # waits for the holder, then runs
    holder.join()
    assert report.embedded > 0 and current_version(fake_settings.index_dir) != before


CONCURRENT_INGEST = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ingest.pipeline import run_ingest
    from qa.settings import Settings

    settings = Settings(_env_file=None, embedder="fake", data_dir=Path(sys.argv[1]),
                        corpus_dir=Path(sys.argv[2]))
    report = run_ingest(settings, rebuild=True)
    print("OK", report.chunks, flush=True)
    """
)


def test_concurrent_ingest_processes_both_finish_and_leave_one_good_index(fake_settings):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", CONCURRENT_INGEST, str(fake_settings.data_dir), str(CORPUS)]
    procs = [
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert out.decode().startswith("OK")
    root = fake_settings.index_dir
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]
    assert len(HybridIndex.load(root).chunks) > 0
