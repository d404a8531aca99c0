"""File and folder loading: encodings, bad files, formats, dedup and bookkeeping."""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
from pathlib import Path

import pytest

import ingest.loaders as loaders
from ingest.loaders import load_file, load_paths
from qa.text.titles import MAX_TITLE_CHARS, clip_title, derived_title
from tests.conftest import CORPUS

MAX = 10_000


def _page(title: str, body: str, snippet_title: str, answer: str) -> str:
    return (
        f"{title}\n\n{body}\n\n提示:本内容不能代替面诊,如有不适请尽快就医。\n相关推荐\n\n"
        f"{snippet_title}\n\n{answer}\n\n健康新闻 2025-04-18\n首页 顶部\n"
    )


def test_corpus_folder() -> None:
    result = load_paths([CORPUS], 2_000_000)
    assert result.files_seen == 5 and result.skipped == [] and result.duplicates == 0
    assert len(result.documents) == 84
    catalog = "sources.toml@corpus"  # the catalog counts too: editing it makes the index stale
    assert sorted(result.file_hashes) == sorted([catalog, *(p.name for p in CORPUS.glob("*.txt"))])
    name = "003_f38d73674fa39f0d.txt"
    digest = hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()
    assert result.file_hashes[name] == digest
    keys = [(d.source, d.start) for d in result.documents]
    assert keys == sorted(keys)
    # Seed 003's link list: titles kept apart, never content (nor counted as duplicates).
    assert len(result.links) == 23 and {link.source for link in result.links} == {name}
    assert not [d for d in result.documents if d.kind == "link"]
    assert result.links[0].title == "郑州医疗保险断交了几个月能补交吗?"
    assert result.links[0].regions == ("郑州",)


def test_near_duplicate_snippets_kept_once(tmp_path: Path) -> None:
    answer = "合肥居民医保缴费,可以通过线上或线下方式完成。"
    variant = "合肥居民医保缴费, 可以通过 线上或线下方式完成。"
    (tmp_path / "a.txt").write_text(
        _page("页面甲", "正文甲。", "合肥居民医保怎么缴费", answer), encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text(
        _page("页面乙", "正文乙。", "合肥居民医保怎么缴费?", variant), encoding="utf-8"
    )
    result = load_paths([tmp_path], MAX)
    assert result.duplicates == 1
    assert [(d.source, d.kind) for d in result.documents] == [
        ("a.txt", "article"),
        ("a.txt", "snippet"),
        ("b.txt", "article"),
    ]
    assert result.documents[1].text == answer


def test_bad_files_are_skipped_and_good_ones_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(7)
    (tmp_path / "gbk.txt").write_bytes("医保报销指南\n职工医保报销比例为70%。\n".encode("gbk"))
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(2000))
    noise = bytes(b for b in rng.randbytes(3000) if b != 0)
    (tmp_path / "noise.txt").write_bytes(noise)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\t\n\u3000\n", encoding="utf-8")
    (tmp_path / "big.txt").write_text("医保" * 4000, encoding="utf-8")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.7 ...")  # a broken PDF
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04 ...")
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 \xff\xfe menu \x80")
    (tmp_path / "utf16.txt").write_text("医保", encoding="utf-16")
    (tmp_path / "good.txt").write_text("异地就医\n备案后可直接结算。", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ingest.loaders"):
        result = load_paths([tmp_path], MAX)
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["image.txt"] == "二进制文件,无法作为文本读取"
    assert reasons["noise.txt"] == "二进制文件,无法作为文本读取"
    assert reasons["empty.txt"] == "文件为空"
    assert reasons["blank.md"].startswith("文件为空")
    assert reasons["big.txt"] == "文件过大(24.0 KB,上限 10.0 KB)"
    assert reasons["paper.pdf"] == "PDF 文件已损坏,无法读取"
    assert reasons["slides.pptx"] == "不支持的文件类型 .pptx"
    assert reasons["latin.txt"] == "编码无法识别(非 UTF-8/GB18030)"
    assert reasons["utf16.txt"] == "编码无法识别(非 UTF-8/GB18030)"
    assert len(reasons) == 9 and result.files_seen == 11
    docs = {d.source: d for d in result.documents}
    assert sorted(docs) == ["gbk.txt", "good.txt"]
    assert (docs["gbk.txt"].title, docs["gbk.txt"].text) == (
        "医保报销指南",
        "职工医保报销比例为70%。",
    )
    assert docs["good.txt"].kind == "file"
    assert sorted(result.file_hashes) == ["gbk.txt", "good.txt"]
    assert caplog.records == []  # the caller reports each skipped file, once


def test_oversize_message_in_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * 3_200_000)
    docs, skipped = load_file(path, "huge.txt", 2_000_000)
    assert docs == [] and skipped is not None
    assert skipped.reason == "文件过大(3.2 MB,上限 2.0 MB)" and skipped.path == "huge.txt"


