"""LlmComposer (official ``openai`` client) against a fake OpenAI-compatible server
(FastAPI served on 127.0.0.1 by ``tests.live_server.LiveServer``)."""

import asyncio
import re

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from qa.answering.extractive import ExtractiveComposer
from qa.answering.llm import SYSTEM_PROMPT, LlmComposer
from qa.retrieval.question import understand
from qa.types import Hit
from tests.conftest import make_settings
from tests.live_server import LiveServer, free_port

ACTIVATE = [
    ("医保从来没用过怎么激活 一、线上激活方式", ""),
    ("医保从来没用过怎么激活 三、注意事项", ""),
]
GOOD = "选择参保地后点击【立即激活】即可[2]。未激活医保码的参保人需本人到场完成人脸识别[1]。"


class FakeChatServer:
    """Answers POST /v1/chat/completions with the scripted ``reply`` and records requests.

    ``reply`` is ``("content", text)``, ``("status", code)``, ``("sleep", seconds)`` or
    ``("raw", body)``.
    """

    def __init__(self) -> None:
        self.reply: tuple[str, object] = ("content", "")
        self.requests: list[dict] = []
        app = FastAPI()
        app.post("/v1/chat/completions")(self._chat)
        self.live = LiveServer(app)
        self.url = f"{self.live.url}/v1"

    async def _chat(self, request: Request):
        self.requests.append({"json": await request.json(), "headers": dict(request.headers)})
        kind, value = self.reply
        if kind == "status":
            return JSONResponse({"error": {"message": "boom"}}, status_code=value)
        if kind == "raw":
            return PlainTextResponse(value)
        if kind == "sleep":
            await asyncio.sleep(value)
            value = GOOD
        message = {"role": "assistant", "content": value}
        return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}

    def __enter__(self) -> "FakeChatServer":
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()


@pytest.fixture(scope="module")
def server():
    with FakeChatServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def corpus(corpus_documents, corpus_chunks):
    """``({doc_id: document}, chunks)`` of the bundled corpus."""
    return {d.doc_id: d for d in corpus_documents}, corpus_chunks


@pytest.fixture
def settings(tmp_path, server):
    return make_settings(
        tmp_path,
        llm_base_url=server.url,
        llm_model="qwen2.5:7b-instruct",
        llm_api_key="sk-test",
        llm_timeout=5.0,
    )


def hits(chunks, wanted) -> list[Hit]:
    picked = [next(c for c in chunks if t in c.title and x in c.text) for t, x in wanted]
    return [Hit(chunk, rank, 1.0 / rank) for rank, chunk in enumerate(picked, start=1)]


def ask(server, settings, corpus, reply, question="怎么激活医保码", wanted=ACTIVATE, **kw):
    server.reply = reply
    documents, chunks = corpus
    composer = LlmComposer(settings, ExtractiveComposer(settings), **kw)
    return composer.compose(understand(question), hits(chunks, wanted), documents)


def test_good_answer_is_kept_with_citations(server, settings, corpus):
    server.requests.clear()
    result = ask(server, settings, corpus, ("content", GOOD))
    assert (result.composer, result.reason) == ("llm", "")
    assert result.body.startswith(
        "选择参保地后点击【立即激活】即可[1]。未激活医保码的参保人需本人到场完成人脸识别[2]。"
    )
    documents, chunks = corpus
    online, notes = (hit.chunk for hit in hits(chunks, ACTIVATE))
    assert [c.chunk_id for c in result.citations] == [notes.chunk_id, online.chunk_id]
    for citation, chunk in zip(result.citations, (notes, online), strict=True):
        assert citation.quote == chunk.text == documents[chunk.doc_id].text[chunk.start : chunk.end]
        assert (citation.start, citation.end) == (chunk.start, chunk.end)
    (request,) = server.requests
    assert request["json"]["model"] == "qwen2.5:7b-instruct"
    assert request["json"]["temperature"] == 0 and not request["json"].get("stream")
    assert request["headers"]["authorization"] == "Bearer sk-test"
    system, user = request["json"]["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert "[1] 标题:医保从来没用过怎么激活 一、线上激活方式\n" in user["content"]
    assert "[2] 标题:医保从来没用过怎么激活 三、注意事项\n" in user["content"]
    assert "【立即激活】" in user["content"] and user["content"].endswith("问题:怎么激活医保码")


def test_hallucinated_figure_falls_back(server, settings, corpus):
    result = ask(server, settings, corpus, ("content", "激活需要先缴纳999元[1]。"))
    assert result.composer == "extractive" and "999" in result.reason
    expected = ExtractiveComposer(settings).compose(
        understand("怎么激活医保码"), hits(corpus[1], ACTIVATE), corpus[0]
    )
    assert result.body == expected.body and result.citations == expected.citations


def test_unknown_marker_is_removed(server, settings, corpus):
    result = ask(server, settings, corpus, ("content", "选择参保地后点击【立即激活】[1][9]。"))
    assert result.composer == "llm"
    assert result.body.startswith("选择参保地后点击【立即激活】[1]。")
    assert "[9]" not in result.body and len(result.citations) == 1


def test_marker_forms_are_normalised(server, settings, corpus):
    result = ask(server, settings, corpus, ("content", "到场人脸识别【2】,或者在APP激活[1，2]。"))
    assert result.body.startswith("到场人脸识别[1],或者在APP激活[2][1]。")
    assert len(result.citations) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (("status", 400), "HTTP 400"),
        (("raw", "not json"), "not chat-completion JSON"),
        (("raw", '{"object": "chat.completion"}'), "not chat-completion JSON"),
        (("raw", '{"choices": []}'), "not chat-completion JSON"),
        (("content", "   "), "empty"),
        (("content", "资料中没有相关内容。"), "cites no passage"),
    ],
)
def test_failures_fall_back_with_a_reason(server, settings, corpus, reply, reason):
    result = ask(server, settings, corpus, reply)
    assert result.composer == "extractive" and reason in result.reason
    assert result.body and result.citations  # the extractive answer


