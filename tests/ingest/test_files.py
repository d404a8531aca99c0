"""Walking a corpus never aborts: links, loops and unreadable entries are skipped with a reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.files import DANGLING, EXTERNAL, LOOP, NOT_REGULAR, walk_corpus
from ingest.loaders import load_paths
from ingest.pipeline import load
from tests.conftest import make_settings

MAX = 10_000


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder ``D`` holding one good file, next to a file outside it."""
    folder = tmp_path / "D"
    folder.mkdir()
    (folder / "good.txt").write_text("异地就医\n备案后可直接结算。", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("外部文件\n不应被索引的内容。", encoding="utf-8")
    return folder


def reasons(folder: Path, **options: bool) -> dict[str, str]:
    result = load_paths([folder], MAX, **options)
    assert [d.source for d in result.documents if d.source == "good.txt"] == ["good.txt"]
    return {s.path: s.reason for s in result.skipped}


def test_symlink_loops_are_skipped_not_fatal(corpus: Path) -> None:
    (corpus / "loop.txt").symlink_to("loop.txt")
    (corpus / "a.txt").symlink_to("b.txt")
    (corpus / "b.txt").symlink_to("a.txt")
    assert reasons(corpus) == {"loop.txt": LOOP, "a.txt": LOOP, "b.txt": LOOP}


def test_folder_links_to_itself_or_a_parent_are_loops(corpus: Path) -> None:
    (corpus / "self").symlink_to(".", target_is_directory=True)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up").symlink_to("..", target_is_directory=True)
    (corpus / "sub" / "note.txt").write_text("说明\n子目录里的文件。", encoding="utf-8")
    result = load_paths([corpus], MAX)
    assert {s.path: s.reason for s in result.skipped} == {"self": LOOP, "sub/up": LOOP}
    assert sorted(d.source for d in result.documents) == ["good.txt", "sub/note.txt"]


def test_links_inside_the_folder_are_followed_once(corpus: Path) -> None:
    (corpus / "docs").mkdir()
    (corpus / "docs" / "a.txt").write_text("甲\n正文甲。", encoding="utf-8")
    (corpus / "alias").symlink_to("docs", target_is_directory=True)
    (corpus / "same.txt").symlink_to("good.txt")
    result = load_paths([corpus], MAX)
    assert result.skipped == []
    assert sorted(d.source for d in result.documents) == ["alias/a.txt", "good.txt"]


def test_links_out_of_the_folder_are_refused_unless_allowed(corpus: Path) -> None:
    (corpus.parent / "E").mkdir()
    (corpus.parent / "E" / "more.txt").write_text("外部目录\n其中的文件。", encoding="utf-8")
    (corpus / "x.txt").symlink_to(corpus.parent / "secret.txt")  # ln -s /etc/passwd D/x.txt
    (corpus / "outside").symlink_to("../E", target_is_directory=True)
    assert reasons(corpus) == {"x.txt": EXTERNAL, "outside": EXTERNAL}
    allowed = load_paths([corpus], MAX, allow_external_symlinks=True)
    assert sorted(d.source for d in allowed.documents) == ["good.txt", "outside/more.txt", "x.txt"]
    assert allowed.skipped == []


def test_the_setting_reaches_the_loader(corpus: Path, tmp_path: Path) -> None:
    (corpus / "x.txt").symlink_to(corpus.parent / "secret.txt")
    refused = load(make_settings(tmp_path, corpus_dir=corpus))
    assert [s.reason for s in refused.skipped] == [EXTERNAL]
    allowed = load(make_settings(tmp_path, corpus_dir=corpus, allow_external_symlinks=True))
    assert allowed.skipped == [] and "x.txt" in allowed.file_hashes


def test_dangling_links_and_fifos_are_skipped(corpus: Path) -> None:
    (corpus / "broken.txt").symlink_to("missing.txt")
    (corpus / "gone").symlink_to("missing-folder", target_is_directory=True)
    os.mkfifo(corpus / "pipe.txt")  # reading it would wait forever for a writer
    assert reasons(corpus) == {
        "broken.txt": DANGLING,
        "gone": DANGLING,
        "pipe.txt": NOT_REGULAR,
    }


def test_a_fifo_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    result = load_paths([tmp_path / "pipe.txt"], MAX)
    assert [(s.path, s.reason) for s in result.skipped] == [("pipe.txt", NOT_REGULAR)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_files_and_folders_are_skipped(corpus: Path) -> None:
    (corpus / "locked.txt").write_text("标题\n正文。", encoding="utf-8")
    (corpus / "locked.txt").chmod(0)
    (corpus / "closed").mkdir()
    (corpus / "closed").chmod(0)
    try:
        assert reasons(corpus) == {
            "locked.txt": "无法读取文件(Permission denied)",
            "closed": "无法读取目录(Permission denied)",
        }
    finally:
        (corpus / "closed").chmod(0o755)


def test_a_folder_that_cannot_be_listed_is_skipped(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the test above, for any user (root lists a mode-000 folder)."""
    (corpus / "closed").mkdir()
    (corpus / "closed" / "a.txt").write_text("标题\n正文。", encoding="utf-8")
    scandir = os.scandir

    def refuse(path: str | Path) -> Iterator[os.DirEntry[str]]:
        if Path(path).name == "closed":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    assert reasons(corpus) == {"closed": "无法读取目录(Permission denied)"}


def test_walk_lists_files_before_subfolders_sorted_and_skips_hidden(corpus: Path) -> None:
    (corpus / "b").mkdir()
    (corpus / "b" / "z.txt").write_text("z", encoding="utf-8")
    (corpus / "a.md").write_text("a", encoding="utf-8")
    (corpus / ".hidden").symlink_to("missing")  # hidden: not even reported
    walk = walk_corpus(corpus)
    assert [source for _, source in walk.files] == ["a.md", "good.txt", "b/z.txt"]
    assert walk.skipped == []


def test_a_very_deep_tree_is_walked_without_recursion(corpus: Path) -> None:
    deep = corpus
    for _ in range(1_200):  # deeper than Python's recursion limit
        deep /= "d"
        deep.mkdir()
    (deep / "bottom.txt").write_text("底部\n最深处的文件。", encoding="utf-8")
    try:
        walk = walk_corpus(corpus)
        assert [source for _, source in walk.files] == ["good.txt", "d/" * 1_200 + "bottom.txt"]
    finally:  # removed level by level: pytest's clean-up (shutil.rmtree) recurses
        (deep / "bottom.txt").unlink()
        while deep != corpus:
            deep.rmdir()
            deep = deep.parent
