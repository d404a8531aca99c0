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
        self.title = ""
        self.h1 = ""
        self._stack: list[str] = []
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag not in self._VOID:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "h1" and self.h1.strip():
            self._h1_done = True

    def handle_data(self, data: str) -> None:
        if "title" in self._stack:
            self.title += data
        elif not self._HIDDEN.intersection(self._stack):
            if "h1" in self._stack and not self._h1_done:
                self.h1 += data
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str | None, str]:
    """Visible text of an HTML page (scripts and styles dropped) and its title.

    Returns:
        ``(title, text)``: title from ``<title>``, else the first ``<h1>`` (``None`` if
        neither); text has one block per line, whitespace collapsed, blank lines dropped.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    title = " ".join(parser.title.split()) or " ".join(parser.h1.split()) or None
    return title, text
