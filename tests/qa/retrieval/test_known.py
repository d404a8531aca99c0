"""Known questions (``qa.retrieval.known``): reading the file, finding each answer's chunk, the
vote of the nearest known questions, held-out groups, the vector cache, and the signal in a
hybrid retrieval over the real corpus (fake embedder)."""

import json

import numpy as np
import pytest

from qa.embedders.fake import FakeEmbedder
from qa.retrieval.known import (
    CACHE_DIR,
    KnownQuestion,
    KnownQuestions,
    KnownQuestionsError,
    held_out,
    load_known,
    read_known_questions,
    resolve_rows,
    schemes_of,
)
from qa.retrieval.question import understand
from qa.service import load_retriever
from qa.text.normalize import holds_anchor
from qa.types import Chunk, Turn
from tests.conftest import QueryCountingEmbedder, corpus_index, make_settings


def _chunk(source: str, text: str, n: int = 0) -> Chunk:
    return Chunk(
        chunk_id=f"c{source}{n}",
        doc_id=f"d{source}",
        source=source,
        kind="txt",
        title="标题",
        text=text,
        start=0,
        end=len(text),
        position=n,
    )


def _write(path, entries) -> None:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), "utf-8")


def test_read_parses_lines_and_names_a_bad_one(tmp_path):
    path = tmp_path / "k.jsonl"
    _write(
        path, [{"question": "医保码咋激活", "source": "a.txt", "anchor": "刷脸激活", "group": "k"}]
    )
    assert read_known_questions(path) == [KnownQuestion("医保码咋激活", "a.txt", "刷脸激活", "k")]
    path.write_text(path.read_text("utf-8") + "\n{not json\n", "utf-8")
    with pytest.raises(KnownQuestionsError, match="第 3 行"):
        read_known_questions(path)
    _write(path, [{"question": "医保码咋激活", "source": "a.txt", "anchor": " "}])
    with pytest.raises(KnownQuestionsError, match="第 1 行缺少"):
        read_known_questions(path)


def test_an_anchor_is_held_whole_or_by_the_half_at_a_chunk_edge():
    assert holds_anchor("支付宝搜索“医保码”, 同意协议后点击", "医保码”,同意")  # spaces ignored
    assert not holds_anchor("……选择参保地后点击立即激活", "立即激活设置手机号")  # 4 of 9
    assert holds_anchor("……点击立即激活", "立即激活设置")  # half (3 of 6) ends the chunk
    assert holds_anchor("设置手机号验证码……", "立即激活设置手机号")  # the last 5 of 9 open it
    assert not holds_anchor("……点击立即", "立即激活设置手机号")  # 2 of 9
    assert not holds_anchor("家庭共济", "")


def test_rows_are_the_chunks_of_the_named_source_holding_the_anchor():
    chunks = [
        _chunk("a.txt", "刷脸激活医保码", 0),
        _chunk("b.txt", "刷脸激活医保码", 1),
        _chunk("a.txt", "线下窗口办理", 2),
    ]
    entries = [KnownQuestion("q1", "a.txt", "刷脸激活"), KnownQuestion("q2", "b.txt", "窗口办理")]
    assert resolve_rows(entries, chunks) == [(0,), ()]


def _bank() -> KnownQuestions:
    questions = ["医保码怎么激活", "家庭共济怎么绑定家人", "异地就医怎么备案"]
    vectors = FakeEmbedder(256).embed_queries(questions)
    return KnownQuestions(vectors, [(0, 5), (1,), (2,)], np.array(["a", "b", "c"]))


def test_the_nearest_known_questions_vote_for_their_chunks():
    query = FakeEmbedder(256).embed_queries(["医保码在哪激活"])[0]
    top = _bank().top(query, k=10, nearest=3)
    assert top[0][0] in (0, 5) and {r for r, _ in top[:2]} == {0, 5}  # both rows of the best
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    assert {r for r, _ in _bank().top(query, k=10, nearest=1)} == {0, 5}
    assert len(_bank().top(query, k=1, nearest=3)) == 1


def test_held_out_groups_do_not_vote_and_only_inside_the_block():
    query = FakeEmbedder(256).embed_queries(["医保码在哪激活"])[0]
    with held_out(["a"]):
        assert {r for r, _ in _bank().top(query, k=10)} == {1, 2}
    assert _bank().top(query, k=10)[0][0] in (0, 5)
    with held_out(["a", "b", "c"]):
        assert _bank().top(query, k=10) == []


