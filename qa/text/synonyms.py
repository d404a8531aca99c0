"""The 医保 synonym table (``data/synonyms.toml``): groups, one-way expansions and typo fixes.

Example:
    >>> table = get_synonyms()
    >>> table.related("医保码怎么激活")
    ('医保电子凭证', '电子医保卡', '医保凭证', '电子凭证')
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qa.settings import DATA_DIR

logger = logging.getLogger(__name__)

SYNONYMS = DATA_DIR / "synonyms.toml"


@dataclass(frozen=True)
class SynonymTable:
    """Synonym data, loaded from TOML.

    Attributes:
        groups: Sets of interchangeable words.
        one_way: Word → words it gains (never the reverse).
        typos: Wrong spelling → right one (fixed only when more text follows).
    """

    groups: tuple[tuple[str, ...], ...]
    one_way: dict[str, tuple[str, ...]]
    typos: dict[str, str]

    @classmethod
    def load(cls, path: Path = SYNONYMS) -> SynonymTable:
        """Read and validate a synonym TOML file."""
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        groups = tuple(tuple(g["terms"]) for g in raw.get("group", ()))
        for group in groups:
            if len(group) < 2 or len(set(group)) != len(group):
                raise ValueError(f"synonym group needs 2+ distinct terms: {group}")
        one_way = {k: tuple(v) for k, v in raw.get("one_way", {}).items()}
        typos = dict(raw.get("typos", {}))
        logger.debug("synonyms loaded groups=%d one_way=%d", len(groups), len(one_way))
        return cls(groups, one_way, typos)

    def words(self) -> set[str]:
        """Every word the table mentions (for tests: each must occur somewhere)."""
        out = {t for g in self.groups for t in g}
        out |= set(self.one_way) | {w for ws in self.one_way.values() for w in ws}
        return out | set(self.typos.values())

    def fix_typos(self, text: str) -> str:
        """Fix known slips followed by more CJK text (``医保吗在…`` → ``医保码在…``)."""
        for wrong, right in self.typos.items():
            text = re.sub(re.escape(wrong) + r"(?=[\u4e00-\u9fff])", right, text)
        return text

    def related(self, text: str) -> tuple[str, ...]:
        """Words related to those found in ``text`` (longest match wins), in table order.

        A group member found only inside a longer member that also occurs (居民医保 inside
        城乡居民医保) still counts; words already in ``text`` are not repeated.
        """
        found: list[str] = []
        for group in self.groups:
            if any(term in text for term in group):
                found.extend(t for t in group if t not in text)
        for word, gains in self.one_way.items():
            if word in text:
                found.extend(g for g in gains if g not in text)
        return tuple(dict.fromkeys(found))

    def variants(self, word: str) -> tuple[str, ...]:
        """``word`` and the words related to it: what counts as naming it (补交: 补缴 too)."""
        return (word, *self.related(word))

    def passage_related(self, text: str) -> tuple[str, ...]:
        """Words a passage is also indexed under: its groups' other members, and the words
        whose one-way gains it contains (a passage saying 家人 also answers 爸妈)."""
        found: list[str] = []
        for group in self.groups:
            if any(term in text for term in group):
                found.extend(t for t in group if t not in text)
        for word, gains in self.one_way.items():
            if word not in text and any(g in text for g in gains):
                found.append(word)
        return tuple(dict.fromkeys(found))


@cache
def get_synonyms() -> SynonymTable:
    """The process-wide synonym table (read on first use)."""
    return SynonymTable.load()
