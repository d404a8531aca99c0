"""Fixtures shared by the API tests: one fake-embedder service, a client, a live server."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.support import CHROMIUM, CHROMIUM_ARGS, shared
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """``(settings, service)`` over the real corpus with the fake embedder, rules-only refusal."""
    return shared(tmp_path_factory)


@pytest.fixture(scope="module")
def client(env):
    settings, service = env
    return TestClient(create_app(settings, service=service))


@pytest.fixture(scope="module")
def live(env):
    """``create_app`` over ``env`` served by uvicorn (API key ``x``), for real HTTP clients."""
    settings = env[0].model_copy(update={"api_keys": "x"})
    with LiveServer(create_app(settings, service=env[1])) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium for the widget and admin-page tests (one per test module)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs `pip install playwright`")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
