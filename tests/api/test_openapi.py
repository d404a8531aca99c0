"""The OpenAPI document is what the server answers, checked by a bounded schemathesis run."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.schemas import NO_CONTROL_PATTERN, QUESTION_PATTERN
from qa.service import InvalidQuestionError, validate_question
from qa.text.normalize import has_control_chars
from tests.api.support import ADMIN_KEY, API_OVERRIDES
from tests.conftest import rules_only_service
from tests.live_server import LiveServer

CONFIG = Path(__file__).with_name("schemathesis.toml")
API_KEY = "contract-key"
#: A bounded run: examples per operation (12 operations, several phases), a fixed seed.
MAX_EXAMPLES = 25
SEED = 20261130
ERROR_STATUSES = {"400", "401", "403", "404", "409", "413", "422", "429", "500", "503"}


def _document(env, **update):
    client = TestClient(create_app(env[0].model_copy(update=update), env[1]))
    return client.get("/openapi.json").json()


def test_every_operation_documents_its_errors(env):
    document = _document(env)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert "413" in statuses, (method, path)
            for status in statuses & ERROR_STATUSES:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert "$ref" in schema, (method, path, status)
            if path.startswith("/v1/"):
                assert "422" not in statuses and {"401", "429"} <= statuses
            elif path.startswith("/api/admin/"):
                assert {"403", "429"} <= statuses
    ask = document["paths"]["/api/ask"]["post"]["responses"]
    assert ask["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ValidationErrorPublic"
    )
    assert ask["429"]["headers"]["Retry-After"]["required"] is True
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_document_follows_the_settings(env):
    open_doc = _document(env, max_history_turns=3)
    history = open_doc["components"]["schemas"]["AskRequest"]["properties"]["history"]
    assert [b.get("maxItems") for b in history["anyOf"]] == [6, None]
    assert "security" not in open_doc["paths"]["/api/ask"]["post"]
    keyed = _document(env, api_keys="k")
    assert keyed["paths"]["/api/ask"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in keyed["paths"]["/healthz"]["get"]


def _accepted(question: str) -> bool:
    try:
        validate_question(question)
    except InvalidQuestionError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.characters(codec="utf-8") | st.sampled_from(" \t\n\x0b\x1c\x85\u3000\ufeff\x07"),
        max_size=520,
    )
)
def test_the_question_pattern_is_validate_question(question):
    assert bool(re.search(QUESTION_PATTERN, question)) == _accepted(question)
    assert bool(re.search(NO_CONTROL_PATTERN, question)) == (not has_control_chars(question))


def test_question_pattern_edges():
    for question in ["  医" + "保" * 499 + "\u3000", "a\x0b", "\ufeff"]:
        assert re.search(QUESTION_PATTERN, question) and _accepted(question)
    for question in [" " + "医" * 501, "a\x0bb", "\x0b", " ", ""]:
        assert not re.search(QUESTION_PATTERN, question) and not _accepted(question)


def test_schemathesis_finds_no_failure(tmp_path):
    """Every check of ``schemathesis run --checks all`` against a live server.

    Keys are set (the document then declares Bearer security and schemathesis also checks
    that requests without them are refused); the rate limits are off so every case reaches
    the routes. ``schemathesis.toml`` lists the rules JSON Schema cannot state.
    """
    service = rules_only_service(tmp_path, **(API_OVERRIDES | {"api_keys": API_KEY}))
    app = create_app(service.settings, service=service, loader=lambda _: service)
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
        *("--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED)),
        *("--workers", "1", "--generation-database", "none", "--no-color"),
        *("--header", f"X-Admin-Key: {ADMIN_KEY}", "--header", f"Authorization: Bearer {API_KEY}"),
    ]
    with LiveServer(app) as server:
        started = time.monotonic()
        done = subprocess.run(
            [*command, server.url + "/openapi.json"],
            cwd=tmp_path,  # schemathesis looks for a config and writes nothing here
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds = time.monotonic() - started
    cases = re.search(r"(\d+) generated", done.stdout)
    print(f"schemathesis: {cases and cases[0]} in {seconds:.0f} s")  # shown with -s / -rP
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert cases and int(cases[1]) >= 200  # the run really ran
