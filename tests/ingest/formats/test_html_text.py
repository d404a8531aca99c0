"""HTML to text: visible text only, one block per line, title from <title> or <h1>."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest.formats.html_text import html_to_text
from tests.conftest import growth


def test_visible_text_without_scripts_styles_or_entities() -> None:
    html = (
        "<html><head><title>深圳医保指南</title><style>p {color: red}</style>"
        "<script>var x = '<p>隐藏</p>';</script></head><body><h1>深圳医保指南</h1>"
        "<p>门诊&amp;住院  均可报销。</p><div>异地<br>备案</div><script>alert(1)</script>"
        "</body></html>"
    )
    title, text = html_to_text(html)
    assert title == "深圳医保指南"
    assert text == "深圳医保指南\n门诊&住院 均可报销。\n异地\n备案"


@pytest.mark.parametrize(
    ("html", "title"),
    [
        ("<body><h1>标题一</h1><p>正文</p></body>", "标题一"),
        ("<title>  网页 标题 </title><h1>标题一</h1>", "网页 标题"),
        ("<p>只有正文</p>", None),
    ],
)
def test_title_from_title_tag_else_first_h1(html: str, title: str | None) -> None:
    assert html_to_text(html)[0] == title


def test_no_visible_text() -> None:
    assert html_to_text("<script>alert(1)</script><style>p {}</style>") == (None, "")


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "<p>x</p>" + "医保 a<b 比例 " * n,  # '<' that opens no complete tag
        lambda n: "<p>医保" * n,  # elements never closed
    ],
)
def test_parsing_is_linear(make: Callable[[int], str]) -> None:
    assert growth(lambda n: html_to_text(make(n)), 1_000) < 30  # quadratic: about 100
