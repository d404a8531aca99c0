"""Writing an index into Milvus: a full write (new collections, alias switch) or, when only some
sources changed, an incremental one that touches only those sources' rows.

Every row carries a ``batch`` (one per source per write). The records collection holds
manifests (``m/<gen>``): the live batch of each source, the batch of the term statistics, the
index meta. A query filters ``batch in [live batches]`` of the manifest it opened, so:

1. rows of a new batch are inserted while no manifest names them (invisible; rows a write
   that died left behind are deleted first: their batches are at or past ``next_batch``);
2. one new manifest row is inserted (a single-row write: the switch);
3. batches it replaced are deleted only at the *next* change, so a server still holding the
   previous manifest answers from whole sources until it reloads (as with the alias switch).

A full write is taken when nothing compatible is live (first write, other model, chunking or
tokenizer), when asked (``full=True``), or once the chunks changed since the last full write
exceed ``INCREMENTAL_SHARE`` of it: rows kept from earlier writes keep BM25 length
normalisation from the corpus they were written with, so the drift is bounded by a rewrite.

Example:
    >>> write_index(client, index, "yibao", version="v-2026…", lite=True)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections import defaultdict
from dataclasses import asdict, replace
from typing import Any

from qa.index.hybrid import HybridIndex
from qa.stores.milvus_lexical import as_sparse, doc_weights, term_stats
from qa.stores.milvus_manifest import (
    DUMMY,
    Manifest,
    forget_manifest,
    manifest_rows,
    parts_of,
    read_manifest,
)
from qa.stores.milvus_schema import create_collections, switch_aliases

logger = logging.getLogger(__name__)

BATCH = 1000
INCREMENTAL_SHARE = 0.2
COMPARED = ("model_id", "embedding_backend", "dim", "passage_prompt", "chunk_size")
COMPARED_TOO = ("chunk_overlap", "tokenizer", "format_version")


def _digests(index: HybridIndex) -> tuple[dict[str, list[int]], dict[str, list], dict[str, str]]:
    """Per source: its chunk rows, its documents, and a digest of both."""
    rows: dict[str, list[int]] = defaultdict(list)
    docs: dict[str, list] = defaultdict(list)
    for row, chunk in enumerate(index.chunks):
        rows[chunk.source].append(row)
    for doc in index.documents:
        docs[doc.source].append(doc)
    digests = {}
    for source in rows.keys() | docs.keys():
        h = hashlib.sha256()
        for doc in docs[source]:
            h.update(json.dumps(asdict(doc), ensure_ascii=False, sort_keys=True).encode())
        for row in rows[source]:
            h.update(json.dumps(asdict(index.chunks[row]), ensure_ascii=False).encode())
            h.update(index.vector_of(row).tobytes())  # another model or backend: new vectors
        digests[source] = h.hexdigest()
    return rows, docs, digests


class _Writer:
    """Inserts one index's sources as new batches into one set of collections."""

    def __init__(
        self, client: Any, collection: str, index: HybridIndex, m: Manifest, same: bool = False
    ) -> None:
        """``same``: number rows and pieces as the local index does (a full write), so ties
        break the same way as on the local store."""
        self.client, self.collection, self.index, self.m = client, collection, index, m
        self.same = same
        self.rows, self.docs, self.digests = _digests(index)
        self.text = doc_weights(index.bm25)
        self.title = doc_weights(index.titles.bm25)
        spans = index.sentences.spans
        self.pieces: dict[int, list[int]] = defaultdict(list)
        for piece in range(len(spans)):
            self.pieces[int(spans[piece, 0])].append(piece)

    def _insert(self, suffix: str, rows: list[dict]) -> None:
        for start in range(0, len(rows), BATCH):
            self.client.insert(self.collection + suffix, rows[start : start + BATCH])

    def source(self, source: str) -> int:
        """Insert ``source``'s chunks, pieces and documents as a new batch; return it."""
        m, index = self.m, self.index
        batch, m.next_batch = m.next_batch, m.next_batch + 1
        chunks, pieces = [], []
        for local in self.rows.get(source, []):
            row = local if self.same else m.next_row
            m.next_row = max(m.next_row, row) + 1
            chunk = index.chunks[local]
            chunks.append(
                {
                    "row": row,
                    "source": source,
                    "batch": batch,
                    "passage": index.vector_of(local).tolist(),
                    "title_vector": index.titles.vector_of(local).tolist(),
                    "text_sparse": as_sparse(self.text[local]),
                    "title_sparse": as_sparse(self.title[local]),
                    "record": json.dumps(asdict(chunk), ensure_ascii=False),
                }
            )
            for p in self.pieces.get(local, []):
                piece = p if self.same else m.next_piece
                m.next_piece = max(m.next_piece, piece) + 1
                vector = index.sentences.vector_of(p).tolist()
                pieces.append({"piece": piece, "vector": vector, "row": row, "batch": batch})
            m.most_pieces = max(m.most_pieces, len(self.pieces.get(local, [])))
        records = []
        for doc in self.docs.get(source, []):
            text = json.dumps(asdict(doc), ensure_ascii=False)
            for i, part in enumerate(parts_of(text)):
                key = f"d/{batch}/{doc.doc_id}/{i:04d}"
                records.append(
                    {
                        "key": key,
                        "name": doc.doc_id,
                        "batch": batch,
                        "record": part,
                        "vector": DUMMY,
                    }
                )
        self._insert("", chunks)
        self._insert("_pieces", pieces)
        self._insert("_records", records)
        return batch

    def stats(self) -> int:
        """Insert the corpus's term statistics (N, df per term) as a new batch; return it."""
        batch, self.m.next_batch = self.m.next_batch, self.m.next_batch + 1
        text = json.dumps(
            {
                "text": term_stats(self.index.bm25).to_json(),
                "title": term_stats(self.index.titles.bm25).to_json(),
            },
            ensure_ascii=False,
        )
        self._insert(
            "_records",
            [
                {"key": f"s/{batch}/{i:06d}", "name": "stats", "batch": batch, "record": p}
                | {"vector": DUMMY}
                for i, p in enumerate(parts_of(text))
            ],
        )
        return batch

    def publish(self) -> None:
        """Insert the manifest row: from now on, new queries see this state."""
        m = self.m
        m.n_chunks, m.n_documents = len(self.index.chunks), len(self.index.documents)
        m.meta, m.digests = asdict(self.index.meta), dict(self.digests)
        m.counts = {source: len(rows) for source, rows in self.rows.items()}
        *parts, switch = manifest_rows(m)  # a long manifest's parts go first, unseen
        self._insert("_records", parts)
        self._insert("_records", [switch])  # this one row is the switch


