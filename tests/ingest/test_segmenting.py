"""Segmenter: list ranks, headings, sentences, clauses and where cuts may fall."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest.segmenting import Segmenter
from tests.conftest import growth


def lines(text: str) -> list[tuple[str, int, int, int]]:
    seg = Segmenter(text, 350)
    return [(text[ln.start : ln.end], ln.indent, ln.rank, ln.heading) for ln in seg.lines]


def sentences(text: str, size: int = 350) -> list[str]:
    seg = Segmenter(text, size)
    return [text[s:e] for ln in seg.lines for s, e in seg.sentences(ln.start, ln.end)]


def test_lines_ranks_indents_and_headings() -> None:
    text = (
        "办理方式如下:\n一、线上办理\n  1. 国家医保服务平台APP\n    • 进入首页。\n参保登记\n正文。"
    )
    assert lines(text) == [
        ("办理方式如下:", 0, 4, 2),
        ("一、线上办理", 0, 0, 2),
        ("1. 国家医保服务平台APP", 2, 1, 0),
        ("• 进入首页。", 4, 3, 0),
        ("参保登记", 0, 4, 1),
        ("正文。", 0, 4, 0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("先登记。再缴费！最后激活", ["先登记。", "再缴费！", "最后激活"]),
        ("他说“好。”然后走了。", ["他说“好。”", "然后走了。"]),
        ("下载APP.完成注册.", ["下载APP.", "完成注册."]),
        ("比例为0.3%左右,金额1627.5元.然后激活。", ["比例为0.3%左右,金额1627.5元.", "然后激活。"]),
        ("1. 第一步。第二步。", ["1. 第一步。", "第二步。"]),
        ("见“医保码。激活”后使用。", ["见“医保码。激活”后使用。"]),
    ],
)
def test_sentences_end_outside_numbers_markers_and_names(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_clauses_split_at_commas_but_not_inside_numbers() -> None:
    text = "携带身份证,前往医保经办机构、填写申请表:金额15,500元"
    seg = Segmenter(text, 350)
    clauses = [text[s:e] for s, e in seg.clauses(0, len(text))]
    assert clauses == ["携带身份证,", "前往医保经办机构、", "填写申请表:", "金额15,500元"]


def test_protected_and_blocked_cut_positions() -> None:
    text = "金额15500元,见《申请表》。"
    seg = Segmenter(text, 350)
    inside = [text.index("5") + 1, text.index("申") + 1]
    assert all(seg.protected[p] for p in inside)
    comma = text.index(",")
    assert seg.blocked[comma] and not seg.protected[comma]  # no cut before a comma
    assert not seg.blocked[comma + 1]


def test_protected_span_longer_than_size_is_not_kept_whole() -> None:
    text = "“" + "医" * 30 + "”。"
    assert any(Segmenter(text, 40).protected) and not any(Segmenter(text, 20).protected)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "《" * n + "」" * n,  # open marks no closer matches
        lambda n: "（医" * n,  # open marks never closed
    ],
)
def test_quote_and_bracket_matching_is_linear(make: Callable[[int], str]) -> None:
    assert growth(lambda n: Segmenter(make(n), 350), 2_000) < 30  # quadratic: about 100
