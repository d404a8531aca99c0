"""Adding, changing and removing a source on the Milvus store rewrites only that source's rows,
and a query never sees a half-written state (milvus-lite, fake embedder)."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

import qa.stores.milvus_manifest as manifests  # noqa: E402
import qa.stores.milvus_write as writing  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from qa.index.hybrid import HybridIndex  # noqa: E402
from qa.index.versions import IndexNotFoundError  # noqa: E402
from qa.retrieval.question import understand  # noqa: E402
from qa.stores.factory import catch_up_store  # noqa: E402
from qa.stores.local import LocalStore  # noqa: E402
from qa.stores.milvus import MilvusBusyError, MilvusStore, connect  # noqa: E402
from tests.conftest import CORPUS, make_settings, rules_only_settings  # noqa: E402

QUESTIONS = [
    "怎么激活医保码",
    "异地就医备案需要什么材料",
    "医保卡丢了怎么补办",
    "门诊慢特病怎么申请",
]


def _rows(settings) -> dict[int, tuple[str, int]]:
    """Every row of the live chunk collection (dead batches included): row → (source, batch)."""
    client = connect(settings.milvus_target)
    try:
        found = client.query("chunks", filter="row >= 0", output_fields=["source", "batch"])
        return {int(r["row"]): (r["source"], int(r["batch"])) for r in found}
    finally:
        client.close()


def _ingested_copy(tmp_path):
    """A copy of the corpus (to change) ingested into the Milvus store: (corpus, settings)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(
        tmp_path, store="milvus", milvus_collection="chunks", corpus_dir=corpus
    )
    run_ingest(settings)
    return corpus, settings


def _open(settings) -> MilvusStore:
    return MilvusStore.open(settings.milvus_target, "", "chunks")


def test_a_changed_source_rewrites_only_its_rows(tmp_path, monkeypatch):
    corpus, settings = _ingested_copy(tmp_path)
    before = _rows(settings)
    first = _open(settings)
    gone = "003_f38d73674fa39f0d.txt"
    assert gone in {source for source, _ in before.values()}
    saved = (corpus / gone).read_bytes()

    # Remove one source: the others' rows stay as they were, with their batches.
    (corpus / gone).unlink()
    seen_before_switch = []
    real_publish = writing._Writer.publish

    def checked_publish(self):  # the new rows are in, no manifest names them yet
        probe = _open(settings)
        try:
            seen_before_switch.append(({c.source for c in probe.chunks}, len(probe.chunks)))
        finally:
            probe.close()
        real_publish(self)

    monkeypatch.setattr(writing._Writer, "publish", checked_publish)
    run_ingest(settings)
    after = _rows(settings)
    kept = {row: v for row, v in before.items() if v[0] != gone}
    assert {row: after[row] for row in kept} == kept  # untouched
    assert seen_before_switch == [({s for s, _ in before.values()}, len(before))]
    second = _open(settings)
    local = LocalStore(HybridIndex.load(settings.index_dir))
    assert {c.source for c in second.chunks} == {s for s, _ in kept.values()}
    assert len(second.chunks) == len(local.chunks) == len(kept)
    assert {d.doc_id for d in second.documents} == {d.doc_id for d in local.documents}
    for question in QUESTIONS:  # IDF is exact; length normalisation is the earlier corpus's
        q = understand(question)
        ours = local.lexical_top("text", q.terms, [], 0.0, 5, 0.5)
        theirs = second.lexical_top("text", q.terms, [], 0.0, 5, 0.5)
        assert [local.chunk(r).chunk_id for r, _ in ours][:1] == [
            second.chunk(r).chunk_id for r, _ in theirs
        ][:1], question
    # A store opened before the change still answers from every source it knew.
    assert gone in {
        first.chunk(r).source for r, _ in first.lexical_top("title", ["医保"], [], 0, 200)
    }
    assert gone not in {
        second.chunk(r).source for r, _ in second.lexical_top("title", ["医保"], [], 0, 200)
    }

    # Put it back: a new batch for it alone; the batch removed last time is deleted now.
    (corpus / gone).write_bytes(saved)
    run_ingest(settings)
    third = _rows(settings)
    assert {row: third[row] for row in kept} == kept
    assert not set(third) & {row for row, v in before.items() if v[0] == gone}
    assert {v for row, v in third.items() if row not in kept} == {
        (gone, max(b for _, b in third.values()))
    }
    for store in (first, second):
        store.close()
    fresh = _open(settings)
    try:
        assert len(fresh.chunks) == len(before)
        assert fresh.manifest.gen == 3
    finally:
        fresh.close()


