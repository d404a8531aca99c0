"""Fixtures shared by the API test modules: one fake-embedder service per module."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.api_support import shared


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """``(settings, service)`` over the real corpus with the fake embedder, rules-only refusal."""
    return shared(tmp_path_factory)


@pytest.fixture(scope="module")
def client(env):
    settings, service = env
    return TestClient(create_app(settings, service=service))
