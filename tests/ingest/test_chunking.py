"""Tests for ingest.chunking: budgets, overlap, safe cuts, structure, sections, spans."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import qa.text.regions as regions
from ingest.chunking import chunk_document, chunk_documents
from ingest.loaders import load_paths
from qa.text.titles import MAX_TITLE_CHARS
from qa.types import Chunk, Document, Section
from tests.conftest import CORPUS, one_line

ENDS = "。！？；!?;"


def make_doc(text: str, kind: str = "article", sections: tuple[Section, ...] = ()) -> Document:
    return Document("doc1", "a.txt", kind, "测试标题", text, date="2025-04-27", sections=sections)


def seed_article() -> Document:
    """The main article of corpus page 000: lines after the title, up to the 提示 line."""
    raw = (CORPUS / "000_6efac6a7bac98b9c.txt").read_text(encoding="utf-8")
    start = raw.index("\n") + 1
    end = raw.index("\n提示:本内容不能代替面诊")
    return Document("seed", "000.txt", "article", raw[: start - 1], raw[start:end])


def assert_spans(doc: Document, chunks: list[Chunk]) -> None:
    for i, c in enumerate(chunks):
        assert doc.text[c.start : c.end] == c.text
        assert c.text == c.text.strip() and c.text
        assert c.position == i
        expected = hashlib.sha256(f"{doc.doc_id}:{c.start}:{c.end}".encode()).hexdigest()[:16]
        assert c.chunk_id == expected
        assert (c.doc_id, c.source, c.kind, c.date) == (doc.doc_id, doc.source, doc.kind, doc.date)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.start < b.start and a.end < b.end
        assert not doc.text[a.end : b.start].strip(), "text lost between chunks"


def assert_not_cut(chunks: list[Chunk], text: str, token: str) -> None:
    for m in re.finditer(re.escape(token), text):
        for c in chunks:
            assert not m.start() < c.start < m.end(), f"chunk starts inside {token!r}"
            assert not m.start() < c.end < m.end(), f"chunk ends inside {token!r}"


@pytest.mark.parametrize("text", ["", "   ", "\n\n \u3000\n\t"])
def test_empty_document_gives_no_chunks(text: str) -> None:
    assert chunk_document(make_doc(text)) == []


def test_short_document_is_one_stripped_chunk() -> None:
    doc = make_doc("\n  医保码可以在支付宝激活。\n\n")
    (chunk,) = chunk_document(doc)
    assert chunk.text == "医保码可以在支付宝激活。"
    assert chunk.title == "测试标题"
    assert_spans(doc, [chunk])


@pytest.mark.parametrize(("size", "overlap"), [(350, 48), (200, 48), (120, 32), (80, 20)])
def test_seed_article_budget_overlap_and_boundaries(size: int, overlap: int) -> None:
    doc = seed_article()
    chunks = chunk_document(doc, size, overlap)
    assert len(chunks) > 1
    assert_spans(doc, chunks)
    assert max(len(c.text) for c in chunks) <= size
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert overlap <= a.end - b.start <= size // 2
    if size >= 200:  # enough room: every chunk ends a sentence or a line
        for c in chunks[:-1]:
            assert c.text[-1] in ENDS or doc.text[c.end : c.end + 1] == "\n"


def test_zero_overlap_still_breaks_between_items() -> None:
    doc = seed_article()
    chunks = chunk_document(doc, 150, 0)
    assert_spans(doc, chunks)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start > a.end
    for c in chunks[:-1]:
        assert c.text[-1] in ENDS or doc.text[c.end : c.end + 1] == "\n"


def test_seed_article_default_keeps_numbered_items_whole() -> None:
    doc = seed_article()
    chunks = chunk_document(doc)
    items = re.findall(r"  \d\. [^\n]+\n\n(?:    • [^\n]+\n\n?)+", doc.text)
    assert len(items) >= 4
    for item in items:
        assert any(item.strip() in c.text for c in chunks), item


@pytest.mark.parametrize(
    "token",
    [
        "15500",
        "0.0173%",
        "1627.5",
        "2024年9月1日",
        "APP",
        "15500×2%=310",
        "“医保码”",
        "【立即激活】",
        "《医疗保险参保地变更申请表》",
        "(如社保中心)",
        '"BANK"',
        "「桂医保」",
    ],
)
@pytest.mark.parametrize("shift", range(-6, 3))
def test_no_cut_inside_numbers_words_or_names(token: str, shift: int) -> None:
    size = 40
    lead = "参" * (size - 2 + shift)  # the token straddles the budget boundary
    text = f"{lead}{token}保地变更流程说明文字较长需要切分开来才能放下的内容"
    doc = make_doc(text)
    chunks = chunk_document(doc, size, 8)
    assert_spans(doc, chunks)
    assert_not_cut(chunks, text, token)
    assert max(len(c.text) for c in chunks) <= size


def test_long_sentence_splits_at_commas() -> None:
    clauses = [
        "携带本人身份证原件",
        "前往当地医保经办机构",
        "填写参保地变更申请表",
        "提交材料等待审核",
        "审核通过后领取新卡",
        "按提示完成人脸识别",
        "再绑定医保电子凭证",
    ]
    text = ",".join(clauses[:4]) + "，" + "、".join(clauses[4:]) + "。"
    doc = make_doc(text)
    chunks = chunk_document(doc, 40, 10)
    assert len(chunks) > 1
    assert_spans(doc, chunks)
    for c in chunks[:-1]:
        assert c.text[-1] in ",，、"
    for clause in clauses:
        assert_not_cut(chunks, text, clause)


def test_name_longer_than_budget_is_split_within_budget() -> None:
    name = "“" + "医" * 30 + "”"
    doc = make_doc(f"说明:{name}。后面还有一句话。")
    chunks = chunk_document(doc, 20, 4)
    assert_spans(doc, chunks)
    assert max(len(c.text) for c in chunks) <= 20
    assert_not_cut(chunk_document(doc, 40, 4), doc.text, name)


@pytest.mark.parametrize("style", ["ascii", "fullwidth"])
def test_sentence_ends_in_both_punctuation_styles(style: str) -> None:
    marks = "!?;" if style == "ascii" else "！？；"
    sentences = [f"第{n}句讲医保码激活{m}" for n, m in zip("一二三", marks, strict=True)]
    text = "".join(sentences) + "第四句讲异地就医备案。"
    doc = make_doc(text)
    chunks = chunk_document(doc, 40, 10)
    assert_spans(doc, chunks)
    for c in chunks:
        assert c.text[-1] in ENDS
        assert c.start == 0 or text[c.start - 1] in ENDS


def test_period_ends_sentence_but_not_numbers_or_markers() -> None:
    text = "1. 下载国家医保服务平台APP.完成注册后缴费比例为0.3%左右,金额是1627.5元.然后激活。"
    doc = make_doc(text)
    chunks = chunk_document(doc, 30, 8)
    assert_spans(doc, chunks)
    assert chunks[0].text == "1. 下载国家医保服务平台APP."
    for token in ("0.3%", "1627.5", "1. 下载"):
        assert_not_cut(chunks, text, token)


LIST_TEXT = """办理方式如下:

