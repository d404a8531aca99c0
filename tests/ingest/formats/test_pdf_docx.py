"""PDF and Word files: their text is read, and a file that cannot be read says why."""

from __future__ import annotations

import io

import pytest

from ingest.formats.docx_text import MAX_INFLATED_BYTES, docx_to_markdown
from ingest.formats.pdf_text import UnreadableDocument, pdf_to_text


def tiny_pdf(*pages: str) -> bytes:
    """A valid PDF with one Helvetica text line per page (ASCII), built by hand."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        page_no, content_no = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_no} 0 R")
        stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 144] "
            f"/Contents {content_no} 0 R /Resources << /Font << /F1 FONT 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    font_no = len(objects) + 1
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body.replace('FONT', str(font_no))}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


def test_pdf_text_of_every_page_in_order():
    text = pdf_to_text(tiny_pdf("Qingke premium 999 yuan", "Pay from September"))
    assert text.index("Qingke premium 999 yuan") < text.index("Pay from September")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.4\n garbage", "已损坏"),
        (tiny_pdf("x")[:200], "已损坏"),
        (tiny_pdf(""), "没有可提取的文字"),
    ],
)
def test_unreadable_pdfs_say_why(data, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        pdf_to_text(data)


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("青稞市居民医保", 1)
    document.add_paragraph("个人缴费标准为每年 999 元。")
    document.add_paragraph("线上缴费", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "人群", (0, 1): "标准", (1, 0): "成人", (1, 1): "999元"}.items():
        table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_lists_and_tables_in_document_order():
    text = docx_to_markdown(_docx())
    assert text.splitlines()[0] == "# 青稞市居民医保"
    assert "- 线上缴费" in text and "成人 | 999元" in text
    assert text.index("999 元") < text.index("成人 | 999元")


def test_a_docx_zip_bomb_is_refused(monkeypatch):
    import ingest.formats.docx_text as module

    monkeypatch.setattr(module, "MAX_INFLATED_BYTES", 1000)
    with pytest.raises(UnreadableDocument, match="过大"):
        docx_to_markdown(_docx())
    assert MAX_INFLATED_BYTES > 1000


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"\xd0\xcf\x11\xe0 old .doc"])
def test_broken_or_old_word_files_say_why(data):
    with pytest.raises(UnreadableDocument, match="已损坏或不是 .docx"):
        docx_to_markdown(data)


def test_pdf_and_docx_files_are_ingested_and_broken_ones_skipped_with_a_reason(tmp_path):
    from ingest.loaders import load_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "qingke.docx").write_bytes(_docx())
    (folder / "notice.pdf").write_bytes(tiny_pdf("Qingke premium 999 yuan"))
    (folder / "scan.pdf").write_bytes(tiny_pdf(""))
    (folder / "broken.docx").write_bytes(b"PK\x03\x04broken")
    loaded = load_paths([folder], 2_000_000)
    by_source = {d.source: d for d in loaded.documents}
    assert by_source["qingke.docx"].title == "青稞市居民医保"
    assert "999 元" in by_source["qingke.docx"].text
    assert "Qingke premium 999 yuan" in by_source["notice.pdf"].text
    reasons = {s.path: s.reason for s in loaded.skipped}
    assert "没有可提取的文字" in reasons["scan.pdf"] and "已损坏" in reasons["broken.docx"]
