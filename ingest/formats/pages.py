"""Parser for scraped Q&A pages: one main article plus its 相关推荐 snippets.

A page is: a title line, an optional ``YYYY-MM-DD HH:MM:SS社保网`` stamp, the article
body, then furniture (the 面诊 disclaimer, ``社保网声明…投诉`` and its link list,
``大家都在搜``, ``首页 顶部``) and a ``相关推荐`` list of snippets, each a question line,
an answer and a ``健康新闻 YYYY-MM-DD`` line. Furniture never reaches a content Document;
the link list's entries (``title YYYY-MM-DD HH:MM医保知识``) become ``link`` Documents, a
title with no body, which ingestion keeps apart (``qa.types.LinkTitle``). A title
or question line too long to be one (:func:`qa.text.titles.is_title_line`) is kept as text.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text.normalize import compact
from qa.text.regions import find_regions
from qa.text.titles import derived_title, is_title_line
from qa.types import DocKind, Document, Section

logger = logging.getLogger(__name__)

_DISCLAIMER = "提示:本内容不能代替面诊"
_SITE_NOTICE = "社保网声明"
_RELATED = "相关推荐"
_FURNITURE = frozenset({_RELATED, "大家都在搜", "首页顶部"})  # compared without spaces
_SNIPPET_DATE = re.compile(r"健康新闻\s*(\d{4}-\d{2}-\d{2})")
#: One link-list entry: its title, then the listing's date, time and column name.
_LINK_ENTRY = re.compile(r"(\S.*?)\s*(\d{4}-\d{2}-\d{2})\s+\d{1,2}:\d{2}\s*医保知识")
#: A title's trailing date in brackets: (2025/04/27), (4月27日), (25年4月27日) …
_TITLE_DATE = re.compile(r"\s*[((][^()()]*\d[^()()]*[))]\s*$")
_SITE_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*社保网")

_MAX_HEADING = 40
_MAX_PARENT_HEADING = 15
_END_PUNCT = ("。", ",", ",", ";", ";", ":", ":", "、", "!", "!", "…")
_LIST_ITEM = re.compile(r"[•·●○■◆▪*\-–—]|\d+[.、.)]|[((]\d+[))]")
_NUMBERED = re.compile(r"[一二三四五六七八九十]+[、.．]")
_QUESTION = re.compile(r"[??]$|怎么|怎样|如何|什么|哪里|哪些|哪个|多少|是否|能否|吗$|呢$")


@dataclass(frozen=True)
class Line:
    """One line of a text: ``text`` is stripped and equals ``raw[start:end]``."""

    text: str
    start: int
    end: int
    indented: bool


def split_lines(raw: str) -> list[Line]:
    """Split ``raw`` into lines (blank ones included) with offsets of the stripped text."""
    lines: list[Line] = []
    pos = 0
    for chunk in raw.splitlines(keepends=True):
        body = chunk.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        text = body.strip()
        lines.append(Line(text, pos + lead, pos + lead + len(text), lead > 0))
        pos += len(chunk)
    return lines


def doc_id_for(title: str, text: str) -> str:
    """Content id: equal for texts that differ only in spacing, punctuation or width."""
    key = compact(title) + "\x1f" + compact(text)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def make_document(
    raw: str,
    source: str,
    kind: DocKind,
    title: str,
    body: Sequence[Line],
    *,
    date: str | None = None,
    time: str | None = None,
    sections: tuple[Section, ...] | None = None,
) -> Document | None:
    """Build a Document whose text is ``raw`` from the first to the last non-blank body line.

    ``sections=None`` means: detect them with :func:`find_sections`.
    """
    content = [ln for ln in body if ln.text]
    if not content:
        return None
    start, end = content[0].start, content[-1].end
    text = raw[start:end]
    if sections is None:
        sections = find_sections(body, start)
    return Document(
        doc_id=doc_id_for(title, text),
        source=source,
        kind=kind,
        title=title,
        text=text,
        date=date,
        time=time,
        regions=find_regions(title + "\n" + text),
        start=start,
        end=end,
        sections=sections,
    )


def find_sections(body: Sequence[Line], base: int) -> tuple[Section, ...]:
    """Top-level headed parts of a body; offsets are relative to ``base``.

    A heading is a short stand-alone line (blank lines around it, not indented, no list
    marker, no closing punctuation). Top-level headings are numbered ones (``一、…``),
    questions (``…怎么办``), and parents (a short heading directly followed by another,
    as in ``参保登记`` → ``线上登记``). A section spans its heading line up to the last
    non-blank line before the next top-level heading.
    """
    heads = [i for i in range(len(body)) if _is_top_heading(body, i)]
    sections = []
    for n, first in enumerate(heads):
        stop = heads[n + 1] if n + 1 < len(heads) else len(body)
        last = max(i for i in range(first, stop) if body[i].text)
        sections.append(Section(body[first].text, body[first].start - base, body[last].end - base))
    return tuple(sections)


def _is_heading(body: Sequence[Line], i: int) -> bool:
    line = body[i]
    text = line.text
    if not text or line.indented or len(text) > _MAX_HEADING or _LIST_ITEM.match(text):
        return False
    if text.endswith(_END_PUNCT) or "。" in text:
        return False
    blank_before = i == 0 or not body[i - 1].text
    blank_after = i + 1 == len(body) or not body[i + 1].text
    return blank_before and blank_after


def _is_top_heading(body: Sequence[Line], i: int) -> bool:
    if not _is_heading(body, i):
        return False
    text = body[i].text
    if _NUMBERED.match(text) or _QUESTION.search(text):
        return True
    after = next((j for j in range(i + 1, len(body)) if body[j].text), None)
    return (
        after is not None
        and len(text) <= _MAX_PARENT_HEADING
        and _is_heading(body, after)
        and len(body[after].text) <= _MAX_PARENT_HEADING
        and not _NUMBERED.match(body[after].text)
        and not _QUESTION.search(body[after].text)
    )


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _is_furniture(text: str) -> bool:
    key = _nfkc(text)
    if key.startswith((_DISCLAIMER, _SITE_NOTICE)):
        return True
    return re.sub(r"\s+", "", key) in _FURNITURE


def looks_like_page(raw: str) -> bool:
    """Whether ``raw`` is a scraped page: a 面诊 disclaimer, a 社保网 stamp under the title,
    or 相关推荐 followed by ``健康新闻 YYYY-MM-DD`` lines."""
    keys = [_nfkc(line) for line in raw.splitlines() if line.strip()]
    if any(key.startswith(_DISCLAIMER) for key in keys):
        return True
    if len(keys) > 1 and _SITE_STAMP.fullmatch(keys[1]):
        return True
    if _RELATED in keys:
        after = keys[keys.index(_RELATED) + 1 :]
        return any(_SNIPPET_DATE.fullmatch(key) for key in after)
    return False


def parse_page(raw: str, source: str) -> list[Document]:
    """Split a scraped page into its main article and its 相关推荐 snippets.

    Args:
        raw: The decoded page text; every Document satisfies ``raw[start:end] == text``.
        source: Source name stored on the documents.

    Returns:
        The ``article`` Document (if it has a body) followed by one ``snippet`` per
        相关推荐 entry, in page order.
    """
    lines = split_lines(raw)
    filled = [i for i, ln in enumerate(lines) if ln.text]
    if not filled:
        return []
    title, body_from = lines[filled[0]].text, filled[0] + 1
    date = time = None
    if not is_title_line(title):  # a paragraph, not a title: it stays in the article
        title, body_from = derived_title(title), filled[0]
    elif len(filled) > 1 and (stamp := _SITE_STAMP.fullmatch(_nfkc(lines[filled[1]].text))):
        day, hour, minute, second = stamp.groups()
        date, time = day, f"{int(hour):02d}:{minute}:{second or '00'}"
        body_from = filled[1] + 1
    body_to = next(
        (i for i in range(body_from, len(lines)) if _is_furniture(lines[i].text)), len(lines)
    )
    docs: list[Document] = []
    article = make_document(
        raw, source, "article", title, lines[body_from:body_to], date=date, time=time
    )
    if article is None:
        logger.debug("Page %s has no article body", source)
    else:
        docs.append(article)
    related = next(
        (i for i in range(body_to, len(lines)) if _nfkc(lines[i].text) == _RELATED), None
    )
    notice = next(
        (i for i in range(body_to, len(lines)) if _nfkc(lines[i].text).startswith(_SITE_NOTICE)),
        None,
    )
    if notice is not None:
        docs.extend(_links(raw, source, lines[notice + 1 : related]))
    if related is not None:
        docs.extend(_snippets(raw, source, lines[related + 1 :]))
    return docs


def _links(raw: str, source: str, lines: Sequence[Line]) -> list[Document]:
    """The ``link`` Documents of a link list: title (its trailing date dropped), text = the
    entry as written, date = the listing's."""
    docs: list[Document] = []
    for line in lines:
        for entry in _LINK_ENTRY.finditer(line.text):
            start, end = line.start + entry.start(1), line.start + entry.end(1)
            text = raw[start:end]
            title = _TITLE_DATE.sub("", text) or text
            docs.append(
                Document(
                    doc_id=doc_id_for(title, f"link:{text}"),
                    source=source,
                    kind="link",
                    title=title,
                    text=text,
                    date=entry.group(2),
                    regions=find_regions(title),
                    start=start,
                    end=end,
                )
            )
    return docs


def _snippets(raw: str, source: str, lines: Sequence[Line]) -> list[Document]:
    docs: list[Document] = []
    block: list[Line] = []
    for line in lines:
        if not line.text or _is_furniture(line.text):
            continue
        dated = _SNIPPET_DATE.fullmatch(_nfkc(line.text))
        if dated is None:
            block.append(line)
            continue
        if len(block) < 2:
            logger.debug("Snippet without answer in %s: %s", source, [ln.text for ln in block])
        else:
            title, body = block[0].text, block[1:]
            if not is_title_line(title):  # a paragraph, not a question: it stays in the answer
                title, body = derived_title(title), block
            doc = make_document(
                raw, source, "snippet", title, body, date=dated.group(1), sections=()
            )
            if doc is not None:
                docs.append(doc)
        block = []
    if block:
        logger.debug("Dropped %s undated trailing line(s) in %s", len(block), source)
    return docs
