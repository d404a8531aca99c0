"""The one sentence splitter: end marks, closers, trimming, ranges and vetoes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.text.sentences import CLOSERS, SENTENCE_ENDS, sentence_spans
from tests.conftest import growth


def split(text: str, *args, **kwargs) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, *args, **kwargs)]


def test_docstring_example() -> None:
    assert split("他说“好。”然后走了！ 还有") == ["他说“好。”", "然后走了！", "还有"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        (" \n\u3000 ", []),
        ("医保码可以激活", ["医保码可以激活"]),
        ("  第一句。  第二句！\n第三句", ["第一句。", "第二句！", "第三句"]),
        ("真的吗?!是的;好的。", ["真的吗?!", "是的;", "好的。"]),
        ("见《办法》。)下一句", ["见《办法》。)", "下一句"]),
        ("说明:“医保码”【立即激活】。", ["说明:“医保码”【立即激活】。"]),
    ],
)
def test_default_ends_and_closers(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_line_breaks_end_sentences_when_asked() -> None:
    text = "标题\n\n  正文第一句。第二句\n"
    assert split(text) == ["标题\n\n  正文第一句。", "第二句"]
    assert split(text, SENTENCE_ENDS + "\n") == ["标题", "正文第一句。", "第二句"]


def test_ends_and_closers_are_the_callers_choice() -> None:
    assert split("先缴费；再报销。") == ["先缴费；", "再报销。"]
    assert split("先缴费；再报销。", "。！？!?") == ["先缴费；再报销。"]
    assert split("好。”走", closers="") == ["好。", "”走"]


def test_range_offsets_index_the_whole_text() -> None:
    text = "前文。一句。二句。后文。"
    spans = sentence_spans(text, start=3, end=9)
    assert spans == [(3, 6), (6, 9)]


def test_veto_continues_after_the_vetoed_mark() -> None:
    text = "比例为0.3%.APP.。然后激活."

    def not_in_numbers(i: int, j: int) -> bool:
        return text[i] != "." or not text[i - 1].isdigit() and text[i - 1] != "P"

    assert split(text, SENTENCE_ENDS + ".", may_end=not_in_numbers) == [
        "比例为0.3%.",
        "APP.。",
        "然后激活.",
    ]
    assert split(text, SENTENCE_ENDS + ".", may_end=lambda i, j: False) == [text]


def test_empty_ends_is_an_error() -> None:
    with pytest.raises(ValueError, match="ends"):
        sentence_spans("文本", "")


@given(st.text(alphabet="医保。！？；!?;.\n ”」)（“" + CLOSERS, max_size=40))
def test_spans_are_stripped_ordered_and_cover_all_text(text: str) -> None:
    spans = sentence_spans(text, SENTENCE_ENDS + "\n")
    pos = 0
    for s, e in spans:
        assert pos <= s < e and text[s:e] == text[s:e].strip()
        assert not text[pos:s].strip()
        pos = e
    assert not text[pos:].strip()


@pytest.mark.parametrize("mark", [".", "。"])
def test_a_long_run_of_vetoed_marks_is_scanned_in_linear_time(mark: str) -> None:
    def run(n: int) -> None:
        text = "医" + mark * n
        assert sentence_spans(text, "。.", may_end=lambda i, j: False) == [(0, n + 1)]

    assert growth(run, 5_000) < 30  # quadratic: about 100
