"""ExtractiveComposer on the real corpus with hand-built hits."""

import re
from dataclasses import replace

import pytest

from ingest.chunking import chunk_documents
from qa.answering.disclaimer import DISCLAIMER
from qa.answering.extractive import Composition, ExtractiveComposer
from qa.answering.points import Scorer
from qa.retrieval.question import understand
from qa.text.figures import unsupported_figures
from qa.types import Document, Hit
from tests.conftest import make_settings

MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def corpus(corpus_documents, corpus_chunks):
    """``({doc_id: document}, chunks)`` of the bundled corpus."""
    return {d.doc_id: d for d in corpus_documents}, corpus_chunks


@pytest.fixture(scope="module")
def composer(tmp_path_factory):
    return ExtractiveComposer(make_settings(tmp_path_factory.mktemp("answer")))


def hits(chunks, *wanted: tuple[str, str]) -> list[Hit]:
    """Hits ranked in the given order: (title part, text part) picks each chunk."""
    picked = [next(c for c in chunks if t in c.title and x in c.text) for t, x in wanted]
    return [Hit(chunk, rank, 1.0 / rank) for rank, chunk in enumerate(picked, start=1)]


def compose(composer, corpus, question, wanted, regions=()) -> Composition:
    documents, chunks = corpus
    understood = understand(question)
    if regions:
        understood = replace(understood, regions=tuple(regions))
    return composer.compose(understood, hits(chunks, *wanted), documents)


def assert_well_cited(result: Composition, documents) -> None:
    """Markers and citations match one to one, numbered in order of first use."""
    used = [int(n) for n in MARKER.findall(result.body)]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(result.citations) + 1))
    assert [c.n for c in result.citations] == first_use
    spans = set()
    for c in result.citations:
        doc = documents[c.doc_id]
        assert c.quote == doc.text[c.start : c.end] and c.quote.strip()
        assert (c.source, c.date) == (doc.source, doc.date)
        spans.add((c.doc_id, c.start, c.end))
    assert len(spans) == len(result.citations)  # one citation per distinct span


def body_without_date_note(result: Composition) -> str:
    """The body minus the date note (its dates come from metadata, not from quotes)."""
    body = result.body
    for note in result.notes:
        if note.startswith(("资料日期", "医保政策")):
            body = body.replace(note, "")
    return body


ACTIVATE = [
    ("医保从来没用过怎么激活 一、线上激活方式", ""),
    ("医保从来没用过怎么激活 三、注意事项", ""),
    ("医保从来没用过怎么激活", "针对从未使用过"),
]


def test_lead_then_steps_with_markers(composer, corpus):
    result = compose(composer, corpus, "怎么激活医保码", ACTIVATE)
    lead, _, rest = result.body.partition("\n\n")
    assert re.fullmatch(r"[^\n]*医保码[^\n]*。\[1\]", lead)
    assert "1. 国家医保服务平台APP激活\n" in rest  # a step line keeps its number
    step = rest[rest.index("1. 国家医保服务平台APP激活") :].split("[")[0]
    assert "• 下载并注册登录后" in step and "【立即激活】" in step  # sub-bullets stay with it
    assert "2. 支付宝/微信激活" in rest and "“刷脸激活”" in rest
    assert_well_cited(result, corpus[0])
    assert result.composer == "extractive" and result.reason == ""


def test_channel_path_survives_verbatim(composer, corpus):
    wanted = [("怎样设置医保家庭共济账户 四、操作步骤示例", ""), ("医保里共济账户 支付宝绑定", "")]
    result = compose(composer, corpus, "怎么绑定家庭共济账户", wanted)
    assert "登录APP→进入【地方专区】→【门诊共济】→【家庭成员绑定】" in result.body
    assert_well_cited(result, corpus[0])


