"""Markdown headings and sections from markdown-it-py tokens, with offsets into the file."""

from __future__ import annotations

from pathlib import Path

from ingest.formats.markdown_text import md_headings, md_sections
from ingest.loaders import load_file

GUIDE = """医保指南
========

导语:先看这里。

## 报销 ##

报销比例70%。

```
# 不是标题
```

  ### 缴费

每年缴费一次。
"""


def test_headings_atx_setext_and_not_in_code() -> None:
    heads = md_headings(GUIDE)
    assert [h.text for h in heads] == ["医保指南", "报销", "缴费"]
    assert [GUIDE[h.start : h.end] for h in heads] == [
        "医保指南\n========",
        "## 报销 ##",
        "### 缴费",
    ]


def test_sections_are_relative_to_the_text_and_end_before_the_next_heading() -> None:
    start, end = GUIDE.index("导语"), len(GUIDE.rstrip())
    text = GUIDE[start:end]
    sections = md_sections(GUIDE, start, end)
    assert [s.heading for s in sections] == ["报销", "缴费"]
    assert (
        text[sections[0].start : sections[0].end]
        == "## 报销 ##\n\n报销比例70%。\n\n```\n# 不是标题\n```"
    )
    assert text[sections[1].start : sections[1].end] == "### 缴费\n\n每年缴费一次。"


def test_no_heading_in_the_text_gives_no_sections() -> None:
    raw = "# 标题\n\n正文。\n"
    assert md_sections(raw, raw.index("正文"), len(raw) - 1) == ()


def test_markdown_heading_and_sections(tmp_path: Path) -> None:
    raw = "# 医保指南\n\n## 报销\n\n报销比例70%。\n\n## 缴费\n\n每年缴费一次。\n"
    path = tmp_path / "guide.md"
    path.write_text(raw, encoding="utf-8")
    (doc,), skipped = load_file(path, "guide.md", 10_000)
    assert skipped is None and doc.kind == "file"
    assert doc.title == "医保指南"
    assert doc.text.startswith("## 报销") and raw[doc.start : doc.end] == doc.text
    assert [s.heading for s in doc.sections] == ["报销", "缴费"]
    assert doc.text[doc.sections[1].start : doc.sections[1].end] == "## 缴费\n\n每年缴费一次。"


def test_setext_title_file(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    (doc,), skipped = load_file(path, "guide.md", 10_000)
    assert skipped is None and doc.title == "医保指南"
    assert doc.text.startswith("导语") and GUIDE[doc.start : doc.end] == doc.text
    assert [s.heading for s in doc.sections] == ["报销", "缴费"]


def test_title_only_file_and_hash_without_space(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 异地就医备案\n\n跨省就医前需要先备案。\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("#门诊报销\n门诊费用可以报销。", encoding="utf-8")
    (a,), _ = load_file(tmp_path / "a.md", "a.md", 10_000)
    (b,), _ = load_file(tmp_path / "b.md", "b.md", 10_000)
    assert (a.title, a.text, a.sections) == ("异地就医备案", "跨省就医前需要先备案。", ())
    assert (b.title, b.text, b.sections) == ("门诊报销", "门诊费用可以报销。", ())
