"""The embed stage: only new, distinct keys are embedded; the rest come from the old index."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.freshness import check
from ingest.pipeline import build, chunk, load
from ingest.vectors import EmbedJob, embed_chunks, pending, run_jobs
from qa.embedders.fake import FakeEmbedder
from qa.settings import Settings
from qa.types import Chunk


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__(16)
        self.texts: list[str] = []

    def embed_passages(self, texts):
        self.texts += texts
        return super().embed_passages(texts)

    def embed_queries(self, texts):
        self.texts += texts
        return super().embed_queries(texts)


def test_job_embeds_each_unknown_key_once() -> None:
    known = {"k1": np.ones(16, dtype=np.float32)}
    job = EmbedJob(["a", "b", "a2", "c"], ["k1", "k2", "k2", "k3"], known)
    assert job.todo == [1, 3] and pending([job]) == 2
    embedder, seen = CountingEmbedder(), []
    (vectors,) = run_jobs([job], embedder, 16, batch=1, progress=lambda *p: seen.append(p))
    assert embedder.texts == ["b", "c"] and seen == [(1, 2), (2, 2)]
    assert vectors.shape == (4, 16) and np.array_equal(vectors[1], vectors[2])
    assert np.array_equal(vectors[0], known["k1"])


class BatchRecorder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__(16)
        self.calls: list[tuple[str, list[str]]] = []

    def embed_passages(self, texts):
        self.calls.append(("passage", list(texts)))
        return super().embed_passages(texts)

    def embed_queries(self, texts):
        self.calls.append(("query", list(texts)))
        return super().embed_queries(texts)


def test_jobs_with_one_prompt_share_one_longest_first_stream() -> None:
    titles = EmbedJob(["短", "标题二"], ["t1", "t2"], {}, as_query=True)
    pieces = EmbedJob(["一句很长的话。", "中等长度"], ["p1", "p2"], {}, as_query=True)
    passages = EmbedJob(["段落", "更长的段落"], ["c1", "c2"], {})
    embedder = BatchRecorder()
    out = run_jobs([titles, pieces, passages], embedder, 16, batch=3)
    assert embedder.calls == [
        ("passage", ["更长的段落", "段落"]),
        ("query", ["一句很长的话。", "中等长度", "标题二"]),  # titles and pieces mixed
        ("query", ["短"]),
    ]
    direct = FakeEmbedder(16)
    assert np.allclose(out[0][1], direct.embed_queries(["标题二"])[0], atol=1e-3)
    assert np.allclose(out[2][1], direct.embed_passages(["更长的段落"])[0], atol=1e-3)


def test_nothing_to_embed_needs_no_embedder() -> None:
    job = EmbedJob(["a"], ["k"], {"k": np.zeros(16, dtype=np.float32)}, as_query=True)
    (vectors,) = run_jobs([job], None, 16, batch=8)
    assert vectors.shape == (1, 16)
    with pytest.raises(ValueError, match="no embedder"):
        run_jobs([EmbedJob(["a"], ["k"], {})], None, 16, batch=8)


def _chunk(title: str, text: str) -> Chunk:
    return Chunk(title, "doc", "a.txt", "file", title, text, 0, len(text))


def test_embed_chunks_titles_and_pieces(fake_settings: Settings) -> None:
    chunks = [_chunk("缴费", "每年缴费。逾期补缴。"), _chunk("缴费", "线上缴费。")]
    embedder = CountingEmbedder()
    vectors = embed_chunks(chunks, None, embedder, fake_settings)
    assert vectors.embedded == 2 and vectors.dim == 16
    assert vectors.passages.shape == (2, 16) and vectors.titles.shape == (2, 16)
    assert vectors.piece_spans == [(0, 0, 10), (1, 0, 5)]
    assert len(set(vectors.title_keys)) == 1  # one title, embedded once
    assert len(embedder.texts) == 2 + 1 + 2


def test_embed_chunks_reuses_the_previous_index(fake_settings: Settings) -> None:
    corpus = chunk(load(fake_settings), fake_settings)
    first = embed_chunks(corpus.chunks, None, CountingEmbedder(), fake_settings)
    fresh = check(fake_settings, "fake-char-bigram-16", corpus.loaded.file_hashes)
    previous = build(corpus, first, "fake-char-bigram-16", fresh.digest, fake_settings)
    embedder = CountingEmbedder()
    again = embed_chunks(corpus.chunks, previous, embedder, fake_settings)
    assert again.embedded == 0 and embedder.texts == []
    for name in ("passages", "pieces"):  # 8-bit codes
        new, old = getattr(again, name), getattr(first, name)
        assert np.abs(new - old).max() < 0.01 and not np.array_equal(new, old), name
    half = np.float16  # titles: fp16 codes, read back exactly as the embed stage rounded them
    assert np.array_equal(again.titles, first.titles.astype(half).astype(np.float32))
    digest = fresh.digest
    rebuilt = build(corpus, again, "fake-char-bigram-16", digest, fake_settings, (), previous)
    third = embed_chunks(corpus.chunks, rebuilt, CountingEmbedder(), fake_settings)
    for name in ("passages", "titles", "pieces"):  # the 8-bit ranges were kept: no drift
        assert np.array_equal(getattr(third, name), getattr(again, name)), name


def test_a_new_passage_prompt_re_embeds_the_passages(fake_settings: Settings) -> None:
    # A passage key leaves the prompt out: vectors of an index embedded under another
    # passage prompt must not be reused (titles and pieces, whose keys hold the query
    # prompt, still are).
    corpus = chunk(load(fake_settings), fake_settings)
    first = embed_chunks(corpus.chunks, None, CountingEmbedder(), fake_settings)
    fresh = check(fake_settings, "fake-char-bigram-16", corpus.loaded.file_hashes)
    previous = build(corpus, first, "fake-char-bigram-16", fresh.digest, fake_settings)
    other = fake_settings.model_copy(update={"passage_prompt": "query: "})
    embedder = CountingEmbedder()
    again = embed_chunks(corpus.chunks, previous, embedder, other)
    assert again.embedded == len(corpus.chunks)
    assert len(embedder.texts) == len(set(again.passage_keys))  # the passages, nothing else
