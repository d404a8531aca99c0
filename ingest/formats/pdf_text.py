"""PDF → plain text with pypdf: the text layer of each page, pages separated by a blank line.

A scanned PDF (no text layer), an encrypted one or a damaged file raises
``UnreadableDocument`` with a Chinese reason; nothing is OCRed.

Example:
    >>> pdf_to_text(Path("通知.pdf").read_bytes())
    '关于城乡居民医保缴费的通知\\n…'
"""

from __future__ import annotations

import io
import logging

logger = logging.getLogger(__name__)

MAX_PAGES = 2_000


class UnreadableDocument(ValueError):
    """A PDF or Word file whose text cannot be read (``str(exc)`` is the Chinese reason)."""


def pdf_to_text(data: bytes) -> str:
    """The text of every page, in order; ``UnreadableDocument`` when there is none."""
    import pypdf
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-object chatter
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("PDF 已加密,无法读取")
        if len(reader.pages) > MAX_PAGES:
            raise UnreadableDocument(f"PDF 页数过多(超过 {MAX_PAGES} 页)")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        logger.debug("unreadable pdf: %r", exc)
        raise UnreadableDocument("PDF 文件已损坏,无法读取") from exc
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise UnreadableDocument("PDF 中没有可提取的文字(可能是扫描件)")
    return text
