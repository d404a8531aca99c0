"""Document frequencies from postings: the same counts as a scan of every document."""

from __future__ import annotations

import logging
import random
import shutil

import numpy as np
import pytest

import qa.text.substrings as substrings_module
from eval.gold import load_gold, split_items
from ingest.pipeline import run_ingest
from qa.index.hybrid import HybridIndex
from qa.index.versions import current_version
from qa.retrieval.question import understand
from qa.text.normalize import fold
from qa.text.substrings import FOLDER, SubstringIndex, searchable, substrings_of
from qa.text.synonyms import get_synonyms
from qa.types import Document
from tests.conftest import build_service, make_settings


def scan(token: str, documents: list[Document]) -> int:
    """The count before the postings: every document's folded title and text read."""
    folded = fold(token)
    return sum(folded in fold(f"{d.title}\n{d.text}") for d in documents)


def service_tokens() -> list[str]:
    """Every string the composer and the refusal check count for the dev and dev2 questions:
    terms, synonym-expanded terms, key terms, their stems and their synonyms."""
    synonyms, tokens = get_synonyms(), set()
    items = load_gold()
    for question in [it.question for s in ("dev", "dev2") for it in split_items(items, s)]:
        understood = understand(question)
        tokens.update(understood.terms + understood.expanded + understood.key_terms)
        for term in understood.key_terms:
            tokens.add(term[:-1])
            tokens.update(synonyms.related(term))
    return sorted(tokens)


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory) -> HybridIndex:
    """The bundled corpus ingested with the fake embedder, loaded back from disk."""
    settings = make_settings(tmp_path_factory.mktemp("substrings"))
    run_ingest(settings)
    return HybridIndex.load(settings.index_dir)


def test_stored_counts_equal_a_scan_on_every_dev_and_dev2_token(seeds_index):
    tokens = service_tokens()
    assert len(tokens) > 500
    stored = seeds_index.substrings
    assert isinstance(stored.low, np.memmap)  # read from the version folder, not rebuilt
    documents = seeds_index.documents
    counts = {t: scan(t, documents) for t in tokens}
    assert {t: stored.count(t) for t in tokens} == counts
    assert {t: stored.count(t, limit=1) for t in tokens} == {
        t: min(c, 1) for t, c in counts.items()
    }
    assert any(c == 0 for c in counts.values()) and any(c > 1 for c in counts.values())
    assert sum(len(t) >= 3 and c > 0 for t, c in counts.items()) > 50  # verified candidates


def test_the_service_counts_through_the_stored_postings(tmp_path):
    service = build_service(make_settings(tmp_path))
    assert service.retriever.store.substrings is service.retriever.index.substrings
    documents = list(service.documents.values())
    for token in ("医保码", "激活", "滞纳金", "医", "居民医保"):
        assert service.extractive.document_frequency(token, service.documents) == scan(
            token, documents
        )


def _random_tokens(texts: list[str], n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    tokens = ["", " ", "\n", "a", "Ａ", "，", ",", "\U0001f600", "医保\n", "x\U0001f600"]
    for _ in range(n):
        text = rng.choice([t for t in texts if t])
        at = rng.randrange(len(text))
        tokens.append(text[at : at + rng.randint(1, 8)])  # present somewhere
        tokens.append("".join(rng.choice(text) for _ in range(rng.randint(2, 4))))  # mostly not
    return tokens


def test_counts_equal_a_scan_on_random_substrings_whatever_the_build_blocks(
    corpus_documents, monkeypatch
):
    empty = Document("e", "e.txt", "", "faq", "")  # no title, no text: an empty searchable text
    documents = [*corpus_documents, empty]
    texts = [searchable(d) for d in documents]
    whole = SubstringIndex.build(texts)
    monkeypatch.setattr(substrings_module, "_BLOCK", 97)  # many blocks, many merge slices
    blocks = SubstringIndex.build(texts)
    for name in ("keys", "starts", "low"):
        assert np.array_equal(getattr(whole, name), getattr(blocks, name))
    tokens = _random_tokens(texts, 600)
    assert [whole.count(t) for t in tokens] == [scan(t, documents) for t in tokens]


def test_more_than_65536_documents_split_their_ordinals(corpus_documents, monkeypatch):
    monkeypatch.setattr(substrings_module, "_BLOCK", 20_000)
    texts = [searchable(d)[:40] for d in corpus_documents] * 900  # 75,600 short documents
    index = SubstringIndex.build(texts)
    assert index.n_documents > 2**16 and len(index.keys) > len(np.unique(index.keys >> 1))
    for token in _random_tokens(texts[:84], 40):
        folded = fold(token)
        assert index.count(token) == sum(folded in t for t in texts), token


def test_a_version_without_postings_loads_and_counts_the_same(seeds_index, tmp_path, caplog):
    settings = make_settings(tmp_path)
    run_ingest(settings)
    shutil.rmtree(current_version(settings.index_dir) / FOLDER)  # as saved before them
    with caplog.at_level(logging.INFO, logger="qa.text.substrings"):
        older = HybridIndex.load(settings.index_dir)
    assert "built at load" in caplog.text
    tokens = service_tokens()[::7]
    assert [older.substrings.count(t) for t in tokens] == [
        seeds_index.substrings.count(t) for t in tokens
    ]


def test_a_plain_mapping_gets_postings_built_from_it(corpus_documents):
    by_id = {d.doc_id: d for d in corpus_documents}
    built = substrings_of(by_id)
    assert built.n_documents == len(corpus_documents)
    assert built.count("医保") == scan("医保", corpus_documents) > 0


def test_a_pair_across_two_documents_is_no_pair():
    index = SubstringIndex.build(["医", "保", "医保", "", "ab"])  # texts as searchable() gives
    assert [index.count(t) for t in ("医保", "保医", "医", "医保医", "", "b")] == [1, 0, 2, 0, 5, 1]
    assert index.count("ＡB") == 1  # the token is folded as the texts were
