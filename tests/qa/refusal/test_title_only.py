"""A question only a bare link-list title is about: refused, naming the title."""

from __future__ import annotations

from qa.refusal.title_only import LinkTitleIndex, title_only_link
from qa.retrieval.question import understand
from qa.types import LinkTitle

LINKS = (
    LinkTitle("003.txt", "郑州医疗保险断交了几个月能补交吗?", "2025-04-27", ("郑州",)),
    LinkTitle("003.txt", "兰州医保家庭共济如何绑定使用?这份使用详情请收好", None, ("兰州",)),
    LinkTitle("003.txt", "职工医保断交后补交后多久才报销?以广州为例", None, ("广州",)),
    LinkTitle("003.txt", "电子医保卡和实体医保卡报销一样吗", None, ()),
    LinkTitle("003.txt", "河南郑州外地的医保卡余额可以转移吗?", None, ("郑州", "河南")),
)
INDEX = LinkTitleIndex.build(LINKS)
#: Document counts of a 100-document corpus: 医保 / 缴费 are everywhere, 断交 is rare.
COUNTS = {
    "医保": 90,
    "缴费": 60,
    "补交": 3,
    "断交": 2,
    "家庭": 35,
    "共济": 30,
    "家庭共济": 30,
    "绑定": 20,
}


def _count(term: str) -> int:
    return COUNTS.get(term, 0)


def _found(question: str, quoted=((),)):
    return title_only_link(understand(question), INDEX, list(quoted), _count, 100)


def test_a_place_and_a_rare_word_of_a_bare_title_are_found() -> None:
    place, link = _found("郑州的医保断交了大半年了,现在还让补不")
    assert place == "郑州" and link.title.startswith("郑州医疗保险断交")


def test_only_common_words_shared_is_no_match() -> None:
    """兰州 + 家庭共济: the title is about 家庭共济, but 30% of the documents are too."""
    assert _found("兰州的家庭共济怎么绑定") is None
    assert _found("兰州医保码怎么激活") is None  # nothing shared but the place
    assert _found("郑州的医保能转到外地吗") is None  # 外地 says where, not what about


def test_a_quoted_passage_about_the_place_or_two_places_asked_is_no_match() -> None:
    assert _found("郑州的医保断交了还能补吗", quoted=[("郑州",)]) is None
    assert _found("在郑州参保断交了去广州看病还能补交吗") is None  # 异地: another question
    assert _found("医保断交了还能补交吗") is None  # no place: the general passages answer


def test_the_titles_are_indexed_by_place_once():
    """A question reads only the titles of the places it names; place-less titles none."""
    assert set(INDEX.by_place) == {"广州", "兰州", "河南", "郑州"}
    ((link, words),) = INDEX.by_place["兰州"]
    assert "家庭共济" in words and "兰州" not in words
    assert not [w for _, words in INDEX.by_place["郑州"] for w in words if w in ("外地", "郑州")]