def test_every_figure_is_in_a_cited_quote(composer, corpus):
    questions = {
        "合肥居民医保一年交多少钱": [
            ("合肥市医保缴费", ""),
            ("合肥居民医保怎么缴费", ""),
            ("合肥儿童医保网上缴费", ""),
        ],
        "德州社保基数15500每个月扣多少": [
            ("山东德州社保基数15500每个月扣多少", ""),
            ("山东德州社保基数15500扣税多少", ""),  # a formula in LaTeX is cut off
            ("山东德州社保基数15700每个月扣多少", ""),
        ],
    }
    for question, wanted in questions.items():
        result = compose(composer, corpus, question, wanted)
        quotes = [c.quote for c in result.citations]
        assert unsupported_figures(body_without_date_note(result), quotes) == []
        assert "\\times" not in result.body and "$$" not in result.body
        assert "15700" not in result.body  # the 15500 question draws on 15500 pages only
        assert_well_cited(result, corpus[0])


def test_conflicting_figures_are_flagged_and_both_cited(composer, corpus):
    wanted = [("山东德州社保基数15800是几档", ""), ("山东德州社保基数15500是几档", "")]
    result = compose(composer, corpus, "德州社保缴费基数上下限是多少", wanted)
    (note, *_) = result.notes
    assert "不一致" in note and "以当地医保部门核定为准" in note
    assert "2850元至14250元[" in note and "4416元至22078元[" in note
    assert_well_cited(result, corpus[0])
    cited = {c.n: c.quote for c in result.citations}
    for value, n in re.findall(r"有的为(\d+)元至\d+元\[(\d+)\]", note):
        assert value in cited[int(n)]


def test_region_and_date_notes(composer, corpus):
    wanted = [("山东德州社保基数15500个人扣多少", ""), ("山东德州社保基数15500每个月扣多少", "")]
    result = compose(composer, corpus, "失业保险个人交多少", wanted, regions=("合肥",))
    assert "您问的是合肥,但资料中只有山东德州的数据,仅供参考。" in result.notes
    assert "资料日期:2025-04-29。医保政策每年可能调整,请以当地最新规定为准。" in result.notes
    assert result.body.endswith(result.notes[-1])
    same_place = compose(composer, corpus, "德州失业保险个人交多少", wanted, ("德州", "山东"))
    assert "以上数字为山东德州的资料,其他地区可能不同。" in same_place.notes


def test_body_is_clean_text(composer, corpus):
    wanted = [("山东德州社保基数15500扣税多少", ""), *ACTIVATE]
    for question in ("怎么激活医保码", "德州社保基数15500扣多少税"):
        body = compose(composer, corpus, question, wanted).body
        assert DISCLAIMER not in body and "相关推荐" not in body and "\n\n\n" not in body
        for line in body.splitlines():
            assert line == line.rstrip() and line.strip() not in {"•", "-"}
            assert not line.startswith("   ")  # page indentation folded
            assert "  " not in line.strip()  # runs of spaces folded


def test_points_are_capped_and_only_relevant(tmp_path, corpus):
    composer = ExtractiveComposer(make_settings(tmp_path, answer_max_points=2))
    result = compose(composer, corpus, "怎么激活医保码", ACTIVATE)
    assert len(result.citations) <= 3  # lead + two points
    wanted = [*ACTIVATE, ("2025年河南鹤壁出现嘴角开裂去哪家医院好", "")]
    result = compose(ExtractiveComposer(composer.settings), corpus, "怎么激活医保码", wanted)
    assert "鹤壁" not in result.body


def test_no_relevant_hit_gives_an_empty_body(composer, corpus):
    wanted = [("2025年河南鹤壁出现嘴角开裂去哪家医院好", "")]
    for question in ("医保码怎么激活", "你好"):
        result = compose(composer, corpus, question, wanted)
        assert result == Composition("")
    assert composer.compose(understand("怎么激活医保码"), [], corpus[0]) == Composition("")


def test_deterministic(tmp_path, corpus, composer):
    first = compose(composer, corpus, "合肥居民医保一年交多少钱", [("合肥市医保缴费", "")])
    again = compose(composer, corpus, "合肥居民医保一年交多少钱", [("合肥市医保缴费", "")])
    fresh = ExtractiveComposer(make_settings(tmp_path))
    other = compose(fresh, corpus, "合肥居民医保一年交多少钱", [("合肥市医保缴费", "")])
    assert first == again == other and first.body


