"""The manifest of a Milvus store: which batch of each source is live (see ``milvus_write``).

A manifest is one row of the records collection (``m/<gen>``); inserting it is the switch a
write ends with. A manifest longer than one VARCHAR (65 535 bytes: hundreds of sources) is
written as parts (``m/<gen>/<i>``, name ``manifest-part``) *before* that row, whose record then
only says how many parts to join, so the switch stays one single-row insert.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from qa.stores.milvus_schema import LAYOUT

PART_CHARS = 16_000  # a VARCHAR holds 65 535 bytes; 16 000 chars fit even as 4-byte UTF-8
DUMMY = [1.0, 0.0]  # the records collection's placeholder vector


@dataclass
class Manifest:
    """One state of the store: which batch of each source is live, and what to delete next."""

    meta: dict
    version: str
    gen: int = 1
    live: dict[str, int] = field(default_factory=dict)  # source → batch
    digests: dict[str, str] = field(default_factory=dict)  # source → content digest
    counts: dict[str, int] = field(default_factory=dict)  # source → chunks
    n_chunks: int = 0
    n_documents: int = 0
    most_pieces: int = 0
    stats_batch: int = 0
    next_batch: int = 1
    next_row: int = 0
    next_piece: int = 0
    retired: list[int] = field(default_factory=list)  # batches to delete at the next change
    full_chunks: int = 0  # chunks at the last full write
    changed_chunks: int = 0  # chunks written or removed incrementally since then
    layout: int = LAYOUT

    def batches(self) -> list[int]:
        """The batches a query of this manifest may see."""
        return sorted({*self.live.values(), self.stats_batch})


def manifest_key(gen: int) -> str:
    return f"m/{gen:012d}"


def parts_of(text: str) -> list[str]:
    """``text`` cut into VARCHAR-sized parts (at least one)."""
    return [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]


def manifest_rows(m: Manifest) -> list[dict[str, Any]]:
    """The rows that write ``m``: its parts (if it needs several), then the manifest row."""
    key, parts = manifest_key(m.gen), parts_of(json.dumps(asdict(m), ensure_ascii=False))
    rows = []
    if len(parts) > 1:
        rows = [
            {"key": f"{key}/{i:04d}", "name": "manifest-part", "batch": 0, "record": p}
            for i, p in enumerate(parts)
        ]
    record = parts[0] if len(parts) == 1 else json.dumps({"parts": len(parts)})
    rows.append({"key": key, "name": "manifest", "batch": 0, "record": record})
    return [row | {"vector": DUMMY} for row in rows]


def forget_manifest(client: Any, collection: str, gen: int) -> None:
    """Delete manifest ``gen`` and its parts (a write that is undone)."""
    if gen > 0:
        key = manifest_key(gen)
        client.delete(f"{collection}_records", ids=[key])
        client.delete(f"{collection}_records", filter=f'key like "{key}/%"')


def read_manifest(client: Any, collection: str) -> Manifest | None:
    """The newest manifest of ``collection``'s records, or None (empty, or an older layout)."""
    if not client.has_collection(f"{collection}_records"):
        return None
    for suffix in ("", "_pieces", "_records"):  # a database reopened starts released
        if client.has_collection(collection + suffix):
            client.load_collection(collection + suffix)
    fields = {f["name"] for f in client.describe_collection(f"{collection}_records")["fields"]}
    if "name" not in fields:  # layout 1 (the first slice): no manifests
        return None
    found = client.query(
        f"{collection}_records", filter='name == "manifest"', output_fields=["key", "record"]
    )
    if not found:
        return None
    newest = max(found, key=lambda r: r["key"])
    raw = json.loads(newest["record"])
    if set(raw) == {"parts"}:  # a long manifest: its parts were written before this row
        parts = client.query(
            f"{collection}_records",
            filter=f'name == "manifest-part" and key like "{newest["key"]}/%"',
            output_fields=["key", "record"],
            limit=raw["parts"],
        )
        raw = json.loads("".join(p["record"] for p in sorted(parts, key=lambda p: p["key"])))
    if raw.get("layout") != LAYOUT:
        return None
    return Manifest(**{k: v for k, v in raw.items() if k in Manifest.__dataclass_fields__})
