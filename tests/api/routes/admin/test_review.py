"""Admin review: the retrieval test with each signal's score, and the feedback review."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.routes.admin.support import ADMIN

SIGNALS = {"dense", "bm25", "title_bm25", "title_dense", "sentence_dense", "region", "rerank"}


def test_search_ranks_chunks_with_each_signals_score(client, env):
    response = client.get(
        "/api/admin/search", headers=ADMIN, params={"q": "医保码怎么激活", "top_k": 4}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "医保码怎么激活" and body["mode"] == "hybrid"
    assert "医保码" in body["understood"]["terms"] and body["understood"]["kind"] == "how"
    hits = body["hits"]
    assert [h["rank"] for h in hits] == [1, 2, 3, 4]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(h["scores"] and set(h["scores"]) <= SIGNALS for h in hits)
    assert any({"bm25", "dense"} <= set(h["scores"]) for h in hits)
    expected = env[1].retriever.search("医保码怎么激活", top_k=4)
    assert [h["chunk_id"] for h in hits] == [h.chunk.chunk_id for h in expected]


def test_search_modes_and_bad_questions(client):
    bm25 = client.get("/api/admin/search", headers=ADMIN, params={"q": "医保码", "mode": "bm25"})
    assert bm25.status_code == 200
    assert bm25.json()["hits"] and all(set(h["scores"]) == {"bm25"} for h in bm25.json()["hits"])
    for bad in ["   ", "医保\x07码", "医" * 501]:
        response = client.get("/api/admin/search", headers=ADMIN, params={"q": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"].startswith("问题")
    assert client.get("/api/admin/search", headers=ADMIN).status_code == 422


def test_feedback_review_down_first_with_citations(env, tmp_path):
    settings = env[0].model_copy(update={"feedback_db": tmp_path / "feedback.db"})
    client = TestClient(create_app(settings, service=env[1]))
    ids = []
    for question in ["医保码怎么激活", "家庭共济怎么绑定家人", "怎么给家人交医保"]:
        ids.append(client.post("/api/ask", json={"question": question}).json()["answer_id"])
    for answer_id, rating in zip(ids, ["down", "up", "down"], strict=True):
        body = {"answer_id": answer_id, "rating": rating, "comment": f"评{rating}"}
        assert client.post("/api/feedback", json=body).status_code == 201
    page = client.get("/api/admin/feedback?size=2", headers=ADMIN).json()
    assert (page["total"], page["down"], page["page"]) == (3, 2, 1)
    assert [f["answer_id"] for f in page["items"]] == [ids[2], ids[0]]  # 没用, newest first
    first = page["items"][0]
    assert first["question"] == "怎么给家人交医保" and first["rating"] == "down"
    assert first["answer"].endswith("如有不适请尽快就医。")
    cited = first["citations"]
    assert cited and {"n", "doc_id", "title", "source", "quote"} <= set(cited[0])
    assert cited[0]["doc_id"] in env[1].documents
    rest = client.get("/api/admin/feedback?page=2&size=2", headers=ADMIN).json()
    assert [f["answer_id"] for f in rest["items"]] == [ids[1]]
