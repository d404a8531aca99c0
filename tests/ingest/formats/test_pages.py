"""Seed-page parsing: counts, titles, dates, sections, regions, furniture and offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats.pages import doc_id_for, looks_like_page, parse_page
from qa.text.titles import derived_title
from qa.types import Document

CORPUS = Path(__file__).resolve().parents[3] / "corpus"
SEEDS = {
    "000": "000_6efac6a7bac98b9c.txt",
    "001": "001_5a948301c2343ca9.txt",
    "002": "002_39695e3f86a6b490.txt",
    "003": "003_f38d73674fa39f0d.txt",
    "004": "004_ef3ce06d3a4f1cd1.txt",
}
# Counted by reading the pages: one article each, snippets = 健康新闻 lines under 相关推荐.
EXPECTED = {
    "000": ("医保从来没用过怎么激活", 19, "2025-04-29"),
    "001": ("怎样设置医保家庭共济账户", 20, "2025-04-22"),
    "002": ("普通人怎么交医保缴费", 20, "2025-04-18"),
    "003": ("如果医疗保险想更换参保地该如何更换?(4月27日)", 0, None),
    "004": ("首次缴纳城乡居民医疗保险怎么交", 20, "2025-03-28"),
}
FURNITURE = (
    "相关推荐",
    "大家都在搜",
    "首页 顶部",
    "顶部",
    "投诉",
    "社保网声明",
    "本内容不能代替面诊",
    "如有不适请尽快就医",
    "健康新闻",
    "医保知识",
)
LINK_LIST_TITLES = (
    "郑州医疗保险断交了几个月能补交吗",
    "河南郑州外地的医保卡余额可以转移吗",
    "七台河医保转移后",
    "西宁职工医保vs居民医保",
    "晋城新农合2025年缴费标准出炉",
    "职工医保断交后补交后多久才报销",
    "2025-04-27 10:42",
)


def _raw(seed: str) -> str:
    return (CORPUS / SEEDS[seed]).read_text(encoding="utf-8")


def _docs(seed: str) -> list[Document]:
    """The content documents (article and snippets) of a seed page."""
    return [d for d in parse_page(_raw(seed), SEEDS[seed]) if d.kind != "link"]


def _links(seed: str) -> list[Document]:
    return [d for d in parse_page(_raw(seed), SEEDS[seed]) if d.kind == "link"]


def _article(seed: str) -> Document:
    (article,) = [d for d in _docs(seed) if d.kind == "article"]
    return article


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_counts_titles_and_snippet_dates(seed: str) -> None:
    title, n_snippets, date = EXPECTED[seed]
    docs = _docs(seed)
    articles = [d for d in docs if d.kind == "article"]
    snippets = [d for d in docs if d.kind == "snippet"]
    assert len(articles) == 1 and len(snippets) == n_snippets
    assert len(docs) == 1 + n_snippets
    assert articles[0].title == title
    assert all(s.date == date for s in snippets)
    assert all(d.source == SEEDS[seed] for d in docs)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_offsets_are_verbatim_slices(seed: str) -> None:
    raw = _raw(seed)
    for doc in _docs(seed):
        assert raw[doc.start : doc.end] == doc.text
        assert doc.text == doc.text.strip() and doc.text
        assert len(doc.doc_id) == 16 and int(doc.doc_id, 16) >= 0
        for sec in doc.sections:
            assert 0 <= sec.start < sec.end <= len(doc.text)
            assert doc.text[sec.start :].startswith(sec.heading)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_no_furniture_or_link_list(seed: str) -> None:
    for doc in _docs(seed):
        for junk in FURNITURE + LINK_LIST_TITLES:
            assert junk not in doc.title and junk not in doc.text, (junk, doc.title)


def test_link_list_entries_become_title_only_link_documents() -> None:
    """Seed 003's link list (after 社保网声明…投诉): one ``link`` Document per entry, its title
    without the trailing date, its text the entry as written, dated by the listing."""
    raw, links = _raw("003"), _links("003")
    assert len(links) == 23
    assert links[0].title == "郑州医疗保险断交了几个月能补交吗?"  # (2025/04/27) dropped
    assert all(raw[d.start : d.end] == d.text and d.date == "2025-04-27" for d in links)
    assert not [d.text for d in links if "医保知识" in d.text or "10:" in d.text]
    by_title = {d.title: d for d in links}
    assert by_title["职工医保断交后补交后多久才报销?以广州为例"].regions == ("广州",)
    assert "医保网上缴费怎么操作?医保缴费具体流程(以浙江杭州为例)" in by_title  # no date: kept
    assert by_title["电子医保卡和实体医保卡报销一样吗"].regions == ()
    assert len({d.doc_id for d in links}) == len(links)
    assert not [s for s in ("000", "001", "002", "004") if _links(s)]


def test_seed_003_stamp_and_sections() -> None:
    doc = _article("003")
    assert (doc.date, doc.time) == ("2025-04-27", "11:16:23")
    assert doc.text.startswith("医疗保险参保地变更指新生儿")
    assert doc.text.endswith("(备注:数据仅供参考,具体以当地有关法规为准)")
    assert "11:16:23" not in doc.text and "社保网" not in doc.text
    assert "2025年退休的养老金总体水平" in doc.text  # off-topic noise is kept as is
    assert [s.heading for s in doc.sections] == [
        "汕头手机上怎么更换医疗保险参保地",
        "汕头职工医保卡没激活怎么激活?",
        "汕头医疗保险从哪里查询缴费记录明细?",
    ]
    assert doc.regions == ("汕头",)


def test_seed_004_sections_and_regions() -> None:
    doc = _article("004")
    assert [s.heading for s in doc.sections] == [
        "参保登记",
        "缴费方式",
        "缴费时间和待遇享受期",
        "注意事项",
        "城乡居民医疗保险和职工医疗保险的区别是什么",
        "城乡居民医疗保险的缴费标准是什么",
        "错过了城乡居民医疗保险的缴费期限怎么办",
    ]
    assert doc.text.endswith("扬州市的医保热线为12393。")
    last = doc.sections[-1]
    assert doc.text[last.start : last.end].endswith("12393。")
    assert {"南宁", "广西", "深圳", "上海", "天津", "扬州", "陕西"} <= set(doc.regions)
    assert doc.regions.index("南宁") < doc.regions.index("广西")  # cities first


@pytest.mark.parametrize(
    ("seed", "headings"),
    [
        ("000", ["一、线上激活方式", "二、线下激活方式", "三、注意事项", "四、特殊情况处理"]),
        (
            "002",
            ["一、缴费方式", "二、适用条件", "三、所需材料", "四、缴费时间与标准", "五、注意事项"],
        ),
    ],
)
def test_numbered_sections(seed: str, headings: list[str]) -> None:
    assert [s.heading for s in _article(seed).sections] == headings


def test_snippets_text_and_regions() -> None:
    first = _docs("000")[1]
    assert first.title == "山东德州社保基数15500每个月扣多少"
    assert first.text.startswith("在山东德州,社保基数为15500元/月时")
    assert first.text.endswith("每月310元(15500×2%)")
    assert first.regions == ("德州", "山东")
    hefei = [d for d in _docs("002") if "合肥" in d.title]
    assert len(hefei) == 4 and all("合肥" in d.regions for d in hefei)
    taizhou = next(d for d in _docs("004") if d.title.startswith("泰州"))
    assert taizhou.regions[:2] == ("泰州", "上海")
    plain = next(d for d in _docs("002") if d.title == "公司交社保不交医保可以吗")
    assert plain.regions == ()


def test_ids_unique_and_tolerant_of_spacing_and_width() -> None:
    ids = [d.doc_id for seed in SEEDS for d in _docs(seed)]
    assert len(ids) == len(set(ids)) == 84
    assert doc_id_for("合肥 医保?", "每人400元,补助670元。") == doc_id_for(
        "合肥医保?", "每人 400 元,补助 670 元."
    )
    assert doc_id_for("合肥医保", "每人400元") != doc_id_for("合肥医保", "每人380元")


def test_looks_like_page() -> None:
    assert all(looks_like_page(_raw(seed)) for seed in SEEDS)
    assert not looks_like_page("医保报销指南\n\n职工医保报销比例为70%。\n")
    assert not looks_like_page("相关推荐\n\n没有日期的列表\n")


def test_too_long_title_and_question_lines_stay_text() -> None:
    """A 'title' or 'question' line longer than a title can be is kept in the document."""
    long_line = "参保人员在定点医疗机构就医发生的住院费用由统筹基金按比例支付" * 400
    raw = (
        f"{long_line}\n\n第二段正文。\n\n提示:本内容不能代替面诊,如有不适请尽快就医。\n相关推荐\n\n"
        f"{long_line}\n\n回答正文。\n\n健康新闻 2025-04-18\n"
    )
    article, snippet = parse_page(raw, "long.txt")
    assert article.title == snippet.title == derived_title(long_line)
    assert article.text == f"{long_line}\n\n第二段正文。"
    assert snippet.text == f"{long_line}\n\n回答正文。"
    for doc in (article, snippet):
        assert raw[doc.start : doc.end] == doc.text
