"""Baselines over a tiny three-page corpus, with the fake embedder behind the adapter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.baselines import (
    Chatchat,
    ChineseRecursiveTextSplitter,
    EmbedderEmbeddings,
    LangChainDefault,
    load_pages,
)
from eval.gold import GoldItem
from qa.embedders.fake import FakeEmbedder

RARE = "六位动态口令有效期为九十秒，过期后需要重新刷脸获取。"
WINDOW = "蜀山区政务服务中心三楼设有城乡居民医保缴费专窗，周六上午照常受理。"


def _paragraph(topic: str, action: str, i: int) -> str:
    return (
        f"{topic}第{i}条：参保人办理{action}时，应当携带本人有效身份证件。"
        f"经办机构受理后会核对{topic}信息，并告知办理结果。"
        f"如有疑问，可以拨打当地服务热线咨询{action}的具体要求。"
    )


def _page(topic: str, action: str, count: int, extra: dict[int, str]) -> str:
    paragraphs = [_paragraph(topic, action, i) + extra.get(i, "") for i in range(1, count + 1)]
    return "\n\n".join(paragraphs) + "\n"


def _long_paragraph() -> str:
    sentences = [
        f"家庭共济第{i}句：职工可以把个人账户绑定给配偶、父母和子女使用，绑定后余额可以代为支付。"
        for i in range(1, 20)
    ]
    return "".join(sentences)


PAGES = {
    "activate.txt": _page("医保码激活", "激活", 12, {7: RARE}),
    "payment.txt": _page("居民医保缴费", "缴费", 12, {4: WINDOW}),
    "family.txt": _page("家庭共济", "绑定", 4, {}) + "\n" + _long_paragraph() + "\n",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in PAGES.items():
        assert 800 <= len(text) <= 1500, (name, len(text))
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def embeddings() -> EmbedderEmbeddings:
    return EmbedderEmbeddings(FakeEmbedder())


@pytest.fixture(scope="module")
def langchain(corpus: Path, embeddings: EmbedderEmbeddings) -> LangChainDefault:
    return LangChainDefault(corpus, embeddings)


@pytest.fixture(scope="module")
def chatchat(corpus: Path, embeddings: EmbedderEmbeddings) -> Chatchat:
    return Chatchat(corpus, embeddings)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^。！？]+[。！？]", text) if s.strip()]


def test_adapter_returns_unit_vectors(embeddings: EmbedderEmbeddings) -> None:
    rows = embeddings.embed_documents(["医保码", "家庭共济"])
    query = embeddings.embed_query("医保码")
    assert len(rows) == 2 and len(query) == 256
    assert sum(x * x for x in query) == pytest.approx(1.0, abs=1e-5)
    assert query == pytest.approx(rows[0], abs=1e-6)


def test_pages_load_raw_with_file_names(corpus: Path) -> None:
    docs = load_pages(corpus)
    assert {d.metadata["source"] for d in docs} == set(PAGES)
    assert {d.metadata["source"]: d.page_content for d in docs} == PAGES


def test_langchain_default_returns_top4_small_chunks(langchain: LangChainDefault) -> None:
    pred = langchain.predict(GoldItem("q1", "六位动态口令有效期是多久", "answerable"))
    assert pred.item_id == "q1" and pred.question == "六位动态口令有效期是多久"
    assert len(pred.retrieved) == 4
    assert all(len(c.text) <= 500 for c in pred.retrieved)
    assert all(c.source in PAGES and c.chunk_id.startswith("lc-") for c in pred.retrieved)
    assert pred.answer == pred.retrieved[0].text
    assert RARE in pred.retrieved[0].text
    assert pred.retrieved[0].score >= pred.retrieved[-1].score
    assert not pred.refused


def test_langchain_default_keeps_every_sentence(langchain: LangChainDefault) -> None:
    for name, text in PAGES.items():
        joined = "".join(c.page_content for c in langchain.chunks if c.metadata["source"] == name)
        for sentence in _sentences(text):
            if len(sentence) < 40:  # its 500-char splits cut sentences; short ones stay whole
                assert sentence in joined


def test_chinese_splitter_cuts_after_sentence_ends() -> None:
    text = PAGES["family.txt"]
    splitter = ChineseRecursiveTextSplitter(chunk_size=750, chunk_overlap=150)
    chunks = splitter.split_text(text)
    assert len(chunks) > 1
    assert all(len(c) <= 750 for c in chunks)
    assert all(c == c.strip() and "\n\n" not in c for c in chunks)
    flat = re.sub(r"\n{2,}", "\n", text)  # Chatchat collapses blank lines inside chunks
    inner = []  # chunks ending inside the long paragraph, i.e. not at a line break
    for chunk in chunks:
        end = flat.find(chunk) + len(chunk)
        assert end >= len(chunk), "every chunk is a span of the page"
        if end < len(flat) and flat[end] != "\n":
            inner.append(chunk)
    assert inner and all(c.endswith("。") for c in inner)
    for sentence in _sentences(text):
        assert any(sentence in c for c in chunks), sentence


def test_chinese_splitter_collapses_blank_lines() -> None:
    splitter = ChineseRecursiveTextSplitter(chunk_size=30, chunk_overlap=0)
    chunks = splitter.split_text("第一段很短。\n\n\n第二段也很短。\n\n第三段。")
    assert "".join(chunks).replace("\n", "") == "第一段很短。第二段也很短。第三段。"
    assert all("\n\n" not in c for c in chunks)


def test_chatchat_chunks_follow_its_defaults(chatchat: Chatchat) -> None:
    assert all(len(c.page_content) <= 750 for c in chatchat.chunks)
    assert {c.metadata["source"] for c in chatchat.chunks} == set(PAGES)
    assert len([c for c in chatchat.chunks if c.metadata["source"] == "family.txt"]) > 1


def test_chatchat_fuses_bm25_and_dense(chatchat: Chatchat) -> None:
    question = "家庭共济绑定配偶后余额怎么用"
    bm25 = chatchat.bm25.invoke(question)
    dense = chatchat.dense.invoke(question)
    assert len(bm25) == 3 and len(dense) == 3  # the dense branch is not filtered away
    fused = chatchat.search(question)
    assert 0 < len(fused) <= chatchat.k == 3
    pool = {d.page_content for d in bm25} | {d.page_content for d in dense}
    assert {d.page_content for d in fused} <= pool


def test_chatchat_rare_words_rank_their_page_first(chatchat: Chatchat) -> None:
    pred = chatchat.predict(GoldItem("q2", "蜀山区政务服务中心的缴费专窗周六开吗", "answerable"))
    assert 0 < len(pred.retrieved) <= 3
    assert pred.retrieved[0].source == "payment.txt"
    assert WINDOW in pred.retrieved[0].text
    assert pred.answer == pred.retrieved[0].text
    assert all(c.chunk_id.startswith("cc-") for c in pred.retrieved)


@pytest.mark.filterwarnings("ignore::UserWarning")  # LangChain warns that nothing passed
def test_chatchat_literal_threshold_is_bm25_only(
    corpus: Path, embeddings: EmbedderEmbeddings
) -> None:
    literal = Chatchat(corpus, embeddings, score_threshold=2.0)
    question = "六位动态口令有效期是多久"
    assert literal.dense.invoke(question) == []
    bm25 = [d.page_content for d in literal.bm25.invoke(question)]
    assert [d.page_content for d in literal.search(question)] == bm25


@pytest.mark.parametrize("system", ["langchain", "chatchat"])
def test_timings_present_and_non_negative(system: str, request: pytest.FixtureRequest) -> None:
    pred = request.getfixturevalue(system).predict(GoldItem("q3", "怎么激活医保码", "answerable"))
    assert set(pred.timings_ms) == {"search", "total"}
    assert 0 <= pred.timings_ms["search"] <= pred.timings_ms["total"]
