"""``/api/ask`` and ``/api/ask/stream``: answer shape, SSE order, history, bad bodies, failures."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.ask import stream_deltas
from qa.answering.disclaimer import DISCLAIMER
from qa.serialization import answer_payload
from qa.types import Answer
from tests.api.support import shared, sse_json


@pytest.fixture(scope="module")
def env(tmp_path_factory, store):
    """The shared API index on both stores: each test here runs on local and on milvus-lite."""
    return shared(tmp_path_factory, store)


def _turns(n):
    return [{"role": ("user", "assistant")[i % 2], "content": f"问题{i}"} for i in range(n)]


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
    assert alone["refused"]  # alone it names nothing to answer
    assert not body["refused"] and body["answer"].endswith(DISCLAIMER)
    assert any("共济" in c["title"] for c in body["citations"])


@pytest.mark.parametrize(
    ("question", "before", "cited"),
    [("那线下怎么办", "怎么激活医保码", "激活"), ("合肥呢", "南宁居民医保怎么交", "合肥")],
)
def test_elliptical_follow_ups_are_answered_with_citations(client, question, before, cited):
    history = [{"role": "user", "content": before}]
    body = client.post("/api/ask", json={"question": question, "history": history}).json()
    assert not body["refused"] and body["reason"] != "offtopic", body["answer"]
    assert any(cited in c["title"] or cited in c["quote"] for c in body["citations"])


def test_stream_events_in_order_and_text_matches(client):
    question = {"question": "医保码怎么激活"}
    with client.stream("POST", "/api/ask/stream", json=question) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_json(response.read().decode("utf-8"))
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}
    assert len(names) > 4  # the answer arrives in several deltas
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


def test_stream_deltas_rejoin_and_keep_markers_with_sentences():
    text = "第一句。[1]第二句!\n\n" + "长" * 130
    deltas = stream_deltas(text)
    assert "".join(deltas) == text
    assert deltas[0] == "第一句。[1]第二句!\n\n" and max(len(p) for p in deltas) <= 60


BAD_ASK_BODIES = {
    "empty question": ({"question": ""}, "问题不能为空"),
    "whitespace question": ({"question": "  \n\t "}, "问题不能为空"),
    "too long": ({"question": "医" * 501}, "问题太长"),
    "control character": ({"question": "医保码\x00怎么激活"}, "控制字符"),
    "escape character": ({"question": "医保\x1b[31m码"}, "控制字符"),
    "C1 control character": ({"question": "医保\x85码"}, "控制字符"),
    "missing question": ({"history": []}, "缺少必填字段 question"),
    "question number": ({"question": 12}, "必须是字符串"),
    "question null": ({"question": None}, "必须是字符串"),
    "question list": ({"question": ["医保"]}, "必须是字符串"),
    "history not list": ({"question": "医保码", "history": "医保"}, "必须是数组"),
    "history bad role": (
        {"question": "医保码", "history": [{"role": "system", "content": "x"}]},
        "取值无效",
    ),
    "history item not object": ({"question": "医保码", "history": ["x"]}, "JSON 对象"),
    "history missing content": ({"question": "医保码", "history": [{"role": "user"}]}, "缺少"),
    "history control char": (
        {"question": "医保码", "history": [{"role": "user", "content": "a\x07"}]},
        "控制字符",
    ),
    "history too long": ({"question": "医保码", "history": _turns(13)}, "对话历史太长"),
    "top_k zero": ({"question": "医保码", "top_k": 0}, "不能小于 1"),
    "top_k huge": ({"question": "医保码", "top_k": 21}, "不能大于 20"),
    "top_k text": ({"question": "医保码", "top_k": "abc"}, "必须是整数"),
    "top_k float": ({"question": "医保码", "top_k": 1.5}, "必须是整数"),
    "body list": (["医保码"], "JSON 对象"),
    "body string": ("医保码", "JSON 对象"),
    "body number": (3, "JSON 对象"),
}


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize("case", list(BAD_ASK_BODIES))
def test_bad_ask_bodies_are_422_with_bilingual_message(client, path, case):
    body, expected = BAD_ASK_BODIES[case]
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert expected in payload["detail"] and " / " in payload["detail"]
    assert payload["errors"] and all("message" in e and "loc" in e for e in payload["errors"])


def test_question_messages_are_chinese_then_english(client):
    detail = client.post("/api/ask", json={"question": "医" * 501}).json()["detail"]
    assert (
        detail == "问题太长了(最多 500 个字) / The question is too long (at most 500 characters)."
    )
    detail = client.post("/api/ask", json={"question": ""}).json()["detail"]
    assert detail == "问题不能为空 / The question must not be empty."


def test_boundary_lengths_are_accepted(client):
    assert client.post("/api/ask", json={"question": "医" * 500}).status_code == 200
    history = {"question": "医保", "history": _turns(12)}
    assert client.post("/api/ask", json=history).status_code == 200


class _BrokenService:
    documents: dict = {}

    def ask(self, question, history=(), top_k=None):
        raise RuntimeError("boom")


def test_service_failure_gives_chinese_error_answer(env, caplog):
    client = TestClient(create_app(env[0], service=_BrokenService()))
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", json={"question": "医保码怎么激活"})
    assert response.status_code == 500
    body = response.json()
    assert body["answer"].endswith(DISCLAIMER) and "抱歉" in body["answer"]
    assert body["reason"] == "error" and body["question"] == "医保码怎么激活"
    assert "boom" in caplog.text  # traceback logged
    with client.stream("POST", "/api/ask/stream", json={"question": "医保码怎么激活"}) as r:
        events = sse_json(r.read().decode("utf-8"))
    assert [n for n, _ in events] == ["error", "done"]
    assert events[0][1]["message"].endswith(DISCLAIMER) and events[0][1]["status"] == 500
