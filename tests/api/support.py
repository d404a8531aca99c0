"""Helpers for the API tests: one fake-embedder index per session (both stores) and SSE parsing.

The live server is ``tests.live_server.LiveServer``; the rules-only service helpers live in
``tests/conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa.settings import Settings
from tests.conftest import corpus_index, on_store, rules_only_settings

#: Debian's Chromium, driven by Playwright (its own browser download cannot work here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ADMIN_KEY = "admin-secret"
#: What the API tests change on top of ``rules_only_settings``.
API_OVERRIDES: dict[str, Any] = {
    "rate_limit_per_minute": 0,
    "auth_failures_per_minute": 0,
    "admin_key": ADMIN_KEY,
}
_SHARED: dict[str, Any] = {}


def api_settings(tmp: Path, **overrides: Any) -> Settings:
    """``rules_only_settings`` for the API: no rate limits, admin key ``ADMIN_KEY``."""
    return rules_only_settings(tmp, **(API_OVERRIDES | overrides))


def shared(tmp_path_factory: pytest.TempPathFactory, store: str = "local") -> tuple[Settings, Any]:
    """API settings and a loaded service on ``store`` over the session's corpus index
    (``tests.conftest.corpus_index``: built once, on both stores), one service per store."""
    from qa.refusal.calibration import FALLBACK_MODEL
    from qa.service import AnswerService

    if store not in _SHARED:
        settings = on_store(corpus_index(tmp_path_factory), store, **API_OVERRIDES)
        service = AnswerService.load(settings)
        assert service.refusal_model == FALLBACK_MODEL  # rules only: fake scores mean nothing
        _SHARED[store] = (settings, service)
    return _SHARED[store]


def parse_sse(raw: str) -> list[tuple[str, str]]:
    """``(event, data)`` pairs of a raw SSE stream (event ``message`` when unnamed)."""
    events = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, "\n".join(data)))
    return events


def sse_json(raw: str) -> list[tuple[str, Any]]:
    """Like ``parse_sse`` with each data field decoded as JSON (``[DONE]`` kept as text)."""
    return [(name, data if data == "[DONE]" else json.loads(data)) for name, data in parse_sse(raw)]
