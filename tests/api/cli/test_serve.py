"""`yibao serve` logs what it promises: startup, "service ready", the URL to open once ready,
one line per request, reindex; `make serve` passes HOST and PORT on."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from api.server import announce_when_ready, open_url
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
    ready = f" INFO api.server: 服务已就绪:打开 {url}/ 使用问答窗口"
    assert err.count(ready) == 1
    assert err.index("Uvicorn running on ") < err.index(ready)
    assert err.index(" service ready version=") < err.index(ready)
    assert " INFO api.state: reindex status=done seconds=" in err
    asked = [line for line in err.splitlines() if "request id=" in line and "/api/ask " in line]
    assert len(asked) == 1 and " INFO api.middleware.request_log: " in asked[0]
    assert "status=200" in asked[0] and "refused=False" in asked[0] and "n_citations=" in asked[0]
    assert QUESTION not in err
    assert " WARNING " not in err and " ERROR " not in err, err


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/"),
        ("0.0.0.0", "http://127.0.0.1:8000/"),
        ("::", "http://[::1]:8000/"),
        ("fe80::1", "http://[fe80::1]:8000/"),
        ("yibao.example", "http://yibao.example:8000/"),
    ],
)
def test_open_url_is_what_a_browser_here_opens(host, url):
    assert open_url(host, 8000) == url


class _Server:
    """Starts listening after a few looks; ``should_exit`` as set."""

    def __init__(self, looks_before_start: int, should_exit: bool = False) -> None:
        self.looks, self.should_exit = looks_before_start, should_exit

    @property
    def started(self) -> bool:
        self.looks -= 1
        return self.looks < 0


class _State:
    ready = True


def test_ready_line_waits_for_the_socket_and_the_service(caplog):
    caplog.set_level("INFO", logger="api.server")
    server = _Server(looks_before_start=3)
    announce_when_ready(server, _State(), "http://127.0.0.1:8000/", poll=0)
    assert server.looks == -1  # returned on the first look after the socket listened
    assert caplog.messages == ["服务已就绪:打开 http://127.0.0.1:8000/ 使用问答窗口"]


def test_no_ready_line_when_the_server_exits_first(caplog):
    caplog.set_level("INFO", logger="api.server")
    announce_when_ready(_Server(0, should_exit=True), _State(), "http://x/", poll=0)
    assert caplog.messages == []


def test_make_serve_passes_host_and_port():
    def serve_command(*variables: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        done = subprocess.run(
            ["make", "--no-print-directory", "-n", "serve", *variables],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,  # under `make test` the parent make's flags would add directory lines
        )
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if "yibao serve" in line][-1]

    assert serve_command().endswith("yibao serve --host 127.0.0.1 --port 8000")
    assert serve_command("HOST=0.0.0.0", "PORT=9000").endswith(
        "yibao serve --host 0.0.0.0 --port 9000"
    )
