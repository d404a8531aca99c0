"""Shared fixtures: settings that point at a temporary data dir and the real corpus.

Also the rules-only service helpers (``rules_only_settings``, ``build_service``,
``rules_only_service``), the corpus loaded and chunked once per session, and two helpers
for linear-time tests (``growth``, ``one_line``).

Both stores: the ``store`` fixture (``local`` | ``milvus``, session-scoped) parametrises every
suite that retrieves through an index; ``corpus_index`` is the bundled corpus ingested once per
session with ``store=milvus`` — one ingestion writes the local version and the milvus-lite
collections (``<data dir>/milvus.db``) from the same vectors — and ``on_store`` points
settings at either. The milvus case is skipped when ``yibao-qa[milvus]`` is not installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api.logging_setup import HangupNoiseFilter, YibaoHandler
from ingest.chunking import chunk_documents
from ingest.loaders import load_paths
from qa.embedders.fake import FakeEmbedder
from qa.settings import Settings
from qa.types import Chunk, Document

if TYPE_CHECKING:
    from qa.service import AnswerService

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
HAS_MILVUS = all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite"))
STORES = [
    pytest.param("local", id="local"),
    pytest.param(
        "milvus",
        id="milvus",
        marks=pytest.mark.skipif(not HAS_MILVUS, reason='needs pip install "yibao-qa[milvus]"'),
    ),
]
_INDEXED: dict[str, Settings] = {}

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def growth(run: Callable[[int], object], n: int, factor: int = 10, repeats: int = 5) -> float:
    """Best-of-``repeats`` time of ``run(factor * n)`` over that of ``run(n)``.

    About ``factor`` for linear work and ``factor ** 2`` for quadratic: assert a bound well
    between the two (e.g. ``3 * factor``), so a busy machine does not fail the test.
    """

    def best(size: int) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run(size)
            times.append(time.perf_counter() - start)
        return min(times)

    return best(factor * n) / max(best(n), 1e-6)


def one_line(kind: str, n: int) -> str:
    """A file's single line of ``n`` characters: without punctuation, with it, or random CJK."""
    if kind == "plain":
        return ("参保人员在定点医疗机构就医发生的费用按规定报销" * n)[:n]
    if kind == "punctuated":
        return ("参保人员在定点医疗机构就医,发生的费用按规定报销。" * n)[:n]
    rng = random.Random(n)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))


def make_settings(tmp_path: Path, **overrides) -> Settings:
    """Fake-embedder settings isolated in ``tmp_path`` (no .env, no YIBAO_* leakage)."""
    values = {"embedder": "fake", "data_dir": tmp_path / "data", "corpus_dir": CORPUS}
    values.update(overrides)
    return Settings(_env_file=None, **values)


class QueryCountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it embeds as queries (titles, sentence pieces)."""

    def __init__(self) -> None:
        super().__init__(256)
        self.queries = 0

    def embed_queries(self, texts):
        self.queries += len(texts)
        return super().embed_queries(texts)


def rules_only_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """``make_settings`` with a rules-only refusal model saved to ``tmp_path/calibration.json``.

    The model is ``FALLBACK_MODEL`` (never refuses on scores): the scores of fake vectors
    mean nothing, so only the refusal rules decide.
    """
    from qa.refusal.calibration import FALLBACK_MODEL, save_model

    calibration = tmp_path / "calibration.json"
    save_model(FALLBACK_MODEL, calibration)
    return make_settings(tmp_path, **({"calibration_path": calibration} | overrides))


def build_service(settings: Settings) -> AnswerService:
    """Ingest ``settings.corpus_dir`` into ``settings.data_dir`` and load an ``AnswerService``."""
    from ingest.pipeline import run_ingest
    from qa.service import AnswerService

    run_ingest(settings)
    return AnswerService.load(settings)


def rules_only_service(tmp_path: Path, **overrides: Any) -> AnswerService:
    """An indexed fake-embedder ``AnswerService`` over ``rules_only_settings(tmp_path, ...)``."""
    from qa.refusal.calibration import FALLBACK_MODEL

    service = build_service(rules_only_settings(tmp_path, **overrides))
    assert service.refusal_model == FALLBACK_MODEL  # loaded from the saved calibration
    return service


def indexed_on_both(settings: Settings) -> Settings:
    """Ingest ``settings.corpus_dir`` into the local files and (when installed) milvus-lite.

    Returns ``settings`` with ``store=local``; ``on_store`` switches it.
    """
    from ingest.pipeline import run_ingest

    run_ingest(settings.model_copy(update={"store": "milvus" if HAS_MILVUS else "local"}))
    return settings.model_copy(update={"store": "local"})


def on_store(settings: Settings, store: str, **overrides: Any) -> Settings:
    """``settings`` reading the index from ``store`` (built by ``indexed_on_both``)."""
    return settings.model_copy(update={"store": store, **overrides})


def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Rules-only settings over the bundled corpus, indexed on both stores once per session."""
    if "settings" not in _INDEXED:
        tmp = tmp_path_factory.mktemp("corpus-index")
        _INDEXED["settings"] = indexed_on_both(rules_only_settings(tmp))
    return _INDEXED["settings"]


@pytest.fixture(scope="session", params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """The index store under test: ``local`` (FAISS + bm25s files) or ``milvus`` (milvus-lite)."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _restore_logging():
    """Undo ``configure_logging`` (run by every ``yibao`` command a test invokes)."""
    names = ("", "api", "uvicorn", "uvicorn.error", "uvicorn.asgi", "jieba")
    loggers = [logging.getLogger(n) for n in names]
    saved = [(x, x.level, x.handlers[:], x.propagate) for x in loggers]
    yield
    for logger, level, handlers, propagate in saved:
        logger.setLevel(level)
        if logger.name != "root":  # pytest swaps its own root handlers around each phase
            logger.handlers[:], logger.propagate = handlers, propagate
    root, asyncio_logger = logging.getLogger(), logging.getLogger("asyncio")
    for handler in [h for h in root.handlers if isinstance(h, YibaoHandler)]:
        root.removeHandler(handler)
    for found in [f for f in asyncio_logger.filters if isinstance(f, HangupNoiseFilter)]:
        asyncio_logger.removeFilter(found)


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
