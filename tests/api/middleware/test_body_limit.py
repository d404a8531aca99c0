"""Bodies over ``max_body_bytes`` get 413 with the error payload, with or without a length."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.live_server import LiveServer

TEN_MB = 10 * 1024 * 1024
JSON = {"content-type": "application/json"}


def _big_body(size: int) -> bytes:
    """A valid ask body of ``size`` bytes: the question plus one unknown field."""
    head = b'{"question": "\\u600e\\u4e48\\u6fc0\\u6d3b\\u533b\\u4fdd\\u7801", "padding": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def _chunks(body: bytes, size: int = 65536):
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture(scope="module")
def limited(env):
    return TestClient(create_app(env[0], service=env[1]))  # default limit: 1 MiB


def test_ten_megabytes_with_content_length_is_413(limited):
    response = limited.post("/api/ask", content=_big_body(TEN_MB), headers=JSON)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "请求体太大(最多 1048576 字节) / Request body too large (at most 1048576 bytes)."
    }


def test_ten_megabytes_chunked_without_content_length_is_413(limited):
    response = limited.post("/api/ask", content=_chunks(_big_body(TEN_MB)), headers=JSON)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "请求体太大" in response.json()["detail"]


def test_openai_routes_answer_413_in_openai_shape(limited):
    body = json.dumps({"messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]})
    response = limited.post("/v1/chat/completions", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_every_route_is_limited_and_bodies_under_the_limit_pass(env):
    client = TestClient(create_app(env[0].model_copy(update={"max_body_bytes": 2000}), env[1]))
    assert client.post("/api/ask", content=_big_body(2000), headers=JSON).status_code == 200
    assert client.post("/api/ask", content=_big_body(2001), headers=JSON).status_code == 413
    assert client.request("GET", "/healthz", content=b"x" * 2001).status_code == 413
    assert client.get("/healthz").status_code == 200


def test_a_real_server_refuses_a_streamed_upload(env):
    with LiveServer(create_app(env[0], service=env[1])) as server:
        response = httpx.post(
            server.url + "/api/ask", content=_chunks(_big_body(TEN_MB)), headers=JSON, timeout=30
        )
        assert response.status_code == 413 and "请求体太大" in response.json()["detail"]
        ok = httpx.post(server.url + "/api/ask", json={"question": "怎么激活医保码"}, timeout=30)
        assert ok.status_code == 200  # the server carries on
