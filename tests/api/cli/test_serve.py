"""`yibao serve` logs what it promises: startup, "service ready", one line per request, reindex."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import httpx

from tests.api.support import ADMIN_KEY
from tests.conftest import ROOT
from tests.live_server import free_port

QUESTION = "家庭共济怎么绑定家人"


def _wait(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout}s")


def test_serve_logs_ready_requests_and_reindex_without_the_question(env, tmp_path):
    settings = env[0]
    shutil.copytree(settings.data_dir, tmp_path / "data")
    port = free_port()
    variables = {
        "PYTHONPATH": str(ROOT),
        "YIBAO_EMBEDDER": "fake",
        "YIBAO_DATA_DIR": str(tmp_path / "data"),
        "YIBAO_CORPUS_DIR": str(settings.corpus_dir),
        "YIBAO_CALIBRATION_PATH": str(settings.calibration_path),
        "YIBAO_ADMIN_KEY": ADMIN_KEY,
    }
    command = [sys.executable, "-c", "from api.cli.main import app; app()", "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,  # no .env
        env={**os.environ, **variables},
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    admin = {"X-Admin-Key": ADMIN_KEY}
    try:
        _wait(lambda: httpx.get(url + "/readyz").status_code == 200, "ready")
        assert httpx.post(url + "/api/ask", json={"question": QUESTION}).status_code == 200
        assert httpx.post(url + "/api/admin/reindex", headers=admin).status_code == 202
        status = url + "/api/admin/reindex"
        _wait(lambda: httpx.get(status, headers=admin).json()["status"] == "done", "reindex")
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert " INFO uvicorn.error: Uvicorn running on " in err
    assert " INFO api.state: service ready version=v-" in err
    assert " INFO api.state: reindex status=done seconds=" in err
    asked = [line for line in err.splitlines() if "request id=" in line and "/api/ask " in line]
    assert len(asked) == 1 and " INFO api.middleware.request_log: " in asked[0]
    assert "status=200" in asked[0] and "refused=False" in asked[0] and "n_citations=" in asked[0]
    assert QUESTION not in err
    assert " WARNING " not in err and " ERROR " not in err, err
