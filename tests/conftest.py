"""Shared fixtures: settings that point at a temporary data dir and the real corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.chunking import chunk_documents
from ingest.loaders import load_paths
from qa.settings import Settings
from qa.types import Chunk, Document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def make_settings(tmp_path: Path, **overrides) -> Settings:
    """Fake-embedder settings isolated in ``tmp_path`` (no .env, no YIBAO_* leakage)."""
    values = {"embedder": "fake", "data_dir": tmp_path / "data", "corpus_dir": CORPUS}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Real bundled model; the converted model is cached under the repo's data dir."""
    data = tmp_path_factory.mktemp("real")
    models = ROOT / ".yibao" / "models"
    settings = Settings(_env_file=None, data_dir=data, corpus_dir=CORPUS)
    # Share the converted model across runs: convert once into the repo's .yibao/models.
    (data / "models").parent.mkdir(parents=True, exist_ok=True)
    models.mkdir(parents=True, exist_ok=True)
    (data / "models").symlink_to(models, target_is_directory=True)
    return settings


@pytest.fixture(scope="session")
def corpus_documents() -> list[Document]:
    """The bundled corpus, loaded once per test session (shared: do not modify)."""
    return load_paths([CORPUS], 2_000_000).documents


@pytest.fixture(scope="session")
def corpus_chunks(corpus_documents: list[Document]) -> list[Chunk]:
    """The bundled corpus chunked with the default size and overlap."""
    return chunk_documents(corpus_documents)
