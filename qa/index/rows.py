"""The row contract: what each index row embeds, and the cache key of its vector.

Row ``i`` of ``chunks.jsonl`` is FAISS vector ``i`` and BM25 document ``i``. Three kinds of
vector are stored, each keyed by a hash of exactly the string embedded (prompt included
where it differs), so a re-ingest reuses every vector whose input did not change:

* a passage — the chunk's title then its text (:func:`passage_input`), embedded as a passage;
* a title — the chunk's title, embedded as a query (question-to-question similarity);
* a sentence piece — a short run of whole sentences of a chunk (``ingest.sentences``),
  with the chunk's title, embedded as a query.

Changing any function here changes the keys: the next ingest re-embeds what changed.
"""

from __future__ import annotations

import hashlib


def passage_input(title: str, text: str) -> str:
    """The string embedded for a chunk: its title (often the question) then its text."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def passage_key(text: str) -> str:
    """Cache key of a passage vector: the embedded string (the passage prompt is in the meta)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def title_key(title: str, prompt: str) -> str:
    """Cache key of a title vector: the embedded string, prompt included."""
    return hashlib.sha256(f"title|{prompt}|{title}".encode()).hexdigest()[:24]


def piece_text(raw: str) -> str:
    """A sentence piece as embedded: runs of whitespace (line breaks, indentation) become one."""
    return " ".join(raw.split())


def sentence_input(title: str, piece: str) -> str:
    """The string embedded for a sentence piece: its chunk title, then the piece."""
    return f"{title}\n{piece}" if title else piece


def sentence_key(text: str, prompt: str) -> str:
    """Cache key of a sentence-piece vector: the embedded string, prompt included."""
    return hashlib.sha256(f"sentence|{prompt}|{text}".encode()).hexdigest()[:24]
