"""Ingestion end to end with the fake embedder: incremental re-ingest and user folders."""

import shutil

import numpy as np
import pytest

import ingest.building as building
from ingest.pipeline import EmptyCorpusError, is_stale, run_ingest
from qa.embedders.fake import FakeEmbedder
from qa.index.hybrid import HybridIndex
from qa.service import load_retriever
from qa.text.tokenizer import passage_terms
from tests.conftest import CORPUS, QueryCountingEmbedder, make_settings, one_line


class CountingEmbedder(FakeEmbedder):
    def __init__(self):
        super().__init__(256)
        self.passages = 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return super().embed_passages(texts)


def test_unchanged_corpus_embeds_nothing(fake_settings):
    first = run_ingest(fake_settings, embedder=CountingEmbedder())
    assert first.embedded == first.chunks > 0 and not first.up_to_date
    counting = CountingEmbedder()
    again = run_ingest(fake_settings, embedder=counting)
    assert again.up_to_date and again.embedded == 0 and counting.passages == 0
    assert not is_stale(fake_settings)


def test_changed_file_reembeds_only_its_documents(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    first = run_ingest(settings, embedder=CountingEmbedder())
    target = corpus / "001_5a948301c2343ca9.txt"
    raw = target.read_text("utf-8")
    edited = raw.replace("河北廊坊社保基数9600是几档", "河北廊坊社保基数9600算第几档", 1)
    assert edited != raw
    target.write_text(edited, "utf-8")
    assert is_stale(settings)
    counting = CountingEmbedder()
    second = run_ingest(settings, embedder=counting)
    assert not second.up_to_date
    assert 1 <= second.embedded <= 2 and counting.passages == second.embedded
    assert second.reused == first.chunks - second.embedded
    titles = [c.title for c in HybridIndex.load(settings.index_dir).chunks]
    assert "河北廊坊社保基数9600算第几档" in titles


def test_user_folder_with_bad_files_skips_them_and_indexes_the_rest(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "good.txt").write_text("异地就医备案\n跨省就医前需要先在参保地办理备案。", "utf-8")
    (folder / "gbk.txt").write_bytes("医保报销\n住院报销比例约为百分之七十。".encode("gbk"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    settings = make_settings(tmp_path)
    report = run_ingest(settings, paths=[folder])
    assert report.documents == 2
    skipped = {s.path: s.reason for s in report.skipped}
    assert set(skipped) == {"empty.txt", "image.txt"}
    assert all(reason for reason in skipped.values())
    index = HybridIndex.load(settings.index_dir)
    texts = " ".join(c.text for c in index.chunks)
    assert "百分之七十" in texts and "参保地办理备案" in texts


def test_bad_file_never_replaces_a_good_index_with_nothing(tmp_path):
    settings = make_settings(tmp_path)
    run_ingest(settings)
    n = len(HybridIndex.load(settings.index_dir).chunks)
    folder = tmp_path / "only-bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    with pytest.raises(EmptyCorpusError) as excinfo:
        run_ingest(settings, paths=[folder])
    assert [s.path for s in excinfo.value.skipped] == ["empty.txt"]
    assert len(HybridIndex.load(settings.index_dir).chunks) == n


def test_markdown_with_only_a_title_heading_is_indexed(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "note.md").write_text(
        "# 异地就医备案\n\n跨省就医前需要先在参保地办理备案。\n", "utf-8"
    )
    settings = make_settings(tmp_path)
    report = run_ingest(settings, paths=[folder])
    assert (report.documents, report.skipped) == (1, [])
    (chunk,) = HybridIndex.load(settings.index_dir).chunks
    assert (chunk.title, chunk.text) == ("异地就医备案", "跨省就医前需要先在参保地办理备案。")


def test_staleness_follows_settings_and_rebuild_reembeds_everything(tmp_path):
    settings = make_settings(tmp_path)
    assert is_stale(settings)
    first = run_ingest(settings, embedder=CountingEmbedder())
    assert not is_stale(settings)
    assert is_stale(make_settings(tmp_path, chunk_size=200))
    counting = CountingEmbedder()
    again = run_ingest(settings, embedder=counting, rebuild=True)
    assert not again.up_to_date and again.embedded == first.chunks == counting.passages
    assert (
        again.per_source == first.per_source and sum(d for d, _ in first.per_source.values()) == 84
    )


class CharCountingEmbedder(FakeEmbedder):
    """Counts the characters of every text it embeds (passages, titles, pieces)."""

    def __init__(self):
        super().__init__(64)
        self.chars = 0

    def _embed(self, texts):
        self.chars += sum(map(len, texts))
        return super()._embed(texts)


@pytest.mark.parametrize("kind", ["plain", "punctuated", "random"])
def test_a_one_line_file_is_indexed_with_work_and_size_linear_in_it(tmp_path, monkeypatch, kind):
    """Its line used to be every chunk's title: embedded, tokenised and stored per chunk."""
    line = one_line(kind, 20_000)
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "line.txt").write_text(line, "utf-8")
    tokenised = []
    monkeypatch.setattr(
        building, "passage_terms", lambda text: tokenised.append(len(text)) or passage_terms(text)
    )
    embedder = CharCountingEmbedder()
    settings = make_settings(tmp_path)
    report = run_ingest(settings, embedder=embedder, paths=[folder])
    assert report.chunks >= len(line) // 350
    assert sum(tokenised) <= 2 * len(line)  # the chunks' titles and texts
    assert embedder.chars <= 5 * len(line)  # passages, titles, sentence pieces
    (stored,) = settings.index_dir.rglob("chunks.jsonl")
    assert stored.stat().st_size <= (folder / "line.txt").stat().st_size
    assert all(len(c.title) <= 30 for c in HybridIndex.load(settings.index_dir).chunks)


def test_sentence_signal_off_embeds_no_pieces_and_turning_it_on_makes_the_index_stale(tmp_path):
    on, off = QueryCountingEmbedder(), QueryCountingEmbedder()
    run_ingest(make_settings(tmp_path / "on"), embedder=on)
    settings = make_settings(tmp_path / "off", sentence_dense_weight=0)
    report = run_ingest(settings, embedder=off)
    titles = len({c.title for c in HybridIndex.load(settings.index_dir).chunks})
    assert off.queries == titles < on.queries  # titles only: no sentence piece embedded
    index = HybridIndex.load(settings.index_dir)
    assert index.sentences.vectors.ntotal == 0 and len(index.chunks) == report.chunks
    assert load_retriever(settings).search("怎么激活医保码", top_k=3)
    assert not is_stale(settings)
    assert is_stale(make_settings(tmp_path / "off", sentence_dense_weight=0.5))


def test_a_reingest_keeps_every_reused_vectors_8bit_codes(tmp_path):
    """Passages and pieces are 8-bit codes with per-dimension ranges (titles fp16): an ingest
    that reuses them (one file removed, so the rest fit the old ranges) keeps the ranges,
    and every reused vector decodes to exactly what it did before."""
    from qa.index.vectorstore import ranges_of

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    run_ingest(settings)
    before = HybridIndex.load(settings.index_dir)
    (corpus / "004_ef3ce06d3a4f1cd1.txt").unlink()
    counting = CountingEmbedder()
    assert run_ingest(settings, embedder=counting).embedded == 0 and counting.passages == 0
    after = HybridIndex.load(settings.index_dir)
    assert 0 < len(after.chunks) < len(before.chunks)

    pairs = [(before.vectors, after.vectors), (before.sentences.vectors, after.sentences.vectors)]
    for old, new in pairs:
        assert ranges_of(old) is not None and np.array_equal(ranges_of(old), ranges_of(new))
    old_rows = {key: row for row, key in enumerate(before.embed_keys)}
    for row, key in enumerate(after.embed_keys):
        assert np.array_equal(after.vector_of(row), before.vector_of(old_rows[key]))
        old_title = before.titles.vector_of(old_rows[key])
        assert np.array_equal(after.titles.vector_of(row), old_title)
    old_pieces = {key: p for p, key in enumerate(before.sentences.keys)}
    for piece, key in enumerate(after.sentences.keys):
        old_piece = before.sentences.vector_of(old_pieces[key])
        assert np.array_equal(after.sentences.vector_of(piece), old_piece)
