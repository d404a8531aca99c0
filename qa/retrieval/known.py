"""Known questions: questions answered before, each pointing at the passage that answers it.

A sixth retrieval signal (``known``): the question is compared with every known question
(query-to-query, what e5 does best; known questions are embedded as written) and the chunks of
the ``k`` nearest vote, each with its best cosine. The questions come from a JSONL file
(``YIBAO_KNOWN_QUESTIONS``; by default the packaged ``qa/data/known_questions.jsonl``, exported
from the gold set's tuning splits by ``yibao eval --known-questions``), one object per line::

    {"question": "支付宝里咋激活医保码", "source": "000_….txt",
     "anchor": "支付宝搜索“医保码”", "group": "k"}

``anchor`` is a span of the answering passage in ``source``: it is found again in the loaded
chunks, so the file survives re-chunking; an entry whose anchor no chunk holds is skipped with
a warning. ``group`` names the set an entry was written in: an evaluation asks each question
with its own group held out (:func:`held_out`), so no question is scored against itself.

The vectors are cached in ``<models_dir>/known-questions/<hash>.npy`` (plain arrays, loaded
without pickle), keyed by the model, backend, prompt and the exact texts embedded.

Example:
    >>> known = load_known(settings, store.chunks, embedder)
    >>> known.top(embedder.embed_queries(["医保码怎么激活"])[0], k=30)[0]
    (3, 0.93)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.embedders.base import Embedder
from qa.settings import DATA_DIR, Settings
from qa.text.normalize import holds_anchor
from qa.types import Chunk

logger = logging.getLogger(__name__)

DEFAULT_KNOWN_QUESTIONS = DATA_DIR / "known_questions.jsonl"
CACHE_DIR = "known-questions"
FIELDS = ("question", "source", "anchor")

#: Schemes besides 医保: a known question about 养老保险 never votes for a 医保 question (e5
#: finds 第一次交城乡居民养老保险怎么办理 close to 城乡居民医保第一次怎么交).
_OTHER_SCHEMES = re.compile(r"养老|失业|工伤|生育|公积金")

_HELD_OUT: ContextVar[frozenset[str]] = ContextVar("known_held_out", default=frozenset())


class KnownQuestionsError(ValueError):
    """The known-questions file cannot be read (message in Chinese, with the line)."""


@dataclass(frozen=True)
class KnownQuestion:
    """One known question and where its answer is."""

    question: str
    source: str
    anchor: str
    group: str = ""


@contextlib.contextmanager
def held_out(groups: Sequence[str]) -> Iterator[None]:
    """Within the block, known questions of ``groups`` do not vote (this thread/task only)."""
    token = _HELD_OUT.set(frozenset(groups))
    try:
        yield
    finally:
        _HELD_OUT.reset(token)


def read_known_questions(path: Path) -> list[KnownQuestion]:
    """Parse the JSONL file; a malformed line raises :class:`KnownQuestionsError`."""
    entries = []
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KnownQuestionsError(f"{path} 第 {lineno} 行不是合法的 JSON:{exc.msg}") from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) and data[k].strip() for k in FIELDS
        ):
            raise KnownQuestionsError(f"{path} 第 {lineno} 行缺少 question / source / anchor 字段")
        question, source, anchor = (data[k] for k in FIELDS)
        entries.append(KnownQuestion(question, source, anchor, str(data.get("group", ""))))
    return entries


@dataclass
class KnownQuestions:
    """Known-question vectors, the chunk rows each points at, and each one's group."""

    vectors: np.ndarray  # (n, dim) float32, unit rows
    rows: list[tuple[int, ...]]
    groups: np.ndarray  # (n,) str
    schemes: np.ndarray | None = None  # (n,) str: the other schemes each names, sorted, joined

    def top(
        self,
        vector: np.ndarray,
        k: int,
        nearest: int = 3,
        min_score: float = -1.0,
        asked: str = "",
    ) -> list[tuple[int, float]]:
        """The chunk rows of the ``nearest`` known questions most like a unit query vector,
        ``(row, best cosine)``, best first, at most ``k``. Held-out groups, questions below
        ``min_score`` and (given the ``asked`` text) questions naming other schemes than it
        (养老, 失业, 工伤, 生育, 公积金) do not vote."""
        if not len(self.rows):
            return []
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        excluded = _HELD_OUT.get()
        if excluded:
            sims = np.where(np.isin(self.groups, list(excluded)), -np.inf, sims)
        if self.schemes is not None and asked:
            sims = np.where(self.schemes == schemes_of(asked), sims, -np.inf)
        n = min(nearest, len(sims))
        best = np.argpartition(-sims, n - 1)[:n]
        votes: dict[int, float] = {}
        for i in sorted(best, key=lambda i: (-sims[i], i)):
            if np.isfinite(sims[i]) and sims[i] >= min_score:
                for row in self.rows[i]:
                    votes.setdefault(row, float(sims[i]))
        return sorted(votes.items(), key=lambda item: (-item[1], item[0]))[:k]


