"""One INFO line per request (no question text unless allowed) and its ``X-Request-ID``."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from api.app import create_app
from api.logging_setup import configure_logging


def _request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("request id=")]


def test_request_log_line_without_question(client, caplog):
    with caplog.at_level(logging.INFO, logger="api"):
        response = client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    lines = _request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert f"id={response.headers['x-request-id']}" in line
    assert "method=POST path=/api/ask status=200" in line and "refused=False" in line
    assert "n_citations=" in line and "ms=" in line
    assert all("家庭共济怎么绑定家人" not in r.getMessage() for r in caplog.records)


def test_request_log_with_questions_enabled(env, caplog):
    settings = env[0].model_copy(update={"log_questions": True})
    client = TestClient(create_app(settings, service=env[1]))
    with caplog.at_level(logging.INFO, logger="api"):
        client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    assert "家庭共济怎么绑定家人" in _request_lines(caplog)[0]


def test_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert len(unsafe.headers["x-request-id"]) == 32  # replaced by a fresh id


def test_request_lines_reach_stderr_under_the_cli_logging_setup(client, capsys):
    configure_logging()  # what every `yibao` command runs first
    client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    client.post("/api/ask", json={"question": ""})
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if " request id=" in line]
    assert len(lines) == 2, err
    assert " INFO api.middleware.request_log: request id=" in lines[0]
    assert "path=/api/ask status=200" in lines[0] and "status=422" in lines[1]
    assert "家庭共济" not in err
