"""The HTTP API end to end with the fake embedder: every endpoint, SSE order, logs, loading."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa.answering.disclaimer import DISCLAIMER
from qa.serialization import answer_payload
from qa.types import Answer
from tests.api.api_support import ADMIN_KEY, sse_json


def test_ask_returns_cli_json_plus_answer_id(client, env):
    response = client.post("/api/ask", json={"question": "家庭共济怎么绑定家人"})
    assert response.status_code == 200
    body = response.json()
    expected_keys = set(answer_payload(Answer("q", "t"))) | {"answer_id"}
    assert set(body) == expected_keys
    assert len(body["answer_id"]) == 32 and not body["refused"] and body["citations"]
    assert body["answer"].endswith(DISCLAIMER) and body["disclaimer"] == DISCLAIMER
    documents = env[1].documents
    for c in body["citations"]:
        assert f"[{c['n']}]" in body["answer"]
        assert documents[c["doc_id"]].text[c["start"] : c["end"]] == c["quote"]
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    "question", ["你好", "鹤壁嘴角开裂去哪家医院看比较好", "今天股票大盘怎么样"]
)
def test_refusals_end_with_disclaimer(client, question):
    body = client.post("/api/ask", json={"question": question}).json()
    assert body["refused"] and body["answer"].endswith(DISCLAIMER) and not body["citations"]


def test_follow_up_uses_history(client):
    history = [
        {"role": "user", "content": "家庭共济怎么绑定家人"},
        {"role": "assistant", "content": "…"},
    ]
    alone = client.post("/api/ask", json={"question": "那线下怎么办"}).json()
    body = client.post("/api/ask", json={"question": "那线下怎么办", "history": history}).json()
    assert body["answer"] != alone["answer"] and body["answer"].endswith(DISCLAIMER)
    assert "共济" in body["answer"]


def test_stream_events_in_order_and_text_matches(client):
    question = {"question": "医保码怎么激活"}
    with client.stream("POST", "/api/ask/stream", json=question) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_json(response.read().decode("utf-8"))
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}
    assert len(names) > 4  # the answer arrives in several pieces
    text = "".join(data["text"] for name, data in events if name == "delta")
    plain = client.post("/api/ask", json=question).json()
    assert text == plain["answer"] and text.endswith(DISCLAIMER)
    info = events[-2][1]
    assert info["citations"] == plain["citations"] and info["refused"] is False
    assert info["answer_id"] == events[-1][1]["answer_id"]


def test_stream_of_refusal_still_ends_with_disclaimer(client):
    with client.stream("POST", "/api/ask/stream", json={"question": "你好"}) as response:
        events = sse_json(response.read().decode("utf-8"))
    text = "".join(d["text"] for n, d in events if n == "delta")
    assert text.endswith(DISCLAIMER) and events[-2][1]["refused"] is True


def test_stream_invalid_body_is_422_before_streaming(client):
    response = client.post("/api/ask/stream", json={"question": " "})
    assert response.status_code == 422 and "问题不能为空" in response.json()["detail"]


class _BrokenService:
    documents: dict = {}

    def ask(self, question, history=(), top_k=None):
        raise RuntimeError("boom")


def test_unexpected_error_gives_chinese_error_answer(env, caplog):
    app = create_app(env[0], service=_BrokenService())
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", json={"question": "医保码怎么激活"})
    assert response.status_code == 500
    body = response.json()
    assert body["answer"].endswith(DISCLAIMER) and "抱歉" in body["answer"]
    assert body["reason"] == "error" and "boom" in caplog.text  # traceback logged
    with client.stream("POST", "/api/ask/stream", json={"question": "医保码怎么激活"}) as r:
        events = sse_json(r.read().decode("utf-8"))
    assert [n for n, _ in events] == ["error", "done"]
    assert events[0][1]["message"].endswith(DISCLAIMER)


def test_document_with_highlight(client, env):
    doc = next(iter(env[1].documents.values()))
    body = client.get(f"/api/documents/{doc.doc_id}").json()
    assert body["text"] == doc.text and body["title"] == doc.title and "highlight" in body
    assert body["highlight"] is None
    span = client.get(f"/api/documents/{doc.doc_id}", params={"highlight": "5,20"}).json()
    light = span["highlight"]
    assert light["text"] == doc.text[5:20] and light["before"] == doc.text[:5]
    assert light["after"] == doc.text[20:100]


@pytest.mark.parametrize("highlight", ["20,5", "-1,3", "0,999999", "a,b", "1", "1,2,3", ""])
def test_document_highlight_out_of_range_is_422(client, env, highlight):
    doc_id = next(iter(env[1].documents))
    response = client.get(f"/api/documents/{doc_id}", params={"highlight": highlight})
    assert response.status_code == 422 and "highlight" in response.json()["detail"]


def test_unknown_document_is_404(client):
    response = client.get("/api/documents/nope")
    assert response.status_code == 404 and response.json()["detail"].startswith("找不到该文档")


def test_suggestions_are_insurance_questions(client, env):
    suggestions = client.get("/api/suggestions").json()["suggestions"]
    assert len(suggestions) == 6 == len(set(suggestions))
    titles = {d.title for d in env[1].documents.values()}
    assert all("医院" not in s for s in suggestions)
    assert any(s in titles for s in suggestions)
    assert len(client.get("/api/suggestions", params={"n": 3}).json()["suggestions"]) == 3


def test_feedback_stored_and_exported_as_csv(client):
    answer_id = client.post("/api/ask", json={"question": "医保码怎么激活"}).json()["answer_id"]
    stored = client.post(
        "/api/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "=没说线下"}
    )
    assert stored.status_code == 201 and stored.json()["rating"] == "down"
    export = client.get("/api/feedback/export", headers={"X-Admin-Key": ADMIN_KEY})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    text = export.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "id,created_at,answer_id,rating,comment,question,answer"
    assert answer_id in text and "'=没说线下" in text and "医保码怎么激活" in text


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_static_pages_served_when_present(env, tmp_path):
    client = TestClient(create_app(env[0], service=env[1], static_dir=tmp_path / "missing"))
    assert client.get("/").status_code == 404 and client.get("/widget.js").status_code == 404
    (tmp_path / "index.html").write_text("<html>医保</html>", "utf-8")
    (tmp_path / "widget.js").write_text("console.log(1)", "utf-8")
    (tmp_path / "app.css").write_text("body{}", "utf-8")
    client = TestClient(create_app(env[0], service=env[1], static_dir=tmp_path))
    assert "医保" in client.get("/").text
    assert client.get("/widget.js").status_code == 200
    assert client.get("/static/app.css").text == "body{}"


def test_docs_and_chinese_summaries(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/api/ask"]["post"]["summary"] == "提问:返回带引用的回答"


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


def test_not_ready_while_loading(env):
    settings, service = env
    release = threading.Event()

    def slow_loader(_settings):
        release.wait(10)
        return service

    with TestClient(create_app(settings, loader=slow_loader)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        for method, path in [
            ("post", "/api/ask"),
            ("get", "/api/suggestions"),
            ("get", "/v1/models"),
        ]:
            kwargs = {"json": {"question": "医保码怎么激活"}} if method == "post" else {}
            response = getattr(client, method)(path, **kwargs)
            assert response.status_code == 503 and "服务正在加载" in json.dumps(
                response.json(), ensure_ascii=False
            )
        release.set()
        for _ in range(200):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.02)
        response = client.post("/api/ask", json={"question": "医保码怎么激活"})
        assert response.status_code == 200


def test_failed_load_reports_not_ready(env):
    def failing_loader(_settings):
        raise FileNotFoundError("no index")

    with TestClient(create_app(env[0], loader=failing_loader)) as client:
        for _ in range(200):
            if client.get("/readyz").json()["status"] == "failed":
                break
            time.sleep(0.02)
        assert client.get("/readyz").status_code == 503
        assert "索引未能加载" in client.get("/api/suggestions").json()["detail"]
