"""Word (.docx) → Markdown-like text with python-docx, so headings become sections.

Headings become ``#`` lines (their level kept), list paragraphs ``- `` lines, table rows
`` | ``-joined lines, in document order; the loader then reads the result as Markdown.
A damaged file, an old binary ``.doc`` renamed, or one that would inflate past
``MAX_INFLATED_BYTES`` (a zip bomb) raises ``UnreadableDocument``.

Example:
    >>> docx_to_markdown(Path("办事指南.docx").read_bytes())
    '# 异地就医备案\\n\\n- 线上办理…'
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

from ingest.formats.pdf_text import UnreadableDocument

logger = logging.getLogger(__name__)

MAX_INFLATED_BYTES = 100_000_000
_HEADING = re.compile(r"^(?:Heading|标题)\s*(\d)$", re.IGNORECASE)


def docx_to_markdown(data: bytes) -> str:
    """The document's paragraphs and tables as Markdown-like text."""
    import docx
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_INFLATED_BYTES:
                raise UnreadableDocument("Word 文件解压后过大,拒绝读取")
        document: DocxDocument = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(_paragraph(block))
            elif isinstance(block, Table):
                lines.extend(_rows(block))
    except UnreadableDocument:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        logger.debug("unreadable docx: %r", exc)
        raise UnreadableDocument("Word 文件已损坏或不是 .docx 格式,无法读取") from exc
    text = "\n\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise UnreadableDocument("Word 文件中没有文字")
    return text


def _paragraph(paragraph: object) -> str:
    text = " ".join(paragraph.text.split())  # type: ignore[attr-defined]
    style = getattr(getattr(paragraph, "style", None), "name", "") or ""
    heading = _HEADING.match(style)
    if heading and text:
        return "#" * min(int(heading.group(1)), 6) + " " + text
    if style.lower().startswith(("list", "列表")) and text:
        return "- " + text
    return text


def _rows(table: object) -> list[str]:
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        unique = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
        if unique:
            rows.append(" | ".join(unique))
    return rows
