"""``/v1`` speaks OpenAI: checked with raw requests and with the official ``openai`` client."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.chat import message_pieces
from qa.answering.disclaimer import DISCLAIMER
from tests.api.support import shared, sse_json
from tests.live_server import LiveServer

QUESTION = "家庭共济怎么绑定家人"


@pytest.fixture(scope="module")
def env(tmp_path_factory, store):
    """The shared API index on both stores: each test here runs on local and on milvus-lite."""
    return shared(tmp_path_factory, store)


def _when(c: dict) -> str:
    """A footnote's date: the source's, else the day it was added (marked), else 日期未注明."""
    if c["date"]:
        return c["date"]
    return f"收录于 {c['added']}(原文未注明日期)" if c["added"] else "日期未注明"


def _chat(messages, **extra):
    return {"model": "yibao-qa", "messages": messages, **extra}


def test_models_lists_the_served_model(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["yibao-qa"]


def test_non_stream_completion(client):
    messages = [
        {"role": "system", "content": "You are a pirate."},  # ignored
        {"role": "user", "content": QUESTION},
    ]
    body = client.post("/v1/chat/completions", json=_chat(messages)).json()
    assert body["object"] == "chat.completion" and body["model"] == "yibao-qa"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert content.endswith(DISCLAIMER) and "[1]" in content
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    usage = body["usage"]
    assert usage["completion_tokens"] == len(content)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    plain = client.post("/api/ask", json={"question": QUESTION}).json()
    assert content == _with_sources(plain) and body["citations"] == plain["citations"]


def _with_sources(plain: dict) -> str:
    """What /v1 says for an /api/ask answer: its body, the 来源 footnotes, the disclaimer."""
    notes = [f"[{c['n']}]: {c['title']} — {_when(c)}" for c in plain["citations"]]
    body = plain["answer"].removesuffix(DISCLAIMER).strip()
    return "\n".join([body, "", "来源:", *notes, "", DISCLAIMER])


def test_sources_list_each_citation_with_title_and_date(client):
    plain = client.post("/api/ask", json={"question": QUESTION}).json()
    citations = plain["citations"]
    assert len(citations) >= 2 and any(c["date"] for c in citations)
    assert any(not c["date"] for c in citations)  # both kinds of date are shown
    body = client.post("/v1/chat/completions", json=_chat([{"role": "user", "content": QUESTION}]))
    content = body.json()["choices"][0]["message"]["content"]
    answer, sources = content.split("\n\n来源:\n")
    assert answer == plain["answer"].removesuffix(DISCLAIMER).strip()
    lines = sources.splitlines()
    assert lines[-2:] == ["", DISCLAIMER] and len(lines) == len(citations) + 2
    for line, c in zip(lines, citations, strict=False):
        assert line == f"[{c['n']}]: {c['title']} — {_when(c)}"
        assert ".txt" not in line and c["title"]


def test_refusal_has_no_sources_list(client):
    plain = client.post("/api/ask", json={"question": "你好"}).json()
    body = client.post("/v1/chat/completions", json=_chat([{"role": "user", "content": "你好"}]))
    assert plain["citations"] == [] and body.json()["citations"] == []
    assert body.json()["choices"][0]["message"]["content"] == plain["answer"]


def test_sources_off_gives_the_plain_answer(env):
    settings = env[0].model_copy(update={"openai_sources_in_text": False})
    client = TestClient(create_app(settings, service=env[1]))
    messages = [{"role": "user", "content": QUESTION}]
    body = client.post("/v1/chat/completions", json=_chat(messages)).json()
    plain = client.post("/api/ask", json={"question": QUESTION}).json()
    assert body["choices"][0]["message"]["content"] == plain["answer"]
    assert "来源:" not in plain["answer"] and body["citations"] == plain["citations"]


def test_source_title_falls_back_to_the_document_then_the_file_title_then_the_name(env):
    service = env[1]
    answer = service.ask(QUESTION)
    first = answer.citations[0]
    untitled = replace(answer, citations=(replace(first, title="", date=None, added=None),))
    document = service.documents[first.doc_id]
    pieces = message_pieces(untitled, service.documents, sources=True)
    assert f"[1]: {document.title} — 日期未注明\n" in pieces
    pieces = message_pieces(untitled, {}, sources=True)
    assert f"[1]: {first.source_title} — 日期未注明\n" in pieces  # the file's title, not its name
    bare = replace(untitled, citations=(replace(untitled.citations[0], source_title=None),))
    assert f"[1]: {first.source} — 日期未注明\n" in message_pieces(bare, {}, sources=True)


def test_history_from_earlier_messages_and_content_parts(client):
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "家庭共济怎么绑定家人"}]},
        {"role": "assistant", "content": "……"},
        {"role": "user", "content": [{"type": "text", "text": "那线下怎么办"}]},
    ]
    body = client.post("/v1/chat/completions", json=_chat(messages)).json()
    history = [
        {"role": "user", "content": "家庭共济怎么绑定家人"},
        {"role": "assistant", "content": "……"},
    ]
    plain = client.post("/api/ask", json={"question": "那线下怎么办", "history": history}).json()
    assert body["choices"][0]["message"]["content"] == _with_sources(plain)


def test_long_conversations_keep_only_recent_history(client):
    messages = [{"role": ("user", "assistant")[i % 2], "content": f"问题{i}"} for i in range(40)]
    messages.append({"role": "user", "content": QUESTION})
    assert client.post("/v1/chat/completions", json=_chat(messages)).status_code == 200


def test_unknown_model_is_404_in_openai_format(client):
    response = client.post("/v1/chat/completions", json={**_chat([]), "model": "gpt-4o"})
    assert response.status_code == 400  # the messages are checked first
    body = _chat([{"role": "user", "content": QUESTION}], model="gpt-4o")
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and "yibao-qa" in error["message"]


def test_stream_chunks_then_done(client):
    body = _chat([{"role": "user", "content": QUESTION}], stream=True)
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_json(response.read().decode("utf-8"))
    assert events[-1] == ("message", "[DONE]")
    chunks = [data for _, data in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    text = "".join(pieces)
    assert text.endswith(DISCLAIMER) and len(chunks) > 4
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop" and final["citations"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    plain = client.post("/api/ask", json={"question": QUESTION}).json()
    assert text == _with_sources(plain)
    notes = [p for p in pieces if p.startswith("[")]  # one piece per source line
    assert notes == [f"{line}\n" for line in _with_sources(plain).splitlines() if line[:1] == "["]


def test_stream_usage_chunk_when_asked(client):
    body = _chat([{"role": "user", "content": "你好"}], stream=True)
    body["stream_options"] = {"include_usage": True}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        events = sse_json(response.read().decode("utf-8"))
    usage_chunk = events[-2][1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0


BAD_CHAT_BODIES = {
    "no messages": {"model": "yibao-qa", "messages": []},
    "messages not list": {"model": "yibao-qa", "messages": "你好"},
    "last is assistant": {
        "model": "yibao-qa",
        "messages": [{"role": "user", "content": "医保码"}, {"role": "assistant", "content": "x"}],
    },
    "only system": {"model": "yibao-qa", "messages": [{"role": "system", "content": "你是助手"}]},
    "bad role": {"model": "yibao-qa", "messages": [{"role": "robot", "content": "医保码"}]},
    "empty question": {"model": "yibao-qa", "messages": [{"role": "user", "content": "  "}]},
    "question too long": {
        "model": "yibao-qa",
        "messages": [{"role": "user", "content": "医" * 501}],
    },
    "control character": {"messages": [{"role": "user", "content": "医保\x00码"}]},
    "stream not bool": {"messages": [{"role": "user", "content": "医保码"}], "stream": "maybe"},
    "content number": {"messages": [{"role": "user", "content": 5}]},
}


@pytest.mark.parametrize("case", list(BAD_CHAT_BODIES))
def test_bad_chat_bodies_are_400_in_openai_format(client, case):
    response = client.post("/v1/chat/completions", json=BAD_CHAT_BODIES[case])
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and " / " in error["message"]


def test_question_message_matches_the_ask_route(client):
    chat = client.post("/v1/chat/completions", json=BAD_CHAT_BODIES["question too long"])
    ask = client.post("/api/ask", json={"question": "医" * 501})
    assert chat.json()["error"]["message"] == ask.json()["detail"]


class _BrokenService:
    documents: dict = {}

    def ask(self, question, history=(), top_k=None):
        raise RuntimeError("boom")


def test_service_failure_is_a_500_in_openai_format(env):
    client = TestClient(create_app(env[0], service=_BrokenService()))
    body = _chat([{"role": "user", "content": QUESTION}])
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["message"].endswith(DISCLAIMER)
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        events = sse_json(r.read().decode("utf-8"))
    assert events[0][1]["error"]["code"] == "internal_error" and events[-1][1] == "[DONE]"


def test_openai_client_non_stream_and_stream(live):
    from openai import NotFoundError, OpenAI

    client = OpenAI(base_url=f"{live.url}/v1", api_key="x", max_retries=0)
    assert [m.id for m in client.models.list()] == ["yibao-qa"]

    completion = client.chat.completions.create(
        model="yibao-qa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert content.endswith(DISCLAIMER) and completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["n"] == 1 and f"[{citations[0]['n']}]" in content
    for c in citations:  # every [n] in the text points somewhere a generic client shows
        assert f"\n[{c['n']}]: {c['title']} — {_when(c)}\n" in content

    stream = client.chat.completions.create(
        model="yibao-qa", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    pieces, final = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.choices and chunk.choices[0].finish_reason == "stop":
            final = chunk
    assert "".join(pieces) == content and len(pieces) > 1
    assert final is not None and final.model_extra["citations"] == citations

    with pytest.raises(NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_openai_client_needs_the_api_key(live):
    from openai import AuthenticationError, OpenAI

    client = OpenAI(base_url=f"{live.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(AuthenticationError):
        client.models.list()


def test_openai_client_without_sources_in_text(env):
    from openai import OpenAI

    settings = env[0].model_copy(update={"openai_sources_in_text": False})
    with LiveServer(create_app(settings, service=env[1])) as server:
        client = OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0)
        messages = [{"role": "user", "content": QUESTION}]
        completion = client.chat.completions.create(model="yibao-qa", messages=messages)
        stream = client.chat.completions.create(model="yibao-qa", messages=messages, stream=True)
        streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        plain = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}).json()
    content = completion.choices[0].message.content
    assert content == streamed == plain["answer"] and "来源:" not in content
    assert completion.model_extra["citations"] == plain["citations"]
