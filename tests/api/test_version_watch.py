"""A running server picks up versions published by another process and swaps them in."""

from __future__ import annotations

import shutil
import time

from fastapi.testclient import TestClient

from api.app import create_app
from ingest.pipeline import run_ingest
from qa.index.versions import current_version
from tests.api.support import api_settings
from tests.conftest import CORPUS


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _one_page(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(sorted(CORPUS.glob("*"))[0], folder / "only.txt")
    return folder


def test_server_swaps_in_a_version_published_by_a_cli_ingest(tmp_path):
    settings = api_settings(tmp_path, index_watch_seconds=0.1)
    run_ingest(settings)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.yibao
        _wait(lambda: state.ready)
        first = state.service
        assert len({d.source for d in first.documents.values()}) == 5
        run_ingest(settings, paths=[_one_page(tmp_path)])  # what `yibao ingest one/` does
        _wait(lambda: state.service is not first)
        assert state.version == current_version(settings.index_dir).name
        assert {d.source for d in state.service.documents.values()} == {"only.txt"}
        assert state.service.retriever.embedder is first.retriever.embedder  # model reused
        answer = client.post("/api/ask", json={"question": "医保码怎么激活"})
        assert answer.status_code == 200


def test_a_broken_new_version_leaves_the_live_service_answering(tmp_path, caplog):
    settings = api_settings(tmp_path, index_watch_seconds=0.1)
    run_ingest(settings)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.yibao
        _wait(lambda: state.ready)
        live = state.service
        broken = settings.index_dir / "v-broken"
        shutil.copytree(current_version(settings.index_dir), broken)
        (broken / "faiss.index").write_bytes(b"")
        (settings.index_dir / "CURRENT").write_text("v-broken\n")
        with caplog.at_level("ERROR", logger="api.state"):
            time.sleep(0.6)  # several watch rounds
        failures = [r for r in caplog.records if "could not be loaded" in r.getMessage()]
        assert len(failures) == 1  # logged once, not every round
        assert state.service is live
        assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 200
        run_ingest(settings, rebuild=True)  # a good version is picked up again
        _wait(lambda: state.service is not live)
        assert state.version == current_version(settings.index_dir).name


def test_a_server_started_before_any_index_becomes_ready_when_one_is_published(tmp_path):
    settings = api_settings(tmp_path, index_watch_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.yibao
        _wait(lambda: state.load_status == "failed")
        assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 503
        run_ingest(settings)
        _wait(lambda: state.ready)
        assert client.get("/readyz").status_code == 200


def test_server_start_removes_leftovers_of_a_killed_ingest(tmp_path):
    settings = api_settings(tmp_path, index_watch_seconds=0)
    run_ingest(settings)
    leftover = settings.index_dir / ".tmp-20260101T000000-dead00"
    leftover.mkdir()
    with TestClient(create_app(settings)) as client:
        _wait(lambda: client.app.state.yibao.ready)
    assert not leftover.exists()