def test_a_store_frees_its_client_when_collected(tmp_path):
    settings = make_settings(tmp_path, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    store = _open(settings)
    closer = store._closer
    assert closer.alive
    del store
    gc.collect()
    assert not closer.alive


def test_another_process_holding_the_file_gets_a_chinese_message(tmp_path, caplog):
    db = tmp_path / "held.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import sys, time
                from pymilvus import MilvusClient
                MilvusClient({str(db)!r})
                print("held", flush=True)
                sys.stdin.read()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(MilvusBusyError, match="正被另一个进程使用"):
            connect(str(db))
        assert not [r for r in caplog.records if r.name.startswith("milvus_lite")]  # no trace
        settings = make_settings(tmp_path, store="milvus", milvus_uri=str(db))
        with pytest.raises(MilvusBusyError):  # before any embedding or saving
            run_ingest(settings)
        assert not (settings.index_dir / "CURRENT").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_an_up_to_date_local_index_is_written_to_milvus_once(tmp_path):
    local = make_settings(tmp_path)
    run_ingest(local)  # the local store only
    settings = local.model_copy(update={"store": "milvus", "milvus_collection": "chunks"})
    assert run_ingest(settings).up_to_date  # nothing to rebuild, but Milvus was empty
    store = _open(settings)
    try:
        assert store.version == HybridIndex.load(settings.index_dir).version
        assert len(store.chunks) == len(HybridIndex.load(settings.index_dir).chunks)
    finally:
        store.close()
    assert catch_up_store(settings) is False  # already there


def test_records_are_fetched_on_demand_through_a_bounded_cache(tmp_path, monkeypatch):
    import qa.stores.milvus as module

    settings = make_settings(tmp_path, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    local = LocalStore(HybridIndex.load(settings.index_dir))
    monkeypatch.setattr(module, "CHUNK_CACHE", 8)
    store = _open(settings)
    try:
        assert len(store._chunks) == 0  # opening reads no chunk
        for question in QUESTIONS:
            q = understand(question)
            store.lexical_top("text", q.terms, [], 0.0, 20)
            assert len(store._chunks) <= 8
        rows = range(0, len(local.chunks), 7)
        assert [store.chunk(r) for r in rows] == [local.chunk(r) for r in rows]  # refetched
        assert len(store._chunks) <= 8
        with ThreadPoolExecutor(4) as pool:  # request threads share one store and its caches
            got = list(pool.map(store.chunk, list(range(len(local.chunks))) * 2))
        assert got == [local.chunk(r) for r in range(len(local.chunks))] * 2
        assert len(store._chunks) <= 8
    finally:
        store.close()


def test_a_write_that_died_leaves_nothing_visible_and_is_cleaned_up(tmp_path, monkeypatch):
    corpus, settings = _ingested_copy(tmp_path)
    n = len(_rows(settings))
    changed = corpus / "003_f38d73674fa39f0d.txt"  # 11 of 120 chunks: an incremental write
    changed.write_text(changed.read_text("utf-8").replace("医保", "医疗保障", 1), "utf-8")

    def die(self):
        raise RuntimeError("killed before the switch")

    monkeypatch.setattr(writing._Writer, "publish", die)
    with pytest.raises(RuntimeError):
        run_ingest(settings)
    assert len(_rows(settings)) > n  # the dead write's rows are there…
    store = _open(settings)
    try:  # …but no query sees them
        assert len(list(store.chunks)) == len(store.chunks) == n
    finally:
        store.close()
    monkeypatch.undo()
    run_ingest(settings)  # local is up to date; Milvus catches up, clearing the leftovers
    local = HybridIndex.load(settings.index_dir)
    store = _open(settings)
    try:
        assert store.version == local.version
        assert sorted(c.chunk_id for c in store.chunks) == sorted(c.chunk_id for c in local.chunks)
        live = set(store.manifest.batches())
        rows = _rows(settings)
        dead = {row for row, (_, batch) in rows.items() if batch not in live}
        assert len(rows) - len(dead) == len(local.chunks)  # no duplicate, no leftover row
        assert all(rows[row][0] == changed.name for row in dead)  # only the retired batch
    finally:
        store.close()


def test_the_same_content_under_a_new_local_version_is_named_live(tmp_path):
    settings = make_settings(tmp_path, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    index = HybridIndex.load(settings.index_dir)
    rows = _rows(settings)
    assert MilvusStore.write(index, settings.milvus_target, "", "chunks", "v-next") == "unchanged"
    assert _rows(settings) == rows  # nothing rewritten
    store = _open(settings)
    try:  # a server compares this with CURRENT: it must not look stale forever
        assert store.version == "v-next"
        assert len(store.chunks) == len(index.chunks)
    finally:
        store.close()


def test_collections_of_the_first_layout_are_refused_and_replaced(tmp_path):
    from pymilvus import DataType

    settings = make_settings(tmp_path, store="milvus", milvus_collection="chunks")
    client = connect(settings.milvus_target)
    try:  # what the first slice wrote: records without name, batch or manifests
        for name in ("chunks", "chunks_pieces", "chunks_records"):
            schema = client.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)
            params = client.prepare_index_params()
            params.add_index("vector", metric_type="IP", index_type="FLAT")
            client.create_collection(name, schema=schema, index_params=params)
    finally:
        client.close()
    with pytest.raises(IndexNotFoundError, match="旧格式"):
        _open(settings)
    run_ingest(settings)  # a full write replaces them behind aliases
    store = _open(settings)
    try:
        assert len(store.chunks) == len(HybridIndex.load(settings.index_dir).chunks)
    finally:
        store.close()


def test_a_reload_frees_the_replaced_stores_client(tmp_path):
    from api.state import ServiceState
    from qa.embedders.fake import FakeEmbedder
    from qa.service import AnswerService

    settings = rules_only_settings(tmp_path, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    state = ServiceState(settings, lambda s: AnswerService.load(s, FakeEmbedder()))
    state.start_loading().join()
    closer = state.service.retriever.store._closer
    assert closer.alive and state.service.ask("怎么激活医保码").citations
    state.swap(AnswerService.load(settings, FakeEmbedder()))  # what a reload does
    assert not closer.alive  # the old client is closed once the old service is gone
    assert state.service.ask("怎么激活医保码").citations  # the new one answers


def test_a_manifest_longer_than_one_varchar_is_written_in_parts(tmp_path, monkeypatch):
    """Thousands of sources make the manifest longer than one VARCHAR (65 535 bytes): its parts
    are written first and the one small manifest row still switches (found at 10k chunks)."""
    monkeypatch.setattr(manifests, "PART_CHARS", 300)  # the corpus's manifest: many parts
    settings = make_settings(tmp_path, store="milvus", milvus_collection="chunks")
    run_ingest(settings)
    client = connect(settings.milvus_target)
    try:
        found = client.query(
            "chunks_records", filter='name == "manifest-part"', output_fields=["key"]
        )
        head = client.query("chunks_records", filter='name == "manifest"', output_fields=["record"])
    finally:
        client.close()
    assert len(found) > 1 and len(head) == 1 and len(head[0]["record"]) < 300
    store = _open(settings)
    try:
        local = HybridIndex.load(settings.index_dir)
        assert store.version == local.version and len(store.chunks) == len(local.chunks)
        hits = store.lexical_top("text", understand(QUESTIONS[0]).terms, [], 0.0, 3, 0.0)
        assert hits and store.chunk(hits[0][0]).text
    finally:
        store.close()


def test_a_milvus_lite_client_pings_only_while_calling(tmp_path, monkeypatch):
    """milvus-lite's server allows one ping per 5 minutes without calls; pymilvus's default
    (every 10 s) got idle test-session clients a GOAWAY "too_many_pings" and every later
    connect to that file failed (CI, 59 setup errors)."""
    import pymilvus.client.grpc_handler as grpc_handler

    seen = []
    create = grpc_handler.GrpcHandler._create_grpc_channel

    def spy(self, *args, **kwargs):
        seen.append(dict(self._grpc_options))
        return create(self, *args, **kwargs)

    monkeypatch.setattr(grpc_handler.GrpcHandler, "_create_grpc_channel", spy)
    client = connect(str(tmp_path / "pings.db"))
    client.close()
    assert seen and seen[0]["grpc.keepalive_permit_without_calls"] == 0
    assert seen[0]["grpc.keepalive_time_ms"] >= 300_000
