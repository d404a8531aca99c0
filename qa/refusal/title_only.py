"""Questions only a title in the corpus is about: refuse, naming the title.

A scraped page's link list names articles the corpus does not hold (``郑州医疗保险断交了几个月
能补交吗?`` with no body: ``qa.types.LinkTitle``). A question about that place and that topic
(郑州的医保断交了大半年了,还让补不) would otherwise be answered from general passages with a
"no 郑州 rule" note, while the corpus itself says a 郑州 rule exists and is missing. So when no
quoted passage covers the asked place and a link title names the place and shares a rare word of
the question (断交, 新农合, 调整, 网上 — a word in at most :data:`RARE_SHARE` of the documents,
so 医保 or 缴费 never count), the answer is refused and the refusal names the title.

Example:
    >>> links = LinkTitleIndex.build(store.link_titles)  # once per index
    >>> title_only_link(understand("郑州的医保断交了大半年了,还让补不"), links, [()], count, 84)
    ('郑州', LinkTitle(source='003_….txt', title='郑州医疗保险断交了几个月能补交吗?', …))
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from qa.refusal.features import quoted_about
from qa.text.tokenizer import get_tokenizer
from qa.types import LinkTitle, Question

logger = logging.getLogger(__name__)

#: A shared word counts when at most this share of the documents holds it.
RARE_SHARE = 0.08
#: Words for "somewhere else": a title's 外地 says where, not what it is about (郑州的医保能转到
#: 外地吗 is not about 《河南郑州外地的医保卡余额可以转移吗?》).
_ELSEWHERE = frozenset({"外地", "异地", "外省", "省外", "外市", "本地", "当地", "老家", "全国"})


@dataclass(frozen=True)
class LinkTitleIndex:
    """The link titles by the places they name, each with its topic words (tokens of 2+
    characters that are neither a place nor a word for "somewhere else"): built once per
    index, so a question only reads the titles of the places it names."""

    by_place: Mapping[str, tuple[tuple[LinkTitle, frozenset[str]], ...]]

    @classmethod
    def build(cls, links: Sequence[LinkTitle]) -> LinkTitleIndex:
        tokenize = get_tokenizer().tokenize
        by_place: dict[str, list[tuple[LinkTitle, frozenset[str]]]] = {}
        for link in links:
            words = frozenset(
                t
                for t in tokenize(link.title)
                if len(t) >= 2
                and t not in _ELSEWHERE
                and not any(t in p or p in t for p in link.regions)
            )
            for place in link.regions:
                by_place.setdefault(place, []).append((link, words))
        return cls({place: tuple(found) for place, found in by_place.items()})


def title_only_link(
    question: Question,
    links: LinkTitleIndex,
    quoted_regions: Sequence[Sequence[str]],
    doc_count: Callable[[str], int],
    n_documents: int,
) -> tuple[str, LinkTitle] | None:
    """The asked place and the link title the question is about, or None.

    Args:
        question: The understood question.
        links: The corpus's title-only link-list entries, by place.
        quoted_regions: The regions of each passage the composed answer cites.
        doc_count: How many documents hold a string.
        n_documents: How many documents the corpus has.
    """
    if not links.by_place or not question.regions or question.cross_region:
        return None
    rare = max(1, int(RARE_SHARE * n_documents))
    terms = set(question.terms)
    for place in question.regions:
        if any(quoted_about(place, r) for r in quoted_regions):
            continue
        for link, words in links.by_place.get(place, ()):
            shared = terms & words
            if any(doc_count(t) <= rare for t in shared):
                logger.debug("title-only link for %s: %s (%s)", place, link.title, shared)
                return place, link
    return None