一、线上办理

  1. 国家医保服务平台APP

    • 进入【地方专区】→【门诊共济】→【家庭成员绑定】。

    • 按提示输入被绑定人信息并提交。

  2. 支付宝/微信

    • 支付宝搜索“医保码”,同意协议后点击“刷脸激活”。

    • 微信进入“医疗健康”→“医保码”。

二、线下办理

  1. 社保窗口

    • 携带本人身份证、户口簿等材料前往社保大厅。

    • 部分地区需提前电话咨询。

  2. 定点医院

    • 在医保定点医院就医时刷脸认证完成激活。
"""


@pytest.mark.parametrize("size", [90, 120, 160])
def test_list_items_kept_with_their_header(size: int) -> None:
    doc = make_doc(LIST_TEXT)
    chunks = chunk_document(doc, size, 16)
    assert_spans(doc, chunks)
    items = re.findall(r"  \d\. [^\n]+\n\n(?:    • [^\n]+\n\n?)+", LIST_TEXT)
    assert len(items) == 4
    for item in items:
        assert any(item.strip() in c.text for c in chunks), item


@pytest.mark.parametrize("size", [90, 120, 160, 250])
def test_heading_is_never_last_line(size: int) -> None:
    text = (
        LIST_TEXT
        + "\n参保登记\n\n线上登记\n\n可以通过微信公众号进行参保登记。按提示填写信息并上传材料。\n"
    )
    doc = make_doc(text)
    headings = {
        "办理方式如下:",
        "一、线上办理",
        "二、线下办理",
        "参保登记",
        "线上登记",
        "1. 国家医保服务平台APP",
        "2. 支付宝/微信",
        "1. 社保窗口",
        "2. 定点医院",
    }
    for c in chunk_document(doc, size, 16)[:-1]:
        assert c.text.splitlines()[-1].strip() not in headings, c.text


def test_sections_are_chunked_separately() -> None:
    intro = "这是导语部分的说明。"
    part1 = "线上激活\n通过国家医保服务平台APP激活。" + "选择参保地后点击立即激活。" * 6
    part2 = "线下激活\n携带身份证前往医保经办机构办理。" + "部分地区支持委托他人代办。" * 6
    text = f"{intro}\n\n{part1}\n\n{part2}"
    s1, s2 = text.index(part1), text.index(part2)
    sections = (Section("线上激活", s1, s1 + len(part1)), Section("线下激活", s2, s2 + len(part2)))
    doc = make_doc(text, sections=sections)
    chunks = chunk_document(doc, 60, 12)
    assert_spans(doc, chunks)
    units = [
        (0, len(intro), "测试标题"),
        (s1, s1 + len(part1), "线上激活"),
        (s2, s2 + len(part2), "线下激活"),
    ]
    for c in chunks:
        inside = [u for u in units if u[0] <= c.start and c.end <= u[1]]
        assert len(inside) == 1, c.text
        assert inside[0][2] in c.title
    assert {c.title for c in chunks} == {"测试标题", "测试标题 线上激活", "测试标题 线下激活"}
    assert chunks[0].text == intro


def test_snippet_is_one_chunk() -> None:
    text = "医保卡每月返还金额约为310元(个人缴费2%),具体需结合年龄和当地政策计算。" * 10
    doc = make_doc(text, kind="snippet")
    assert 350 < len(text) <= 1.5 * 350
    (chunk,) = chunk_document(doc)
    assert (chunk.text, chunk.kind) == (text, "snippet")


def test_chunk_documents_keeps_order_and_is_deterministic() -> None:
    docs = [seed_article(), make_doc("合肥医保可以在支付宝激活。")]
    first = chunk_documents(docs, 200, 40)
    assert first == chunk_documents(docs, 200, 40)
    assert [c.doc_id for c in first] == sorted(
        (c.doc_id for c in first), key=["seed", "doc1"].index
    )
    assert len({c.chunk_id for c in first}) == len(first)


def test_regions_found_in_chunk() -> None:
    (chunk,) = chunk_document(make_doc("合肥医保可以在支付宝激活。"))
    assert any("合肥" in region for region in chunk.regions)


def test_corpus_chunks_keep_spans_budget_and_units(
    corpus_documents: list[Document], corpus_chunks: list[Chunk]
) -> None:
    by_doc: dict[str, list[Chunk]] = {}
    for c in corpus_chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    assert set(by_doc) == {d.doc_id for d in corpus_documents}
    for doc in corpus_documents:
        chunks = by_doc[doc.doc_id]
        assert_spans(doc, chunks)
        for c in chunks:
            assert len(c.text) <= 350 or doc.kind == "snippet" and len(c.text) <= 1.5 * 350


def test_corpus_chunk_boundaries_are_pinned(corpus_chunks: list[Chunk]) -> None:
    """Chunk ids hash the spans, so this fails when any boundary moves.

    If it fails on purpose, bump ``ingest.freshness.PIPELINE_VERSION`` and the digest.
    """
    digest = hashlib.sha256(" ".join(c.chunk_id for c in corpus_chunks).encode()).hexdigest()
    assert (len(corpus_chunks), digest[:16]) == (120, "7ea6aad7fce833ea")


@pytest.mark.parametrize("kind", ["plain", "punctuated", "random"])
def test_a_one_line_file_gives_short_titles_and_linear_region_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The line is not every chunk's title (its regions were scanned once per chunk)."""
    line = one_line(kind, 50_000)
    (tmp_path / "one.txt").write_text(line, encoding="utf-8")
    (doc,) = load_paths([tmp_path], 2_000_000).documents
    scanned: list[int] = []
    scan = regions._scan
    monkeypatch.setattr(regions, "_scan", lambda text: scanned.append(len(text)) or scan(text))
    chunks = chunk_document(doc)
    assert_spans(doc, chunks)
    assert doc.text == line and (chunks[0].start, chunks[-1].end) == (0, len(line))
    assert all(len(c.title) <= MAX_TITLE_CHARS and len(c.text) <= 350 for c in chunks)
    assert sum(scanned) <= 2 * len(line)  # each chunk's title and text: the line, plus overlap


@pytest.mark.parametrize(
    "text",
    [
        "医保:\n" * 3000,  # 3000 headings, each glued to the next
        "".join(" " * i + "- 医保\n" for i in range(1200)),  # items nested 1200 deep
    ],
)
def test_deep_structure_does_not_exhaust_the_stack(text: str) -> None:
    chunks = chunk_document(make_doc(text))
    assert chunks and all(len(c.text) <= 350 for c in chunks)
    assert sum(c.text.count("医保") for c in chunks) >= text.count("医保")


@pytest.mark.parametrize("run", ["《" * 2000, "……" * 1000, "“" * 700 + "医保" + "”" * 700])
def test_a_run_without_safe_cuts_is_still_cut_to_size(run: str) -> None:
    doc = make_doc(f"开头。{run}结尾。")
    chunks = chunk_document(doc)
    assert_spans(doc, chunks)
    assert all(len(c.text) <= 350 for c in chunks)
