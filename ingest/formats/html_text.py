"""Extract the visible text and title of an HTML page, one block element per line."""

from __future__ import annotations

import logging
from html.parser import HTMLParser

logger = logging.getLogger(__name__)


class _TextExtractor(HTMLParser):
    """Collects visible text, one line per block element, plus <title> and first <h1>."""

    _BLOCKS = frozenset(
        "p div br li ul ol tr table h1 h2 h3 h4 h5 h6 section article header footer "
        "blockquote pre dt dd hr nav aside main form".split()
    )
    _HIDDEN = frozenset({"script", "style", "noscript", "template"})
    _VOID = frozenset(
        "area base br col embed hr img input link meta param source track wbr".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self._stack: list[str] = []
        self._open: dict[str, int] = {}  # open elements per tag: no scan of a deep stack
        self._h1_found = self._h1_done = False  # text seen in an <h1> / that <h1> closed
        self.meta: dict[str, str] = {}  # url / publisher / date from <meta> and <link>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "link"):
            _read_meta(dict(attrs), self.meta)
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag not in self._VOID:
            self._stack.append(tag)
            self._open[tag] = self._open.get(tag, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if self._open.get(tag):
            while (top := self._stack.pop()) != tag:
                self._open[top] -= 1
            self._open[tag] -= 1
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "h1" and self._h1_found:
            self._h1_done = True

    def handle_data(self, data: str) -> None:
        if self._open.get("title"):
            self.title.append(data)
        elif not any(self._open.get(tag) for tag in self._HIDDEN):
            if self._open.get("h1") and not self._h1_done:
                self.h1.append(data)
                self._h1_found = self._h1_found or bool(data.strip())
            self.parts.append(data)


_META_KEYS = {
    "author": "publisher",
    "publisher": "publisher",
    "og:site_name": "publisher",
    "og:url": "url",
    "date": "date",
    "pubdate": "date",
    "article:published_time": "date",
}


def _read_meta(attrs: dict[str, str | None], meta: dict[str, str]) -> None:
    """Record a ``<meta name|property=… content=…>`` or ``<link rel=canonical href=…>``."""
    if (attrs.get("rel") or "").lower() == "canonical" and attrs.get("href"):
        meta.setdefault("url", str(attrs["href"]).strip())
    key = _META_KEYS.get((attrs.get("name") or attrs.get("property") or "").lower())
    content = " ".join((attrs.get("content") or "").split())
    if key and content:
        meta.setdefault(key, content[:300])


def html_meta(html: str) -> dict[str, str]:
    """``url``, ``publisher`` and ``date`` an HTML page declares in its head (when it does)."""
    parser = _TextExtractor()
    parser.feed(_escape_unclosed(html))
    parser.close()
    return parser.meta


def html_to_text(html: str) -> tuple[str | None, str]:
    """Visible text of an HTML page (scripts and styles dropped) and its title.

    Returns:
        ``(title, text)``: title from ``<title>``, else the first ``<h1>`` (``None`` if
        neither); text has one block per line, whitespace collapsed, blank lines dropped.
    """
    parser = _TextExtractor()
    parser.feed(_escape_unclosed(html))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    title = " ".join("".join(parser.title).split()) or " ".join("".join(parser.h1).split())
    return title or None, text


def _escape_unclosed(html: str) -> str:
    """``html`` with each ``<`` after its last ``>`` written ``&lt;``.

    Such a ``<`` opens no complete tag, so the parser shows it as text either way; left as
    it is, each one makes ``HTMLParser`` rescan the rest of the page (quadratic time).
    """
    last = html.rfind(">")
    if "<" not in html[last + 1 :]:
        return html
    return html[: last + 1] + html[last + 1 :].replace("<", "&lt;")
