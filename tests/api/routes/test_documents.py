"""``/api/documents/{id}`` (with a highlighted span) and ``/api/suggestions``."""

from __future__ import annotations

import pytest

from api.routes.documents import pick_suggestions


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


def test_pick_suggestions_has_no_duplicates(env):
    picked = pick_suggestions(env[1].documents.values(), 20)
    assert picked and len(picked) == len(set(picked)) <= 20
