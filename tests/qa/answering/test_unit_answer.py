"""Answer units and the unit composer (``YIBAO_COMPOSER=units``) on the real corpus."""

import re

import pytest

from qa.answering.disclaimer import DISCLAIMER
from qa.answering.unit_answer import UnitComposer
from qa.answering.units import sibling_units, unit_of
from qa.retrieval.question import understand
from qa.text.figures import unsupported_figures
from qa.types import Hit
from tests.conftest import make_settings
from tests.qa.answering.test_extractive import assert_well_cited, body_without_date_note, hits

ACTIVATE = "医保从来没用过怎么激活"


@pytest.fixture(scope="module")
def corpus(corpus_documents, corpus_chunks):
    return {d.doc_id: d for d in corpus_documents}, corpus_chunks


@pytest.fixture(scope="module")
def composer(tmp_path_factory):
    return UnitComposer(make_settings(tmp_path_factory.mktemp("units"), composer="units"))


def _chunk(chunks, title_part, text_part):
    return next(c for c in chunks if title_part in c.title and text_part in c.text)


def test_a_unit_is_the_section_with_its_list_structure(corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, ACTIVATE, "医保经办机构办理")
    unit = unit_of(chunk, documents[chunk.doc_id])
    assert unit.heading == "二、线下激活方式"
    shown = [(ln.shown, ln.depth, ln.heading) for ln in unit.lines]
    assert shown[0] == ("二、线下激活方式", 0, True)
    assert ("1. 医保经办机构办理", 1, True) in shown  # an item title: structure, not a point
    steps = [s for s, depth, heading in shown if depth == 2]
    assert steps and all(s.startswith("•") for s in steps)
    assert [ln.start for ln in unit.lines] == sorted(ln.start for ln in unit.lines)
    headings = [u.heading for u in sibling_units(unit)]
    assert headings[:2] == ["一、线上激活方式", "二、线下激活方式"]


def test_a_cut_off_snippet_ends_at_its_last_clean_stop(corpus):
    documents, chunks = corpus
    snippets = [d for d in documents.values() if d.kind == "snippet" and not d.sections]
    for doc in snippets:
        chunk = next(c for c in chunks if c.doc_id == doc.doc_id)
        lines = unit_of(chunk, doc).lines
        if lines:
            assert lines[-1].shown[-1] in '。！？!?；;”）)】」』"%％元', lines[-1].shown


def test_an_older_user_gets_the_in_person_route_in_source_order(composer, corpus):
    documents, chunks = corpus
    wanted = [(ACTIVATE, "注意事项"), (ACTIVATE, "线上激活方式"), (ACTIVATE, "线下激活方式")]
    question = understand("我妈60多了从来没用过医保卡怎么激活")
    result = composer.compose(question, hits(chunks, *wanted), documents)
    body = result.body
    assert body.startswith("共有两种方式:线上激活方式、线下激活方式。")
    offline = body.index("二、线下激活方式")
    assert offline < body.index("医保经办机构办理") < body.index("定点医疗机构/药店激活")
    assert "一、线上激活方式" not in body  # the route the question does not need
    assert_well_cited(result, documents)


def test_headings_are_never_cited_and_nothing_is_said_twice(composer, corpus):
    documents, chunks = corpus
    questions = {
        "我妈60多了从来没用过医保卡怎么激活": [(ACTIVATE, "线下激活方式")],
        "怎么把老婆绑到我的家庭共济": [("家庭共济", "家庭成员绑定")],
        "合肥居民医保一年交多少钱": [("合肥市医保缴费", "")],
        "医保码能在微信激活吗": [(ACTIVATE, "线上激活方式")],
    }
    for text, wanted in questions.items():
        result = composer.compose(understand(text), hits(chunks, *wanted), documents)
        assert result.body and result.citations, text
        lines = [ln.strip() for ln in result.body.splitlines() if ln.strip()]
        for line in lines:
            if re.search(r"\[\d+\]$", line):
                bare = re.sub(r"\[\d+\]$", "", line)
                assert not re.fullmatch(r"[一二三四五六七八九十]+、.{0,12}", bare), line
                assert not bare.endswith((":", "：")), line
        points = [re.sub(r"\[\d+\]$", "", ln) for ln in lines if len(ln) > 12]
        assert len(points) == len(set(points)), text
        quotes = [c.quote for c in result.citations]
        assert not unsupported_figures(body_without_date_note(result), quotes)
        assert DISCLAIMER not in result.body
        assert_well_cited(result, documents)


def test_nothing_relevant_gives_an_empty_body(composer, corpus):
    documents, chunks = corpus
    chunk = _chunk(chunks, ACTIVATE, "线上激活方式")
    result = composer.compose(understand("茅台股票能买吗"), [Hit(chunk, 1, 1.0)], documents)
    assert result.body == "" and not result.citations
