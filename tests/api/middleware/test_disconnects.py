"""A client hanging up mid-stream is one DEBUG line, never a WARNING or ERROR record."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import struct
import time

import pytest

from api.app import create_app
from tests.live_server import LiveServer

LONG_TEXT = "医保码可以在国家医保服务平台激活。" * 2000  # ~2000 SSE events


class LongAnswers:
    """The shared service, with answers long enough that a stream is still being written
    when the client hangs up."""

    def __init__(self, service):
        self.service = service
        self.documents = service.documents

    def ask(self, question, history=(), top_k=None):
        answer = self.service.ask(question, history, top_k=top_k)
        return dataclasses.replace(answer, text=LONG_TEXT + answer.text)


def _hang_up_after_first_event(port: int, path: str, body: dict) -> None:
    raw = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(raw)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + raw)
        received = b""
        while b"data:" not in received:
            received += sock.recv(4096)
        # close with RST, as a killed client does: the server's next writes fail at once
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/ask/stream", {"question": "怎么激活医保码"}),
        (
            "/v1/chat/completions",
            {"stream": True, "messages": [{"role": "user", "content": "怎么激活医保码"}]},
        ),
    ],
)
def test_hanging_up_mid_stream_logs_no_warning(env, caplog, path, body):
    settings, service = env
    with caplog.at_level(logging.DEBUG):
        with LiveServer(create_app(settings, service=LongAnswers(service))) as server:
            for _ in range(3):
                _hang_up_after_first_event(server.port, path, body)
            deadline = time.monotonic() + 10  # the request lines are written as streams end
            while len([r for r in caplog.records if r.getMessage().startswith("request")]) < 3:
                assert time.monotonic() < deadline, "the streams did not end"
                time.sleep(0.05)
    loud = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
    hangups = [r for r in caplog.records if r.getMessage().startswith("client disconnected")]
    assert len(hangups) == 3 and all(r.levelno == logging.DEBUG for r in hangups)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("request id=")]
    assert all("disconnected=True" in line for line in lines)
