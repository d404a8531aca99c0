"""The knowledge base record: sources, removed files and documents, uploads."""

from __future__ import annotations

import pytest

from ingest.pipeline import run_ingest
from qa.index.sources import KB_FILE, KnowledgeBase, KnowledgeBaseError, store_upload, uploads_dir
from tests.conftest import CORPUS


def test_default_is_the_corpus_then_what_the_live_index_was_built_from(fake_settings, tmp_path):
    assert KnowledgeBase.load(fake_settings).sources == [CORPUS.absolute()]
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("异地就医备案\n\n在国家医保服务平台上办理异地就医备案。", "utf-8")
    run_ingest(fake_settings, paths=[other])
    assert KnowledgeBase.load(fake_settings).sources == [other.absolute()]


def test_add_remove_and_save_round_trip(fake_settings, tmp_path):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    inner = mine / "sub" / "x.txt"
    inner.write_text("x", "utf-8")
    kb = KnowledgeBase([CORPUS])
    assert kb.add([mine]) == [mine.absolute()]
    assert kb.add([inner]) == []  # already covered by its folder
    kb.remove_path(inner, fake_settings)
    assert kb.removed == [inner.absolute()] and kb.removed_labels() == {"sub/x.txt"}
    kb.add([inner])  # adding it again undoes the removal
    assert kb.removed == []
    kb.remove_document("abc123")
    kb.save(fake_settings)
    again = KnowledgeBase.load(fake_settings)
    assert again.sources == [CORPUS, mine.absolute()] and again.removed_docs == ["abc123"]
    assert again.file_of("sub/x.txt") == mine.absolute() / "sub" / "x.txt"
    with pytest.raises(KnowledgeBaseError, match="不在知识库中"):
        again.remove_path(tmp_path / "elsewhere.txt", fake_settings)
    with pytest.raises(KnowledgeBaseError, match="路径不存在"):
        again.add([tmp_path / "missing"])


def test_a_missing_source_is_an_error_not_a_silent_skip(tmp_path):
    kb = KnowledgeBase([CORPUS, tmp_path / "gone"])
    with pytest.raises(KnowledgeBaseError, match="已不存在"):
        kb.paths()


def test_a_damaged_record_is_a_clear_error(fake_settings):
    fake_settings.data_dir.mkdir(parents=True)
    (fake_settings.data_dir / KB_FILE).write_text("{not json", "utf-8")
    with pytest.raises(KnowledgeBaseError, match="无法读取"):
        KnowledgeBase.load(fake_settings)


def test_uploads_get_safe_unique_names_and_removing_one_deletes_it(fake_settings):
    first = store_upload(fake_settings, "../../etc/我的 文件?.md", b"# a\n")
    second = store_upload(fake_settings, "我的 文件?.md", b"# b\n")
    assert first.parent == second.parent == uploads_dir(fake_settings)
    assert first != second and first.read_bytes() == b"# a\n" and "/" not in first.name
    kb = KnowledgeBase([CORPUS, uploads_dir(fake_settings)])
    kb.remove_path(first, fake_settings)
    assert not first.exists() and kb.removed == []


def test_root_of_a_label_and_upload_names_another_source_uses(fake_settings, tmp_path):
    kb = KnowledgeBase([CORPUS.absolute(), uploads_dir(fake_settings)])
    label = sorted(CORPUS.glob("*.txt"))[0].name
    assert kb.root_of(label) == CORPUS.absolute() and kb.root_of("nope.txt") is None
    stored = store_upload(fake_settings, label, b"x", taken=lambda n: kb.file_of(n) is not None)
    assert stored.name != label and stored.suffix == ".txt"
    assert kb.root_of(stored.name) == uploads_dir(fake_settings)
