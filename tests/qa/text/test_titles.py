"""Bounded titles: short lines are titles as they are; longer text is clipped at a boundary."""

from __future__ import annotations

import pytest

from qa.text.titles import (
    DERIVED_TITLE_CHARS,
    MAX_TITLE_CHARS,
    clip_title,
    derived_title,
    is_title_line,
)


def test_docstring_example() -> None:
    text = "参保人员在定点医疗机构就医发生的住院费用,由统筹基金按规定的比例支付"
    assert derived_title(text) == "参保人员在定点医疗机构就医发生的住院费用…"


def test_short_text_is_kept_whole() -> None:
    title = "医保码怎么激活?"
    assert clip_title(title) == derived_title(title) == title
    assert is_title_line("医" * MAX_TITLE_CHARS) and not is_title_line("医" * (MAX_TITLE_CHARS + 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("医保" * 100, "医保" * 14 + "医…"),  # no boundary: the whole budget, then …
        (
            "职工医保个人账户可以用于支付家庭成员，配偶父母子女的医疗费用都可以",
            "职工医保个人账户可以用于支付家庭成员…",
        ),
        (
            "异地就医直接结算需要先办理备案手续 然后在定点医疗机构就医结算费用",
            "异地就医直接结算需要先办理备案手续…",
        ),
        (
            "职工医保个人账户可以支付。医保" + "医" * 30,
            "职工医保个人账户可以支付。医保" + "医" * 14 + "…",  # 。 comes too early
        ),
    ],
)
def test_long_text_is_cut_at_a_late_boundary(text: str, expected: str) -> None:
    """A boundary in the first half of the budget would make too short a title."""
    assert derived_title(text) == expected
    assert len(derived_title(text)) <= DERIVED_TITLE_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("医保码激活步骤" * 2 + "请下载downloadtheappnow", "医保码激活步骤" * 2 + "请下载…"),
        ("参保人员使用Electronic-Medical-Insurance-Certificate", "参保人员使用Electronic-Medical…"),
        ("医" * 10 + "x" * 40, "医" * 10 + "x" * 19 + "…"),  # one very long word: cut anyway
    ],
)
def test_an_ascii_word_is_not_cut_in_the_middle(text: str, expected: str) -> None:
    assert derived_title(text) == expected


def test_clip_title_bounds_any_length() -> None:
    for n in (81, 1_000, 100_000):
        clipped = clip_title("医" * n)
        assert len(clipped) == MAX_TITLE_CHARS and clipped.endswith("…")
