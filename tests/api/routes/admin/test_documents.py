"""Admin documents: upload (checked file by file), list, delete — each followed by a reindex."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.admin.uploads import MAX_FILES, NO_FILES, NOT_MULTIPART
from qa.service import AnswerService
from tests.api.routes.admin.support import (
    ADMIN,
    QINGKE_MD,
    QINGKE_QUESTION,
    fresh_client,
    upload,
    wait_idle,
)
from tests.conftest import CORPUS
from tests.ingest.formats.test_pdf_docx import tiny_pdf


def _ask(client, question=QINGKE_QUESTION):
    return client.post("/api/ask", json={"question": question}).json()


def test_upload_answers_and_delete_removes_it(tmp_path):
    client = fresh_client(tmp_path)
    settings = client.app.state.yibao.settings
    before = _ask(client)
    assert before["refused"], before["answer"]  # nothing answers it yet

    response = upload(client, ("青稞市 说明.md", QINGKE_MD))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["rejected"] == [] and body["reindex"]["status"] == "running"
    [accepted] = body["accepted"]
    assert accepted["name"] == "青稞市 说明.md" and accepted["documents"] == 1
    stored = settings.data_dir / "uploads" / accepted["stored_as"]
    assert stored.read_bytes() == QINGKE_MD
    kb = json.loads((settings.data_dir / "kb.json").read_text("utf-8"))
    assert str(stored.parent) in kb["sources"] and str(CORPUS) in kb["sources"]

    assert wait_idle(client)["status"] == "done"
    answer = _ask(client)
    assert not answer["refused"] and "1357" in answer["answer"]
    assert [c["source"] for c in answer["citations"]] == [accepted["stored_as"]]

    listed = client.get("/api/admin/documents", headers=ADMIN).json()
    first = listed["items"][0]  # uploads come first
    assert first["title"] == QINGKE_QUESTION and first["origin"] == "上传" and first["uploaded"]
    assert first["chunks"] == 1 and first["source"] == accepted["stored_as"]
    assert listed["items"][1]["origin"] == str(CORPUS) and not listed["items"][1]["uploaded"]

    deleted = client.delete(f"/api/admin/documents/{first['doc_id']}", headers=ADMIN)
    assert deleted.status_code == 202 and deleted.json()["action"] == "file_deleted"
    assert not stored.exists()
    wait_idle(client)
    assert _ask(client)["refused"]
    after = client.get("/api/admin/documents", headers=ADMIN).json()
    assert after["total"] == listed["total"] - 1
    assert first["doc_id"] not in {d["doc_id"] for d in after["items"]}


BAD_FILES = [
    ("too large", "big.md", "医保".encode() * 350_000, "文件过大(2.1 MB,上限 2.0 MB)"),
    ("wrong type", "tool.exe", b"MZ\x90\x00", "不支持的文件类型 .exe"),
    ("no suffix", "README", "医保码怎么激活".encode(), "不支持的文件类型(无扩展名)"),
    ("binary", "data.txt", b"\x00\x01\x02\x03PK\x03\x04" * 10, "二进制文件"),
    ("empty", "empty.md", b"", "文件为空"),
    ("blank", "blank.txt", b" \n\t\n", "文件为空"),
    ("utf-16", "wide.txt", "医保".encode("utf-16"), "编码无法识别"),
    ("no visible text", "page.html", b"<html><script>var a=1;</script></html>", "没有可见文字"),
    ("no name", "", "医保码".encode(), "缺少文件名"),
    ("broken pdf", "notice.pdf", b"%PDF-1.7\n1 0 obj << broken", "PDF 文件已损坏"),
    ("scanned pdf", "scan.pdf", tiny_pdf(""), "没有可提取的文字"),
    ("broken word", "guide.docx", b"PK\x03\x04 broken", "Word 文件已损坏"),
    ("old word", "old.doc", b"\xd0\xcf\x11\xe0", "不支持的文件类型 .doc"),
]


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    """One app for the refused uploads: none of them may change anything."""
    return fresh_client(tmp_path_factory.mktemp("refused"))


@pytest.mark.parametrize(
    ("name", "data", "reason"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_changes(untouched, name, data, reason):
    client = untouched
    settings = client.app.state.yibao.settings
    response = upload(client, (name, data))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["detail"].startswith("没有文件被接受,知识库未改变")
    [rejected] = body["rejected"]
    assert reason in rejected["reason"]
    assert not (settings.data_dir / "kb.json").exists()
    assert not any((settings.data_dir / "uploads").glob("*"))
    assert client.app.state.yibao.reindex.status == "idle"  # no reindex started


def test_good_and_bad_files_together(tmp_path):
    client = fresh_client(tmp_path)
    corpus_page = sorted(CORPUS.glob("*.txt"))[0]
    response = upload(
        client,
        ("good.md", QINGKE_MD),
        ("again.md", QINGKE_MD),  # the same content twice in one upload
        ("copy.txt", corpus_page.read_bytes()),  # already indexed
        ("bad.exe", b"MZ"),
    )
    assert response.status_code == 202
    body = response.json()
    assert [a["name"] for a in body["accepted"]] == ["good.md"]
    reasons = {r["name"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {"again.md", "copy.txt", "bad.exe"}
    assert "相同" in reasons["again.md"] and "相同" in reasons["copy.txt"]
    assert ".docx、.htm、.html、.md、.pdf、.txt" in reasons["bad.exe"]  # what can be uploaded
    wait_idle(client)


def test_an_upload_named_like_a_corpus_file_gets_its_own_name(tmp_path):
    client = fresh_client(tmp_path)
    name = sorted(CORPUS.glob("*.txt"))[0].name
    accepted = upload(client, (name, QINGKE_MD)).json()["accepted"][0]
    assert accepted["stored_as"] != name and accepted["stored_as"].endswith(".txt")
    wait_idle(client)
    sources = {d.source for d in client.app.state.yibao.service.documents.values()}
    assert name in sources and accepted["stored_as"] in sources


def test_requests_that_carry_no_file(tmp_path):
    client = fresh_client(tmp_path)
    as_json = client.post("/api/admin/documents", headers=ADMIN, json={"files": ["a"]})
    assert as_json.status_code == 400 and as_json.json()["detail"] == NOT_MULTIPART
    other_field = client.post(
        "/api/admin/documents", headers=ADMIN, files=[("file", ("a.md", QINGKE_MD))]
    )
    assert other_field.status_code == 400 and other_field.json()["detail"] == NO_FILES
    many = upload(client, *[(f"{n}.exe", b"MZ") for n in range(MAX_FILES + 1)])
    assert f"一次最多上传 {MAX_FILES} 个文件" in many.json()["rejected"][-1]["reason"]


def test_the_upload_route_has_its_own_body_limit(tmp_path):
    client = fresh_client(tmp_path, max_body_bytes=2000, max_upload_bytes=6000)
    page = "# 青稞市缴费\n\n" + "青稞市居民医保按年缴费。" * 100  # ~3.6 kB: over the body limit
    assert upload(client, ("pay.md", page.encode())).status_code == 202
    too_big = upload(client, ("big.md", b"x" * 7000))
    assert too_big.status_code == 413 and "最多 6000 字节" in too_big.json()["detail"]
    ask = client.post("/api/ask", json={"question": "医保码怎么激活", "pad": "x" * 2000})
    assert ask.status_code == 413 and "最多 2000 字节" in ask.json()["detail"]
    wait_idle(client)


def test_an_upload_during_a_reindex_queues_one_more_run(tmp_path):
    release = threading.Event()
    loads = []

    def gated_loader(settings):
        release.wait(30)
        service = AnswerService.load(settings)
        loads.append(service)
        return service

    client = fresh_client(tmp_path, loader=gated_loader)
    assert client.post("/api/admin/reindex", headers=ADMIN).status_code == 202
    response = upload(client, ("qingke.md", QINGKE_MD))
    assert response.status_code == 202  # not 409
    assert response.json()["reindex"]["queued"] is True
    release.set()
    done = wait_idle(client)
    assert done["status"] == "done" and len(loads) == 2  # the queued run happened
    assert not _ask(client)["refused"]  # and it indexed the upload


def test_deleting_a_corpus_document_leaves_its_file(tmp_path):
    client = fresh_client(tmp_path)
    settings = client.app.state.yibao.settings
    items = client.get("/api/admin/documents?size=100", headers=ADMIN).json()["items"]
    target = items[0]
    response = client.delete(f"/api/admin/documents/{target['doc_id']}", headers=ADMIN)
    assert response.status_code == 202 and response.json()["action"] == "document_removed"
    assert (CORPUS / target["source"]).is_file()
    kb = json.loads((settings.data_dir / "kb.json").read_text("utf-8"))
    assert kb["removed_docs"] == [target["doc_id"]]
    wait_idle(client)
    assert target["doc_id"] not in client.app.state.yibao.service.documents
    others = {d["doc_id"] for d in items if d["source"] == target["source"]} - {target["doc_id"]}
    assert others and others <= set(client.app.state.yibao.service.documents)


def test_unknown_document_is_404(client):
    response = client.delete("/api/admin/documents/0000000000000000", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("找不到该文档 0000000000000000 / ")


def test_document_list_pages_and_filters(client, env):
    documents = env[1].documents
    first = client.get("/api/admin/documents?page=1&size=5", headers=ADMIN).json()
    second = client.get("/api/admin/documents?page=2&size=5", headers=ADMIN).json()
    assert first["total"] == second["total"] == len(documents)
    assert len(first["items"]) == len(second["items"]) == 5
    ids = [d["doc_id"] for d in first["items"] + second["items"]]
    assert len(set(ids)) == 10 and set(ids) <= set(documents)
    assert first["upload_types"] == [".docx", ".htm", ".html", ".md", ".pdf", ".txt"]
    beyond = client.get("/api/admin/documents?page=999&size=5", headers=ADMIN).json()
    assert beyond["items"] == [] and beyond["total"] == len(documents)
    title = next(iter(documents.values())).title
    found = client.get("/api/admin/documents", headers=ADMIN, params={"q": title}).json()
    assert found["total"] >= 1 and all(title in d["title"] for d in found["items"])
    assert client.get("/api/admin/documents?size=101", headers=ADMIN).status_code == 422


def test_an_upload_survives_make_serve_and_a_restart_and_the_seeds_stay(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli.main import app as cli

    client = fresh_client(tmp_path)
    settings = client.app.state.yibao.settings
    assert upload(client, ("qingke.md", QINGKE_MD)).status_code == 202
    wait_idle(client)
    for name, value in {
        "YIBAO_EMBEDDER": "fake",
        "YIBAO_DATA_DIR": str(settings.data_dir),
        "YIBAO_CORPUS_DIR": str(settings.corpus_dir),
    }.items():
        monkeypatch.setenv(name, value)
    ran = CliRunner().invoke(cli, ["ingest", "--if-stale"])  # what `make serve` runs first
    assert ran.exit_code == 0, ran.output
    restarted = TestClient(create_app(settings, service=AnswerService.load(settings)))
    sources = {d.source for d in restarted.app.state.yibao.service.documents.values()}
    assert "qingke.md" in sources and len(sources) == 6  # the five seed pages stay
    answer = _ask(restarted)
    assert not answer["refused"] and "1357" in answer["answer"]
