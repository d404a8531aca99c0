"""``/v1`` speaks OpenAI: checked with raw requests and with the official ``openai`` client."""

from __future__ import annotations

import pytest

from api.app import create_app
from qa.answering.disclaimer import DISCLAIMER
from tests.api.api_support import ServerThread, sse_json

QUESTION = "家庭共济怎么绑定家人"


@pytest.fixture(scope="module")
def server(env):
    settings = env[0].model_copy(update={"api_keys": "x"})
    with ServerThread(create_app(settings, service=env[1])) as running:
        yield running


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
    assert content == plain["answer"]


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
    assert body["choices"][0]["message"]["content"] == plain["answer"]


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
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.endswith(DISCLAIMER) and len(chunks) > 4
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop" and final["citations"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])


def test_stream_usage_chunk_when_asked(client):
    body = _chat([{"role": "user", "content": "你好"}], stream=True)
    body["stream_options"] = {"include_usage": True}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        events = sse_json(response.read().decode("utf-8"))
    usage_chunk = events[-2][1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0


def test_openai_client_non_stream_and_stream(server):
    from openai import NotFoundError, OpenAI

    client = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    assert [m.id for m in client.models.list()] == ["yibao-qa"]

    completion = client.chat.completions.create(
        model="yibao-qa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert content.endswith(DISCLAIMER) and completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["n"] == 1 and f"[{citations[0]['n']}]" in content

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


def test_openai_client_needs_the_api_key(server):
    from openai import AuthenticationError, OpenAI

    client = OpenAI(base_url=f"{server.base_url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(AuthenticationError):
        client.models.list()
