"""Bad input is a clear 4xx (Chinese + English), never a 5xx; unexpected errors are JSON."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.errors import error_payload, field_name, question_message
from api.schemas import ValidationErrorPublic
from qa.answering.disclaimer import DISCLAIMER
from qa.service import InvalidQuestionError, validate_question

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "raw",
    [b"{bad json", b"", b'{"question": "\\ud800"}', b"\xff\xfe", b"null", b'{"question": "a"'],
)
def test_malformed_json_is_4xx(client, raw):
    response = client.post("/api/ask", content=raw, headers=JSON)
    assert response.status_code == 422 and " / " in response.json()["detail"]


def test_invalid_json_says_so(client):
    detail = client.post("/api/ask", content=b"{bad", headers=JSON).json()["detail"]
    assert detail.startswith("请求体不是有效的 JSON / ")


def test_unknown_path_and_method_are_json(client):
    assert client.get("/api/nope").json() == {"detail": "找不到该接口 / Not found."}
    assert client.get("/api/ask").json() == {"detail": "不支持该请求方法 / Method not allowed."}
    assert client.get("/v1/nope").json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("question", ["", "医" * 501, "a\x00b", "  "])
def test_every_validate_question_message_has_an_english_half(question):
    with pytest.raises(InvalidQuestionError) as caught:
        validate_question(question)
    zh, en = question_message(caught.value).split(" / ")
    assert zh and not zh.endswith("。") and en.startswith("The question")


def test_error_payload_shapes():
    assert error_payload("/api/ask", 404, "x") == {"detail": "x"}
    assert error_payload("/v1/models", 429, "x") == {
        "error": {"message": "x", "type": "rate_limit_error", "code": "rate_limit_exceeded"}
    }
    assert error_payload("/v1", 500, "x")["error"]["code"] is None
    assert field_name(("body", "history", 0, "role")) == "history[0].role"


class _OddService:
    """Answers with something that is not an ``Answer``: a bug past the service call."""

    documents: dict = {}

    def ask(self, question, history=(), top_k=None):
        return object()


def test_unexpected_error_is_an_answer_shaped_500(env, caplog):
    client = TestClient(create_app(env[0], service=_OddService()), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", json={"question": "医保码怎么激活"})
    assert response.status_code == 500
    body = response.json()
    assert body["answer"].endswith(DISCLAIMER) and body["reason"] == "error"
    assert "unhandled error path=/api/ask" in caplog.text
    chat = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}
    )
    assert chat.status_code == 500 and chat.json()["error"]["type"] == "server_error"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["question", "history", "top_k", "role", "content", "messages", "model"]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)
ask_like = st.fixed_dictionaries(
    {"question": json_values | st.text(max_size=600)},
    optional={"history": json_values, "top_k": json_values},
)
chat_like = st.fixed_dictionaries(
    {
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.text(max_size=10) | st.just("user"), "content": json_values}
            )
            | json_values,
            max_size=4,
        )
        | json_values
    },
    optional={"model": st.just("yibao-qa") | json_values, "stream": json_values},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values | ask_like)
def test_random_ask_bodies_never_5xx(client, body):
    assert client.post("/api/ask", content=json.dumps(body), headers=JSON).status_code < 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values | chat_like)
def test_random_chat_bodies_never_5xx(client, body):
    response = client.post("/v1/chat/completions", content=json.dumps(body), headers=JSON)
    assert response.status_code < 500


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_5xx(client, raw):
    for path in ("/api/ask", "/v1/chat/completions", "/api/feedback"):
        assert client.post(path, content=raw, headers=JSON).status_code < 500


def test_allow_names_every_method_of_the_path(client):
    response = client.options("/api/admin/reindex")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert client.put("/api/ask").headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_a_body_that_is_not_utf8_is_a_bilingual_400(client, path):
    response = client.post(path, content='{"question": "\xff"}'.encode("latin-1"), headers=JSON)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("请求体无法解析,应为 UTF-8 编码的 JSON / ")


def test_422_bodies_have_the_documented_shape(client):
    body = client.post("/api/ask", json={"question": 3, "top_k": 0}).json()
    parsed = ValidationErrorPublic.model_validate(body)
    assert [e.loc for e in parsed.errors] == [["body", "question"], ["body", "top_k"]]
    assert parsed.detail == parsed.errors[0].message
