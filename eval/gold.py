"""Load and split the hand-written evaluation gold set (``gold.jsonl``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

from eval.schema import GoldItem, GoldKind

DEFAULT_GOLD = Path(__file__).with_name("gold.jsonl")
SPLITS = ("all", "dev", "test")
KINDS: tuple[str, ...] = get_args(GoldKind)
_REQUIRED = ("id", "question", "kind", "source", "anchor", "key_facts", "reference", "note")
_TEXT_FIELDS = ("id", "question", "kind", "source", "anchor", "reference", "note")


class GoldFormatError(ValueError):
    """A gold file line that cannot be turned into a valid :class:`GoldItem`."""


def load_gold(path: Path = DEFAULT_GOLD) -> list[GoldItem]:
    """Parse and validate a gold JSONL file.

    Each non-blank line must be a JSON object with the fields ``id``, ``question``,
    ``kind``, ``source``, ``anchor``, ``key_facts``, ``reference`` and ``note``.

    Args:
        path: The JSONL file to read.

    Returns:
        The items in file order.

    Raises:
        GoldFormatError: On the first invalid line, naming the file, the line number
            and the problem (bad JSON, missing field, bad kind, duplicate id, ...).
    """
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            item = _parse_line(line, path, lineno)
            if item.id in seen:
                raise _error(
                    path, lineno, f"duplicate id {item.id!r} (first on line {seen[item.id]})"
                )
            seen[item.id] = lineno
            items.append(item)
    return items


def split_items(items: Iterable[GoldItem], split: str) -> list[GoldItem]:
    """Select the ``all``, ``dev`` or ``test`` part of the gold items.

    The split is fixed and stratified by kind: within each kind, items are sorted by
    id and every third one (index % 3 == 2) goes to ``test``, the rest to ``dev``.

    Args:
        items: Gold items (any order).
        split: ``"all"``, ``"dev"`` or ``"test"``.

    Returns:
        The selected items, sorted by id.

    Raises:
        ValueError: If ``split`` is not one of the valid values.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid values: {', '.join(SPLITS)}")
    ordered = sorted(items, key=lambda it: it.id)
    if split == "all":
        return ordered
    want_test = split == "test"
    chosen: list[GoldItem] = []
    for kind in sorted({it.kind for it in ordered}):
        group = [it for it in ordered if it.kind == kind]
        chosen.extend(it for i, it in enumerate(group) if (i % 3 == 2) == want_test)
    return sorted(chosen, key=lambda it: it.id)


def _parse_line(line: str, path: Path, lineno: int) -> GoldItem:
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _error(path, lineno, f"malformed JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise _error(path, lineno, "expected a JSON object")
    missing = [name for name in _REQUIRED if name not in record]
    if missing:
        raise _error(path, lineno, f"missing field(s): {', '.join(missing)}")
    for name in _TEXT_FIELDS:
        if not isinstance(record[name], str):
            raise _error(path, lineno, f"field {name!r} must be a string")
    if not record["id"].strip() or not record["question"].strip():
        raise _error(path, lineno, "id and question must not be empty")
    kind = record["kind"]
    if kind not in KINDS:
        raise _error(path, lineno, f"bad kind {kind!r}; expected one of {', '.join(KINDS)}")
    facts = record["key_facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
        raise _error(path, lineno, "key_facts must be a list of non-empty strings")
    if kind != "unanswerable":
        if not record["source"] or not record["anchor"] or not facts:
            raise _error(path, lineno, f"a {kind} item needs a source, an anchor and a key fact")
    return GoldItem(
        id=record["id"],
        question=record["question"],
        kind=kind,
        source=record["source"],
        anchor=record["anchor"],
        key_facts=tuple(facts),
        reference=record["reference"],
        note=record["note"],
    )


def _error(path: Path, lineno: int, problem: str) -> GoldFormatError:
    return GoldFormatError(f"{path}:{lineno}: {problem}")