def _compatible(old: Manifest, index: HybridIndex) -> bool:
    new = asdict(index.meta)
    return all(old.meta.get(k) == new.get(k) for k in COMPARED + COMPARED_TOO)


def write_index(
    client: Any, index: HybridIndex, alias: str, version: str, lite: bool, full: bool = False
) -> str:
    """Bring the collections behind ``alias`` to ``index``; return "full", "incremental" or
    "unchanged"."""
    live = read_manifest(client, alias)
    if not full and live is not None and _compatible(live, index):
        target = str(_resolve(client, alias))
        state = replace(live, gen=live.gen + 1, live=dict(live.live), retired=[])
        writer = _Writer(client, target, index, state)
        changed = {s for s, d in writer.digests.items() if live.digests.get(s) != d}
        removed = set(live.live) - set(writer.digests)
        moved = live.changed_chunks + sum(live.counts.get(s, 0) for s in removed)
        moved += sum(len(writer.rows.get(s, [])) for s in changed)  # rewritten or new rows
        if not changed and not removed and live.n_chunks == len(index.chunks):
            if live.version != version:  # same content, new local version: name it live
                writer.m.version, writer.m.retired = version, list(live.retired)
                writer.publish()
                forget_manifest(client, target, live.gen - 1)
            return "unchanged"
        if moved <= INCREMENTAL_SHARE * max(live.full_chunks, 1):
            _delete(client, target, live.retired)  # superseded one change ago
            _delete(client, target, [], since=live.next_batch)  # left by a write that died
            m = writer.m
            m.retired = [live.live[s] for s in sorted(changed | removed) if s in live.live]
            m.retired.append(live.stats_batch)
            for source in sorted(removed):
                m.live.pop(source)
            for source in sorted(changed):
                m.live[source] = writer.source(source)
            m.stats_batch = writer.stats()
            m.version, m.changed_chunks = version, moved
            writer.publish()  # the switch
            forget_manifest(client, target, live.gen - 1)  # keep the previous one and this
            logger.info("milvus incremental write sources=%s removed=%s", changed, removed)
            return "incremental"
    target = f"{alias}__{_stamp(version or index.version)}"
    create_collections(client, target, index.meta.dim, lite)
    writer = _Writer(client, target, index, Manifest(meta={}, version=version), same=True)
    for source in sorted(writer.digests):
        writer.m.live[source] = writer.source(source)
    writer.m.stats_batch = writer.stats()
    writer.m.full_chunks = len(index.chunks)
    writer.publish()
    switch_aliases(client, alias, target)  # only now do queries see it
    return "full"


def _delete(client: Any, collection: str, batches: list[int], since: int = 0) -> None:
    """Delete the rows of ``batches`` (or of every batch from ``since`` on) everywhere."""
    expr = f"batch >= {since}" if since else f"batch in {sorted(set(batches))}"
    if batches or since:
        for suffix in ("", "_pieces", "_records"):
            client.delete(collection + suffix, filter=expr)


def _resolve(client: Any, name: str) -> str:
    """The collection an alias points at now (``name`` itself when it is no alias)."""
    if name in client.list_aliases().get("aliases", []):
        return str(client.describe_alias(name).get("collection_name") or name)
    return name


def _stamp(version: str) -> str:
    """A collection-name-safe version stamp (letters, digits, underscores), unique per write."""
    safe = re.sub(r"[^0-9A-Za-z]", "_", version)[:40]
    return f"{safe}_{uuid.uuid4().hex[:6]}" if safe else uuid.uuid4().hex[:12]
