"""``create_app``: the OpenAPI docs, and every API module imports first without a cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_docs_and_chinese_summaries(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/api/ask"]["post"]["summary"] == "提问:返回带引用的回答"
    assert "/" not in spec["paths"] and "/widget.js" not in spec["paths"]


@pytest.mark.parametrize(
    "module", ["api.errors", "api.deps", "api.middleware.stack", "api.schemas", "api.routes.chat"]
)
def test_module_imports_first_in_a_fresh_interpreter(module):
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("workers", "expected"), [(3, 3), (0, None)])
def test_the_thread_pool_is_sized_to_the_cores(tmp_path, workers, expected):
    import os

    import anyio.to_thread
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.conftest import rules_only_service

    service = rules_only_service(tmp_path, answer_workers=workers)
    with TestClient(create_app(service.settings, service)) as client:
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
        assert client.post("/api/ask", json={"question": "怎么激活医保码"}).status_code == 200
    assert tokens == (expected or os.cpu_count())