def test_html_file_is_its_visible_text(tmp_path: Path) -> None:
    html = (
        "<html><head><title>深圳医保指南</title></head><body><h1>深圳医保指南</h1>"
        "<p>门诊&amp;住院  均可报销。</p><div>异地<br>备案</div></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    (doc,), skipped = load_file(path, "page.html", MAX)
    assert skipped is None
    assert (doc.title, doc.text) == ("深圳医保指南", "门诊&住院 均可报销。\n异地\n备案")
    assert doc.regions == ("深圳",)
    (tmp_path / "script.htm").write_text("<script>alert(1)</script>", encoding="utf-8")
    assert load_file(tmp_path / "script.htm", "script.htm", MAX)[1].reason == "网页中没有可见文字"


def test_bom_crlf_and_page_format(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeff缴费指南\r\n\r\n每年9月缴费。\r\n".encode())
    shutil.copy(CORPUS / "003_f38d73674fa39f0d.txt", tmp_path / "page.txt")
    result = load_paths([tmp_path], 2_000_000)
    bom = next(d for d in result.documents if d.source == "bom.txt")
    assert (bom.title, bom.text) == ("缴费指南", "每年9月缴费。")
    page = next(d for d in result.documents if d.source == "page.txt")
    assert page.kind == "article" and page.time == "11:16:23"


def test_folders_files_hidden_and_missing(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "sub" / "deep" / "a.txt").write_text("标题\n正文一", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("标题\n隐藏目录", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("标题\n隐藏文件", encoding="utf-8")
    single = tmp_path / "single.txt"
    single.write_text("单个文件", encoding="utf-8")
    result = load_paths([tmp_path / "sub", single, tmp_path / "missing"], MAX)
    assert [d.source for d in result.documents] == ["deep/a.txt", "single.txt"]
    assert result.documents[1].title == result.documents[1].text == "单个文件"
    assert [s.reason for s in result.skipped] == ["路径不存在"]
    assert result.files_seen == 2


def test_unexpected_error_skips_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text(_page("页面甲", "正文甲。", "问题", "回答。"), encoding="utf-8")
    (tmp_path / "b.txt").write_text("标题\n正文", encoding="utf-8")

    def boom(raw: str, source: str) -> list:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(loaders, "parse_page", boom)
    result = load_paths([tmp_path], MAX)
    assert [d.source for d in result.documents] == ["b.txt"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("a.txt", "处理文件时出错(RuntimeError)")
    ]


def test_a_long_first_line_is_text_under_a_short_title(tmp_path: Path) -> None:
    line = "参保人员在定点医疗机构就医发生的费用按规定报销" * 5000  # 115k characters
    (tmp_path / "one.txt").write_text(line, encoding="utf-8")
    (tmp_path / "two.txt").write_text(f"{line}\n第二行。", encoding="utf-8")
    (tmp_path / "head.md").write_text(f"# {line}\n\n正文。", encoding="utf-8")
    (tmp_path / "page.html").write_text(f"<title>{line}</title><p>正文。</p>", encoding="utf-8")
    docs = {d.source: d for d in load_paths([tmp_path], 2_000_000).documents}
    assert docs["one.txt"].title == docs["two.txt"].title == derived_title(line)
    assert docs["one.txt"].text == line
    assert docs["two.txt"].text == f"{line}\n第二行。"  # nothing is lost
    assert docs["head.md"].title == derived_title(line)
    assert docs["head.md"].text == f"# {line}\n\n正文。"
    assert docs["page.html"].title == clip_title(line)
    assert len(docs["page.html"].title) == MAX_TITLE_CHARS