def schemes_of(text: str) -> str:
    """The schemes besides 医保 a text names, sorted and joined (养老 / 公积金 …; "" = none)."""
    return "+".join(sorted(set(_OTHER_SCHEMES.findall(text))))


def resolve_rows(
    entries: Sequence[KnownQuestion], chunks: Sequence[Chunk]
) -> list[tuple[int, ...]]:
    """Per entry, the chunk rows of its source holding its anchor (empty when none does)."""
    by_source: dict[str, list[int]] = {}
    wanted = {e.source for e in entries}
    for row, chunk in enumerate(chunks):
        if chunk.source in wanted:
            by_source.setdefault(chunk.source, []).append(row)
    return [
        tuple(r for r in by_source.get(e.source, []) if holds_anchor(chunks[r].text, e.anchor))
        for e in entries
    ]


def load_known(
    settings: Settings, chunks: Sequence[Chunk], embedder: Embedder
) -> KnownQuestions | None:
    """The known questions for ``chunks``, embedded (or read from the cache); None when the
    signal is off or the file is empty."""
    path = settings.known_questions or DEFAULT_KNOWN_QUESTIONS
    if settings.known_question_weight <= 0:
        return None
    if not path.is_file():
        raise KnownQuestionsError(f"找不到已知问题文件 {path}(YIBAO_KNOWN_QUESTIONS)")
    entries = read_known_questions(path)
    rows = resolve_rows(entries, chunks)
    kept = [i for i, r in enumerate(rows) if r]
    if len(kept) < len(entries):
        logger.warning("known questions without their passage skipped=%d", len(entries) - len(kept))
    if not kept:
        return None
    vectors = _cached_vectors(settings, embedder, [entries[i].question for i in kept])
    groups = np.array([entries[i].group for i in kept], dtype=str)
    schemes = np.array([schemes_of(entries[i].question) for i in kept], dtype=str)
    logger.info("known questions loaded=%d path=%s", len(kept), path)
    return KnownQuestions(vectors, [rows[i] for i in kept], groups, schemes)


def _cached_vectors(settings: Settings, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Query vectors of ``texts``, from the cache when the same texts were embedded before."""
    key = json.dumps(
        [embedder.model_id, settings.embedding_backend, settings.query_prompt, texts],
        ensure_ascii=False,
    )
    folder = settings.models_dir / CACHE_DIR
    path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npy"
    if path.is_file():
        with contextlib.suppress(ValueError, OSError):
            cached = np.load(path, allow_pickle=False)
            if cached.shape[0] == len(texts):
                return cached.astype(np.float32)
    vectors = np.asarray(embedder.embed_queries(texts), dtype=np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(temp, vectors, allow_pickle=False)
    os.replace(temp, path)
    return vectors