def test_stale_hits_are_skipped(composer, corpus):
    documents, chunks = corpus
    (hit,) = hits(chunks, ACTIVATE[0])
    stale = Hit(type(hit.chunk)(**{**hit.chunk.__dict__, "text": "旧的文字"}), 1, 1.0)
    assert composer.compose(understand("怎么激活医保码"), [stale], documents) == Composition("")


def test_own_file_in_a_tiny_corpus(composer):
    text = (
        "激活方法如下:\n\n  1. 线上激活\n\n    •\n\n    • 打开APP点击【立即激活】,"
        "完成人脸识别。\n\n  2. 线下激活\n\n    • 携带身份证到医保窗口办理激活。\n\n•\n"
    )
    doc = Document("d1", "mine.txt", "file", "医保码怎么激活", text, end=len(text))
    (chunk,) = chunk_documents([doc])
    result = composer.compose(understand("怎么激活医保码"), [Hit(chunk, 1, 1.0)], {"d1": doc})
    lead, points = result.body.split("\n\n")  # no figures, no date: no notes
    assert lead.endswith("激活。[1]")
    assert "1. 线上激活\n  • 打开APP点击【立即激活】" in points  # orphan bullet dropped
    assert "2. 线下激活\n  • 携带身份证到医保窗口办理激活。[" in points
    assert not any(line.strip() == "•" for line in result.body.splitlines())
    assert_well_cited(result, {"d1": doc})


def test_opposite_verdicts_are_flagged_with_both_cited(composer, corpus):
    wanted = [("公司交的社保和医保是分开交吗", ""), ("职工社保和医保可以分开缴纳吗", "")]
    result = compose(composer, corpus, "单位上班的社保和医保能分开交吗", wanted)
    (note,) = [n for n in result.notes if "说法相反" in n]
    assert "不能分开交”[" in note and "答案是肯定的”[" in note
    assert_well_cited(result, corpus[0])
    cited = {c.n: c.quote for c in result.citations}
    for said, n in re.findall(r"有的说“([^”]+)”\[(\d+)\]", note):
        assert said in cited[int(n)]


def test_opposite_verdicts_are_flagged_for_yes_no_questions_only(composer, corpus):
    documents, chunks = corpus
    wanted = [("公司交的社保和医保是分开交吗", ""), ("职工社保和医保可以分开缴纳吗", "")]
    asked = understand("单位上班的社保和医保能分开交吗")
    for kind, flagged in (("yesno", True), ("how", False), ("other", False)):
        result = composer.compose(replace(asked, kind=kind), hits(chunks, *wanted), documents)
        assert any("说法相反" in n for n in result.notes) is flagged, kind


def test_a_question_word_the_corpus_says_otherwise_is_weighed_as_its_synonym(composer, corpus):
    documents, _ = corpus
    assert composer.document_frequency("补交", documents) == 0  # the corpus says 补缴
    scorer = composer.scorer(understand("补交完医保多久能用"), documents)
    assert scorer.weights["补交"] > 0  # not dropped as noise
    said_otherwise = scorer.coverage("补缴后需等待2个月才能恢复医保待遇")
    assert scorer.coverage("漏缴次月开始,医保待遇将暂停") < said_otherwise
    assert said_otherwise < scorer.coverage("补交后需等待2个月才能恢复医保待遇")  # part credit


def test_scorer_coverage_can_leave_place_names_out():
    scorer = Scorer("德州基数多少", {"德州": 3.0, "基数": 1.0}, 1.0)
    line = "山东德州社保基数15800元时,退休后每月养老金预计可达4000-6000元"
    assert scorer.coverage(line) == 1.0
    assert scorer.coverage(line, places=False) == 0.25  # only 基数 of the 4.0 weight
    assert scorer.coverage("且医保个人账户每月返款约316元", places=False) == 0.0