def test_server_errors_are_retried_then_fall_back(server, settings, corpus):
    server.requests.clear()
    result = ask(server, settings, corpus, ("status", 503))
    assert result.composer == "extractive" and "HTTP 503" in result.reason
    assert len(server.requests) == 1 + settings.llm_max_retries


def test_timeout_is_retried_then_falls_back(server, tmp_path, corpus):
    settings = make_settings(tmp_path, llm_base_url=server.url, llm_model="m", llm_timeout=0.3)
    server.requests.clear()
    result = ask(server, settings, corpus, ("sleep", 2.0))
    # the client gave up (the reason names the timeout), retried, then fell back
    assert result.composer == "extractive" and "timed out after 0.3s" in result.reason
    assert len(server.requests) == 1 + settings.llm_max_retries
    assert result.body and result.citations


def test_unreachable_endpoint_falls_back(tmp_path, corpus):
    port = free_port()  # nothing listens on it once the probe socket is closed
    settings = make_settings(tmp_path, llm_base_url=f"http://127.0.0.1:{port}/v1", llm_model="m")
    documents, chunks = corpus
    composer = LlmComposer(settings, ExtractiveComposer(settings))
    result = composer.compose(understand("怎么激活医保码"), hits(chunks, ACTIVATE), documents)
    assert result.composer == "extractive" and "LLM request failed" in result.reason


def test_disclaimer_and_thinking_are_stripped(server, settings, corpus):
    reply = (
        "<think>用户想知道如何激活。</think>选择参保地后点击【立即激活】[1]。\n\n"
        "提示:本内容不能代替面诊,如有不适请尽快就医。"
    )
    result = ask(server, settings, corpus, ("content", reply))
    assert result.composer == "llm"
    assert "本内容不能代替面诊" not in result.body and "think" not in result.body
    assert result.body.startswith("选择参保地后点击【立即激活】[1]。")


def test_trust_notes_are_added_in_code(server, settings, corpus):
    wanted = [
        ("错过了城乡居民医疗保险的缴费期限怎么办", "12393"),
        ("医保从来没用过怎么激活 四、特殊情况处理", ""),
    ]
    reply = ("content", "可以拨打医保热线12393咨询[1]。")
    result = ask(server, settings, corpus, reply, question="医保咨询热线是多少", wanted=wanted)
    assert result.composer == "llm"
    (note, *_) = result.notes
    assert "不一致" in note and "12393[1]" in note and "12333[2]" in note
    assert "12333" in result.citations[1].quote
    assert set(re.findall(r"\[(\d+)\]", result.body)) == {"1", "2"}


def test_injected_client_is_used(server, settings, corpus):
    server.requests.clear()
    client = openai.OpenAI(
        base_url=server.url, api_key="sk-injected", default_headers={"X-Caller": "test"}
    )
    with client:
        result = ask(server, settings, corpus, ("content", GOOD), client=client)
    assert result.composer == "llm"
    (request,) = server.requests
    assert request["headers"]["authorization"] == "Bearer sk-injected"
    assert request["headers"]["x-caller"] == "test"


def test_no_key_sends_a_placeholder_not_the_environment(server, tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    settings = make_settings(tmp_path, llm_base_url=server.url + "/", llm_model="m")
    server.requests.clear()
    result = ask(server, settings, corpus, ("content", GOOD))
    assert result.composer == "llm"
    assert server.requests[0]["headers"]["authorization"] == "Bearer none"
    assert server.requests[0]["json"]["model"] == "m"


def test_without_base_url_nothing_is_sent(server, tmp_path, corpus):
    server.requests.clear()
    result = ask(server, make_settings(tmp_path), corpus, ("content", GOOD))
    assert result.composer == "extractive" and "llm_base_url" in result.reason
    assert server.requests == []
