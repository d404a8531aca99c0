"""Is the live index up to date? The hash of everything an index depends on, and the check.

Example:
    >>> fresh = check(settings, model_id, loaded.file_hashes, sources=[corpus])
    >>> fresh.up_to_date  # same files, settings, model, code and sources as the live index
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.embedders.factory import backend_for
from qa.index.hybrid import HybridIndex
from qa.index.versions import IndexCorruptError, IndexLoadError
from qa.settings import Settings
from qa.text.synonyms import SYNONYMS
from qa.text.tokenizer import tokenizer_signature

logger = logging.getLogger(__name__)

#: Bump when parsing or chunking changes what is indexed, so old indexes count as stale.
#: 2: BM25 tokens include synonyms; title BM25, title vectors and sentence vectors.
#: 3: substring postings stored (``substrings/``; an index without them builds them at load).
PIPELINE_VERSION = 3


@dataclass(frozen=True)
class Freshness:
    """The previous index (None when missing, unreadable or ignored) and the new corpus hash."""

    previous: HybridIndex | None
    digest: str
    sources: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """Whether the previous index was built from the same paths, files, settings and model."""
        return (
            self.previous is not None
            and self.previous.meta.corpus_hash == self.digest
            and self.previous.meta.sources == self.sources
        )


def corpus_hash(
    file_hashes: dict[str, str],
    settings: Settings,
    model_id: str,
    removed_docs: Sequence[str] = (),
) -> str:
    """Hash of everything an index depends on: files, chunker settings, model and backend, code,
    and the documents removed from the knowledge base."""
    payload = {
        "files": sorted(file_hashes.items()),
        "chunk": [settings.chunk_size, settings.chunk_overlap, settings.max_file_bytes],
        "pieces": settings.piece_chars if settings.sentence_dense_weight > 0 else 0,  # 0: none
        "model": model_id,
        "backend": backend_for(settings),
        "prompt": settings.passage_prompt,
        "query_prompt": settings.query_prompt,  # titles are embedded as queries
        "tokenizer": tokenizer_signature(),
        "synonyms": hashlib.sha256(SYNONYMS.read_bytes()).hexdigest(),
        "pipeline": PIPELINE_VERSION,
    }
    if removed_docs:  # only when used, so older indexes keep their hash
        payload["removed_docs"] = sorted(removed_docs)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def check(
    settings: Settings,
    model_id: str,
    file_hashes: dict[str, str],
    rebuild: bool = False,
    sources: Sequence[Path] = (),
    removed_docs: Sequence[str] = (),
) -> Freshness:
    """Stage 3: the live index (unless ``rebuild``) and the hash the new one would carry."""
    previous = None
    if not rebuild:
        try:
            previous = HybridIndex.load(
                settings.index_dir, model_id=model_id, backend=backend_for(settings)
            )
        except IndexCorruptError as exc:
            logger.warning("the live index is damaged, rebuilding it: %s", exc)
        except IndexLoadError as exc:
            logger.info("no reusable index: %s", exc)
    digest = corpus_hash(file_hashes, settings, model_id, removed_docs)
    return Freshness(previous, digest, [str(p) for p in sources])
