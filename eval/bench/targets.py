"""What ``yibao bench`` times, built once: yibao's service and the LangChain-default retriever.

Both come from :func:`eval.systems.build_systems`, exactly as ``yibao eval`` builds them: our
index from the data folder (refreshed first by ``run_ingest`` when stale) with its embedder,
and the LangChain quick-start recipe (500/50 splits, FAISS, top 4) over the same raw pages
with the same model wrapped in ``HuggingFaceEmbeddings``. Questions are the unsealed gold
items (dev + test); the sealed split is never loaded.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eval.baselines import LangChainDefault
from eval.bench.timing import Operation
from eval.gold import DEFAULT_GOLD, SEALED, GoldItem, load_gold, split_items
from eval.systems import AnswerSystem, build_systems
from qa.service import AnswerService
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


class Invokable(Protocol):
    """A LangChain-style retriever: ``invoke(question)`` returns the documents."""

    def invoke(self, question: str, /) -> Any: ...


@dataclass(frozen=True)
class Targets:
    """The two systems under test and the size of their indexes."""

    service: AnswerService
    baseline: Invokable
    baseline_chunks: int | None = None


def build_targets(settings: Settings) -> Targets:
    """yibao's ``AnswerService`` and ``LangChainDefault``'s retriever over the same corpus."""
    answer, default = build_systems(["yibao", "langchain-default"], settings)
    if not isinstance(answer, AnswerSystem) or not isinstance(default, LangChainDefault):
        raise TypeError("build_systems returned unexpected systems")
    retriever = default.store.as_retriever(search_kwargs={"k": default.k})
    return Targets(answer.service, retriever, len(default.chunks))


def operations(service: AnswerService, baseline: Invokable) -> list[Operation]:
    """The four timed operations, in their base order (see ``timing.OPERATIONS``)."""
    embedder = service.retriever.embedder
    return [
        Operation("encode", "embedder.embed_queries([q])", lambda q: embedder.embed_queries([q])),
        Operation(
            "retrieval", "service.retriever.retrieve(q)", lambda q: service.retriever.retrieve(q)
        ),
        Operation("answer", "service.ask(q)", lambda q: service.ask(q)),
        Operation("langchain", "retriever.invoke(q)", lambda q: baseline.invoke(q)),
    ]


def bench_questions(limit: int | None = None, gold: Path = DEFAULT_GOLD) -> list[GoldItem]:
    """The first ``limit`` dev + test gold items by id (all when None); never sealed ones."""
    items = [it for it in split_items(load_gold(gold), "all") if it.split != SEALED]
    return items if limit is None else items[: max(limit, 0)]


def git_commit(cwd: Path = ROOT) -> str | None:
    """``git rev-parse --short HEAD`` in ``cwd``, or None without git or a repository."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def torch_threads() -> int | None:
    """``torch.get_num_threads()``, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return int(torch.get_num_threads())


def environment() -> dict[str, Any]:
    """The machine the numbers come from."""
    return {
        "torch_threads": torch_threads(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": git_commit(),
    }
