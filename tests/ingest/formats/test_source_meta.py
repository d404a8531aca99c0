"""Source metadata: citations name a title, a date (or the date the file was added) and a link."""

from __future__ import annotations

import os
import shutil
import time

from ingest.loaders import load_paths
from ingest.pipeline import is_stale, run_ingest
from tests.conftest import CORPUS, make_settings

MD = """---
title: 青稞市医保缴费通知
url: https://ybj.example.gov.cn/notice/1
publisher: 青稞市医疗保障局
date: 2025年9月1日
---
# 居民医保缴费

青稞市居民医保个人缴费标准为每年 999 元。
"""


def test_the_shipped_pages_are_described_by_their_catalog():
    loaded = load_paths([CORPUS], 2_000_000)
    assert not loaded.skipped  # sources.toml is read, not reported as an unsupported file
    by_source = {d.source: d for d in loaded.documents if d.kind == "article"}
    page = by_source["003_f38d73674fa39f0d.txt"]
    assert page.source_title.startswith("如果医疗保险想更换参保地")
    assert page.publisher == "社保网" and page.date == "2025-04-27"
    first = by_source["000_6efac6a7bac98b9c.txt"]
    assert first.source_title == "医保从来没用过怎么激活" and first.date is None
    assert first.added == "2026-11-23"  # the catalog's date, not the checkout's file time


def test_front_matter_is_metadata_and_offsets_stay_true(tmp_path):
    (tmp_path / "notice.md").write_text(MD, "utf-8")
    [doc] = load_paths([tmp_path], 2_000_000).documents
    assert (doc.source_title, doc.publisher, doc.date) == (
        "青稞市医保缴费通知",
        "青稞市医疗保障局",
        "2025-09-01",
    )
    assert doc.url == "https://ybj.example.gov.cn/notice/1"
    assert "publisher" not in doc.text and "999 元" in doc.text
    assert MD[doc.start : doc.end] == doc.text


def test_html_meta_and_unsafe_links(tmp_path):
    (tmp_path / "a.html").write_text(
        '<html><head><title>异地就医备案指南</title><meta name="author" content="某市医保局">'
        '<link rel="canonical" href="https://example.org/a"></head>'
        "<body><p>异地就医备案可在国家医保服务平台APP办理。</p></body></html>",
        "utf-8",
    )
    (tmp_path / "b.md").write_text(
        "---\nurl: javascript:alert(1)\n---\n# 标题\n\n正文内容。\n", "utf-8"
    )
    docs = {d.source: d for d in load_paths([tmp_path], 2_000_000).documents}
    assert (
        docs["a.html"].publisher == "某市医保局" and docs["a.html"].url == "https://example.org/a"
    )
    assert docs["a.html"].source_title == "异地就医备案指南"
    assert docs["b.md"].url is None  # never a javascript: link in a citation


def test_a_file_without_a_date_carries_its_file_date(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("医保卡丢了怎么办\n\n带身份证到医保经办机构挂失补办。\n", "utf-8")
    stamp = time.mktime((2025, 6, 1, 12, 0, 0, 0, 0, -1))
    os.utime(path, (stamp, stamp))
    [doc] = load_paths([tmp_path], 2_000_000).documents
    assert doc.date is None and doc.added == "2025-06-01" and doc.source_title == "医保卡丢了怎么办"


def test_editing_the_catalog_makes_the_index_stale(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(CORPUS, pages)
    settings = make_settings(tmp_path, corpus_dir=pages)
    run_ingest(settings)
    assert not is_stale(settings)
    catalog = pages / "sources.toml"
    catalog.write_text(catalog.read_text("utf-8").replace("社保网", "某网站"), "utf-8")
    assert is_stale(settings)
