"""A server on the Milvus store (milvus-lite) keeps answering while a re-ingest writes a new
version, then serves it; its watcher follows the collection alias, not the local ``CURRENT``.

milvus-lite lets one process open a database file: a running ``yibao serve`` holds it, so the
re-ingest here runs inside the server (``POST /api/admin/reindex``, as an upload does), and
the "other writer" of the watcher test is this same process. On a Milvus server or cluster
(``http://…``) a separate ``yibao ingest`` (another process or machine) does the write and
every server's watcher picks it up the same way — that path is tested here only through
milvus-lite (README, "Milvus in production").
"""

from __future__ import annotations

import re
import shutil
import threading
import time

import httpx
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from api.app import create_app  # noqa: E402
from api.state import ServiceState  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from qa.answering.disclaimer import DISCLAIMER  # noqa: E402
from qa.index.versions import live_name  # noqa: E402
from qa.service import AnswerService  # noqa: E402
from qa.stores.factory import served_version  # noqa: E402
from qa.stores.milvus import MilvusStore  # noqa: E402
from tests.api.routes.admin.support import ADMIN, QINGKE_MD, QINGKE_QUESTION  # noqa: E402
from tests.api.support import api_settings  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

OLD_QUESTION = "医保码怎么激活"
SEED = "000_6efac6a7bac98b9c.txt"  # the seed page that answers it


def _milvus_settings(tmp_path, **overrides):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(CORPUS / SEED, pages / SEED)  # one seed page: a smaller, faster index
    settings = api_settings(tmp_path, store="milvus", milvus_collection="live", **overrides)
    run_ingest(settings, paths=[pages])  # the published knowledge base: this folder
    return settings, pages


def _valid_cited_answer(body: dict) -> None:
    """Every ``[n]`` resolves to citation n, numbered 1..k, each with a quote; disclaimer last."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    numbers = [c["n"] for c in body["citations"]]
    assert numbers == list(range(1, len(numbers) + 1)) and markers == set(numbers), body
    assert all(c["quote"] for c in body["citations"]), body
    assert body["answer"].endswith(DISCLAIMER), body


def test_a_server_on_milvus_answers_during_a_reindex_and_then_serves_the_new_version(tmp_path):
    settings, pages = _milvus_settings(tmp_path)
    (pages / "qingke.md").write_bytes(QINGKE_MD)  # only the new version answers it
    answers: list[tuple[float, float, str, int, dict]] = []
    stop = threading.Event()

    def keep_asking(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                for question in (OLD_QUESTION, QINGKE_QUESTION):
                    sent = time.monotonic()
                    response = http.post("/api/ask", json={"question": question})
                    answers.append(
                        (sent, time.monotonic(), question, response.status_code, response.json())
                    )

    app = create_app(settings)  # loads its own service from Milvus, as `yibao serve` does
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        deadline = time.monotonic() + 60
        while http.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        old = http.get("/api/admin/reindex", headers=ADMIN).json()["service"]["index_version"]
        assert old == live_name(settings.index_dir) == served_version(settings) != ""
        askers = [threading.Thread(target=keep_asking, args=(server.url,)) for _ in range(2)]
        for asker in askers:
            asker.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert http.post("/api/admin/reindex", headers=ADMIN).status_code == 202
        while (status := http.get("/api/admin/reindex", headers=ADMIN).json())["status"] in (
            "running",
        ):
            time.sleep(0.05)
        finished = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for asker in askers:
            asker.join(30)
        after = http.post("/api/ask", json={"question": QINGKE_QUESTION}).json()
    assert not after["refused"] and any("青稞" in c["quote"] for c in after["citations"]), after
    _valid_cited_answer(after)
    assert status["status"] == "done", status
    new = status["service"]["index_version"]
    assert new != old and new == served_version(settings) == live_name(settings.index_dir)
    store = app.state.yibao.service.retriever.store
    assert isinstance(store, MilvusStore) and store.version == new
    during = [a for a in answers if a[0] >= started and a[1] <= finished]
    assert len(during) >= 4, f"only {len(during)} answers overlapped the reindex"
    assert all(status == 200 for *_, status, _ in answers)
    for _, _, question, _, body in answers:
        if question == OLD_QUESTION:  # answered by both versions: never refused, never empty
            assert not body["refused"] and body["citations"], body
            assert any("激活" in c["title"] for c in body["citations"]), body
            _valid_cited_answer(body)
        elif not body["refused"]:
            assert any("青稞" in c["quote"] for c in body["citations"]), body
            _valid_cited_answer(body)
    qingke = [(sent, done, body) for sent, done, q, _, body in answers if q == QINGKE_QUESTION]
    assert any(body["refused"] for *_, body in qingke)  # the old version was served first
    # once one answer came from the new version, every request sent after it gets the new one
    first_new = min((done for _, done, body in qingke if not body["refused"]), default=finished)
    assert all(not body["refused"] for sent, _, body in qingke if sent > first_new)


def test_the_watcher_follows_the_milvus_alias_not_the_local_current(tmp_path):
    settings, pages = _milvus_settings(tmp_path)
    loads: list[AnswerService] = []

    def counting_loader(s):
        loads.append(AnswerService.load(s))
        return loads[-1]

    state = ServiceState(settings, counting_loader, service=AnswerService.load(settings))
    first = state.version
    assert first == served_version(settings) and not state.pick_up_new_version()
    (pages / "qingke.md").write_bytes(QINGKE_MD)
    run_ingest(settings.model_copy(update={"store": "local"}))  # CURRENT moves, Milvus not
    assert live_name(settings.index_dir) != first == served_version(settings)
    assert not state.pick_up_new_version() and loads == []  # nothing new to serve yet
    run_ingest(settings)  # another writer: up to date locally, so it writes Milvus only
    assert state.pick_up_new_version() and len(loads) == 1
    assert state.version == served_version(settings) != first
    assert state.service.retriever.store.version == state.version
    answer = state.service.ask(QINGKE_QUESTION)
    assert not answer.refused and any("青稞" in c.quote for c in answer.citations)
    assert not state.pick_up_new_version() and len(loads) == 1  # once, not on every poll
