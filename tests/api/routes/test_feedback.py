"""``POST /api/feedback``: stored with the question it rates, validated, exported by admins."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.support import ADMIN_KEY


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
    header = "id,created_at,answer_id,rating,comment,question,answer,citations"
    assert text.splitlines()[0] == header
    assert answer_id in text and "'=没说线下" in text and "医保码怎么激活" in text
    assert "[1] " in text  # the citations, readable


def test_feedback_validation(client):
    good_id = client.post("/api/ask", json={"question": "医保码怎么激活"}).json()["answer_id"]

    def post(body):
        return client.post("/api/feedback", json=body).status_code

    assert post({"answer_id": good_id, "rating": "meh"}) == 422
    assert post({"answer_id": "x", "rating": "up"}) == 422
    assert post({"answer_id": good_id, "rating": "up", "comment": "长" * 2001}) == 422
    assert post({"answer_id": good_id, "rating": "up", "comment": "a\x07"}) == 422
    assert post({"answer_id": good_id, "rating": "up"}) == 201


def test_feedback_on_an_unknown_answer_is_404_and_not_stored(env):
    client = TestClient(create_app(env[0], service=env[1]))
    store = client.app.state.feedback
    before = len(store.rows())
    response = client.post("/api/feedback", json={"answer_id": "f" * 32, "rating": "up"})
    assert response.status_code == 404
    assert response.json()["detail"].startswith("找不到该回答(可能已过期),反馈未保存 / ")
    assert len(store.rows()) == before