def test_load_embeds_once_then_reads_the_cache_without_pickle(tmp_path):
    path = tmp_path / "k.jsonl"
    _write(
        path,
        [
            {"question": "医保码咋激活", "source": "a.txt", "anchor": "刷脸激活", "group": "k"},
            {"question": "线下能办吗", "source": "a.txt", "anchor": "窗口办理", "group": "l"},
            {"question": "答案不在了", "source": "a.txt", "anchor": "不存在的句子", "group": "m"},
        ],
    )
    settings = make_settings(tmp_path, known_questions=path)
    chunks = [_chunk("a.txt", "刷脸激活医保码", 0), _chunk("a.txt", "线下窗口办理", 1)]
    embedder = QueryCountingEmbedder()
    known = load_known(settings, chunks, embedder)
    assert known is not None and known.rows == [(0,), (1,)]  # the third is skipped
    assert list(known.groups) == ["k", "l"] and embedder.queries == 2
    [cached] = (settings.models_dir / CACHE_DIR).glob("*.npy")
    np.testing.assert_array_equal(np.load(cached, allow_pickle=False), known.vectors)
    again = load_known(settings, chunks, embedder)
    assert embedder.queries == 2 and again is not None  # nothing embedded the second time
    np.testing.assert_array_equal(again.vectors, known.vectors)
    cached.write_bytes(b"not an array")  # a broken cache is embedded again, not trusted
    assert load_known(settings, chunks, embedder) is not None and embedder.queries == 4


def test_off_by_weight_and_a_missing_file_is_a_clear_error(tmp_path):
    chunks = [_chunk("a.txt", "刷脸激活医保码")]
    off = make_settings(tmp_path, known_question_weight=0, known_questions=tmp_path / "none")
    assert load_known(off, chunks, FakeEmbedder(256)) is None
    with pytest.raises(KnownQuestionsError, match="找不到已知问题文件"):
        load_known(
            make_settings(tmp_path, known_questions=tmp_path / "none"), chunks, FakeEmbedder(256)
        )


def test_a_known_question_lifts_its_chunk_in_a_hybrid_retrieval(tmp_path_factory, tmp_path):
    base = corpus_index(tmp_path_factory)
    asked = "那个东西老人家弄不来咋整"
    plain = load_retriever(base.model_copy(update={"known_question_weight": 0}))
    assert plain.known is None
    before = [h.chunk for h in plain.search(asked, top_k=30)]
    target = next(c for c in reversed(plain.index.chunks) if c not in before[:10])
    anchor = target.text.strip()[:12]
    path = tmp_path / "k.jsonl"
    _write(path, [{"question": asked, "source": target.source, "anchor": anchor, "group": "k"}])
    known = load_retriever(base.model_copy(update={"known_questions": path}))
    hits = known.search(asked, top_k=10)
    lifted = [h for h in hits if h.chunk.chunk_id == target.chunk_id]
    assert lifted and lifted[0].scores["known"] == pytest.approx(1.0, abs=1e-3)
    with held_out(["k"]):  # the same question held out: the ranking without it
        assert [h.chunk for h in known.search(asked, top_k=10)] == before[:10]


def test_a_follow_up_is_not_matched_with_known_questions(tmp_path_factory, tmp_path):
    """A resolved follow-up is two questions joined: no known question votes for it."""
    base = corpus_index(tmp_path_factory)
    target = load_retriever(base).index.chunks[-1]
    path = tmp_path / "k.jsonl"
    asked = "换工作了医保参保地怎么改 要带啥材料"
    anchor = target.text.strip()[:12]
    _write(path, [{"question": asked, "source": target.source, "anchor": anchor, "group": "k"}])
    known = load_retriever(base.model_copy(update={"known_questions": path}))
    alone = known.search(understand(asked), top_k=30)
    assert any("known" in h.scores for h in alone)
    history = [Turn("user", "换工作了医保参保地怎么改")]
    follow_up = understand("要带啥材料", history)
    assert follow_up.follow_up and follow_up.standalone == asked
    assert not any("known" in h.scores for h in known.search(follow_up, top_k=30))


def test_a_known_question_about_another_scheme_does_not_vote():
    questions = ["第一次交城乡居民养老保险怎么办理", "城乡居民医保怎么参保登记"]
    vectors = FakeEmbedder(256).embed_queries(questions)
    known = KnownQuestions(
        vectors, [(0,), (1,)], np.array(["a", "b"]), np.array([schemes_of(q) for q in questions])
    )
    asked = "城乡居民医保第一次怎么交"
    query = FakeEmbedder(256).embed_queries([asked])[0]
    assert {r for r, _ in known.top(query, k=10, nearest=2)} == {0, 1}  # no text: both vote
    assert [r for r, _ in known.top(query, k=10, nearest=2, asked=asked)] == [1]
    pension = "城乡居民养老保险第一次咋交"
    query = FakeEmbedder(256).embed_queries([pension])[0]
    assert [r for r, _ in known.top(query, k=10, nearest=2, asked=pension)] == [0]
