"""Synthetic corpora made from the five seed pages, for ``yibao bench --chunks N``.

Copy 0 is the seeds themselves. Every later copy is a variant that keeps the pages' layout
(title line, numbered headings, bullets, 相关推荐 snippets, date lines), so it is parsed and
chunked as the seeds are, but whose chunks are not near-copies of each other:

- the page title and every snippet title name a city (and often a year);
- every sentence is, with probability ``MIX``, replaced by a random sentence of any seed page;
- the sentences of a line are shuffled;
- place names are replaced by random cities of the gazetteer, and figures by other figures
  of the same number of digits (years by other years).

On corpora made of plain copies a nearest-neighbour index cannot be judged (thousands of
exact ties), and the near-duplicate collapse works far harder than on real documents.
:func:`duplicate_share` measures how often a chunk still has a near-duplicate.

Example:
    >>> write_corpus(Path("/tmp/c"), 10_000)  # about 10k chunks
    415
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from qa.text.normalize import char_bigrams
from qa.text.regions import _TABLE, find_regions

MIX = 0.5  # share of sentences taken from elsewhere in the seeds
_MARKER = re.compile(r"^(\s*(?:\d+\.|[一二三四五六七八九十]+、|•)?\s*)(.*)$")
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
_NUMBER = re.compile(r"\d+")
_DATE_LINE = re.compile(r"\d{4}-\d{2}-\d{2}")


@cache
def cities() -> tuple[str, ...]:
    """Every city of the gazetteer (unguarded names only), in table order."""
    names = []
    for _, _, listed in _TABLE:
        names += [t.split("=")[0] for t in listed.split() if not t.startswith("*")]
    return tuple(names)


def _figures(text: str, rng: random.Random) -> str:
    def swap(match: re.Match[str]) -> str:
        digits = match.group()
        if len(digits) == 4 and digits.startswith("20"):
            return str(rng.randint(2015, 2026))
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 1
        return str(rng.randint(low, 10 ** len(digits) - 1))

    return _NUMBER.sub(swap, text)


def _places(text: str, rng: random.Random) -> str:
    for place in find_regions(text):
        text = text.replace(place, rng.choice(cities()))
    return text


def _sentences(pages: Sequence[list[str]]) -> list[str]:
    """Every sentence of the content lines of the pages (the pool sentences are drawn from)."""
    pool = []
    for lines in pages:
        for line in lines[1:]:
            body = _MARKER.match(line).group(2)  # type: ignore[union-attr]
            if not _DATE_LINE.search(body):
                pool += [s for s in _SENTENCE.findall(body) if len(s) > 8 and s[-1] in "。；！？"]
    return pool


def _variant_line(line: str, pool: list[str], rng: random.Random) -> str:
    head, body = _MARKER.match(line).group(1, 2)  # type: ignore[union-attr]
    if not body or _DATE_LINE.search(body) or len(body) < 12:
        return line  # blank lines, headings, date lines: the layout stays
    parts = [rng.choice(pool) if rng.random() < MIX else s for s in _SENTENCE.findall(body)]
    rng.shuffle(parts)
    return head + _figures(_places("".join(parts), rng), rng)


def _variant_title(title: str, rng: random.Random) -> str:
    year = f"{rng.randint(2015, 2026)}年" if rng.random() < 0.5 else ""
    return f"{year}{rng.choice(cities())}{_places(title, rng)}"


def _is_title(lines: list[str], i: int) -> bool:
    """The page title (line 0) or a snippet title (the first line after 相关推荐 or a date)."""
    if i == 0:
        return True
    before = [line.strip() for line in lines[:i] if line.strip()]
    if not lines[i].strip() or not before:
        return False
    return before[-1] == "相关推荐" or bool(_DATE_LINE.search(before[-1]))


def variant(lines: list[str], pool: list[str], copy: int) -> list[str]:
    """Copy ``copy`` of a page (its lines); copy 0 is the page itself."""
    if copy == 0:
        return list(lines)
    rng = random.Random(copy * 7919 + len(lines))
    out = []
    for i, line in enumerate(lines):
        out.append(
            _variant_title(line, rng) if _is_title(lines, i) else _variant_line(line, pool, rng)
        )
    return out


def write_corpus(folder: Path, copies: int, seeds: Path) -> int:
    """``copies`` variants of each seed page into ``folder``; returns the file count."""
    pages = sorted(seeds.glob("*.txt"))
    texts = [p.read_text("utf-8").splitlines() for p in pages]
    pool = _sentences(texts)
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for page, lines in zip(pages, texts, strict=True):
            body = "\n".join(variant(lines, pool, copy))
            (folder / f"{copy:05d}_{page.name}").write_text(body, "utf-8")
    return copies * len(pages)


def duplicate_share(texts: Sequence[str], jaccard: float, sample: int = 200) -> float:
    """Share of ``sample`` texts that have another text with bigram Jaccard ≥ ``jaccard``."""
    grams = [char_bigrams(t) for t in texts]
    rng = random.Random(0)
    picked = rng.sample(range(len(texts)), min(sample, len(texts)))
    near = 0
    for i in picked:
        a = grams[i]
        near += any(
            j != i and a and b and len(a & b) / len(a | b) >= jaccard for j, b in enumerate(grams)
        )
    return near / max(len(picked), 1)
