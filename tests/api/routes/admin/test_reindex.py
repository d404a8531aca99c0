"""Admin routes: the admin key (403), background reindex with a hot swap, a queued run,
feedback export."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import ReindexBusyError, ServiceState
from ingest.pipeline import run_ingest
from qa.answering.disclaimer import DISCLAIMER
from qa.service import AnswerService
from tests.api.support import ADMIN_KEY, api_settings
from tests.conftest import CORPUS, build_service

ADMIN = {"X-Admin-Key": ADMIN_KEY}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/admin/reindex"),
        ("post", "/api/admin/reindex"),
        ("get", "/api/feedback/export"),
        ("get", "/api/admin/documents"),
        ("post", "/api/admin/documents"),
        ("delete", "/api/admin/documents/0123456789abcdef"),
        ("get", "/api/admin/search?q=医保码怎么激活"),
        ("get", "/api/admin/feedback"),
    ],
)
def test_admin_routes_need_the_admin_key(env, method, path):
    client = TestClient(create_app(env[0], service=env[1]))
    assert getattr(client, method)(path).status_code == 403
    wrong = getattr(client, method)(path, headers={"X-Admin-Key": "nope"})
    assert wrong.status_code == 403 and "管理员密钥无效" in wrong.json()["detail"]
    disabled = TestClient(create_app(env[0].model_copy(update={"admin_key": ""}), service=env[1]))
    response = getattr(disabled, method)(path, headers=ADMIN)
    assert response.status_code == 403 and "管理功能未启用" in response.json()["detail"]


def test_admin_key_as_bearer(env):
    client = TestClient(create_app(env[0], service=env[1]))
    response = client.get("/api/admin/reindex", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200 and response.json()["status"] == "idle"


def _wait_for(client, status, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get("/api/admin/reindex", headers=ADMIN).json()
        if body["status"] == status:
            return body
        time.sleep(0.05)
    raise AssertionError(f"reindex never reached {status}: {body}")


def test_reindex_swaps_service_while_requests_keep_succeeding(tmp_path):
    settings = api_settings(tmp_path)
    old = build_service(settings)
    release = threading.Event()
    loads = []

    def gated_loader(s):
        release.wait(30)  # hold the new service back so requests run during the reindex
        service = AnswerService.load(s)
        loads.append(service)
        return service

    app = create_app(settings, service=old, loader=gated_loader)
    client = TestClient(app)
    started = client.post("/api/admin/reindex", headers=ADMIN)
    assert started.status_code == 202 and started.json()["status"] == "running"
    busy = client.post("/api/admin/reindex", headers=ADMIN)
    assert busy.status_code == 409 and "已有重建索引任务在运行" in busy.json()["detail"]
    for _ in range(5):  # served by the old service meanwhile
        answer = client.post("/api/ask", json={"question": "医保码怎么激活"})
        assert answer.status_code == 200 and answer.json()["answer"].endswith(DISCLAIMER)
    assert app.state.yibao.service is old
    release.set()
    done = _wait_for(client, "done")
    assert done["report"]["chunks"] > 0 and done["report"]["up_to_date"] is True
    assert done["finished"] and done["seconds"] is not None and done["service"]["ready"]
    assert app.state.yibao.service is loads[0] is not old
    assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 200
    again = client.post("/api/admin/reindex", headers=ADMIN)  # a finished job can run again
    assert again.status_code == 202
    _wait_for(client, "done")


def test_failed_reindex_keeps_old_service(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(CORPUS, pages)
    settings = api_settings(tmp_path)
    run_ingest(settings, paths=[pages])
    service = AnswerService.load(settings)
    shutil.rmtree(pages)  # the folder the live index came from is gone
    app = create_app(settings, service=service)
    client = TestClient(app)
    assert client.post("/api/admin/reindex", headers=ADMIN).status_code == 202
    failed = _wait_for(client, "failed")
    assert str(pages) in failed["error"] and "已不存在" in failed["error"]
    assert app.state.yibao.service is service
    assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 200


def test_reindex_rebuilds_what_was_published_not_the_corpus_setting(tmp_path):
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    shutil.copy(sorted(CORPUS.glob("*"))[0], chosen / "only.txt")
    settings = api_settings(tmp_path)  # corpus_dir is the shipped corpus (5 pages)
    run_ingest(settings, paths=[chosen])  # what `yibao ingest chosen/` publishes
    published = AnswerService.load(settings)
    app = create_app(settings, service=published)
    client = TestClient(app)
    assert client.post("/api/admin/reindex", headers=ADMIN).status_code == 202
    done = _wait_for(client, "done")
    assert done["sources"] == [str(chosen)] and done["report"]["files"] == 1
    sources = {d.source for d in app.state.yibao.service.documents.values()}
    assert sources == {"only.txt"}


def test_reindex_recovers_from_a_failed_start(tmp_path):
    settings = api_settings(tmp_path)  # no index yet: the first load fails
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").json()["status"] != "failed":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 503
        assert client.post("/api/admin/reindex", headers=ADMIN).status_code == 202
        _wait_for(client, "done")
        assert client.get("/readyz").status_code == 200
        assert client.post("/api/ask", json={"question": "医保码怎么激活"}).status_code == 200


def test_a_queued_reindex_runs_once_after_the_running_one(tmp_path):
    gates = [threading.Event(), threading.Event()]
    runs = []

    def ingest(settings, rebuild=False):
        runs.append(rebuild)
        gates[len(runs) - 1].wait(30)

    state = ServiceState(api_settings(tmp_path), loader=lambda s: object(), ingest=ingest)
    first = state.start_reindex()
    assert state.start_reindex(queue=True) is first and state.reindex_queued
    assert state.start_reindex(queue=True) is first  # asked twice: still one more run
    with pytest.raises(ReindexBusyError):
        state.start_reindex()  # without queue: busy, as before
    gates[0].set()
    deadline = time.monotonic() + 30
    while len(runs) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert first.status == "done"
    assert state.reindex is not first and state.reindex.status == "running"
    assert not state.reindex_queued
    gates[1].set()
    while state.reindex.status == "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert state.reindex.status == "done" and runs == [False, False]
