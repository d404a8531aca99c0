"""Refusal features, decision routing, the calibration file, refusal texts and suggestions."""

from __future__ import annotations

import json
import math

import pytest

from ingest.loaders import load_paths
from qa.answering.disclaimer import DISCLAIMER
from qa.refusal.decision import (
    DEFAULT_CALIBRATION,
    RefusalDecision,
    RefusalModel,
    decide,
    load_calibration,
    refusal_text,
    save_model,
    suggest_questions,
)
from qa.refusal.features import FEATURE_NAMES, compute_features, key_terms, topic_phrase
from qa.refusal.messages import FALLBACK_SUGGESTIONS, candidate_questions
from qa.types import Chunk, Hit, Section
from tests.conftest import CORPUS

HOSPITAL = "2025年河南鹤壁出现腋下疼痛去哪家医院好"
HOSPITAL_TEXT = "腋下疼痛可到鹤壁市人民医院就诊,也可选择北京的专科医院。"


def hit(
    title: str,
    text: str,
    dense: float | None = None,
    bm25: float | None = None,
    regions: tuple[str, ...] = (),
    doc: str = "",
    rank: int = 1,
) -> Hit:
    """A hand-built hit; the chunk id is the title, the doc id defaults to it too."""
    scores = {k: v for k, v in (("dense", dense), ("bm25", bm25)) if v is not None}
    chunk = Chunk(title, doc or title, "x.txt", "snippet", title, text, 0, len(text), None, regions)
    return Hit(chunk, rank, 0.03, scores)


ACTIVATE = hit(
    "医保从来没用过怎么激活",
    "打开国家医保服务平台APP,点击【医保码】,选择参保地后点击【立即激活】,设置密码。",
    0.93,
    9.0,
)
FAMILY = hit(
    "怎样设置医保家庭共济账户",
    "进入【地方专区】→【门诊共济】→【家庭成员绑定】,按提示输入被绑定人信息。",
    0.90,
    4.0,
    rank=2,
)
DEZHOU = hit(
    "山东德州社保基数15500每个月扣多少",
    "养老保险个人8%,医疗保险个人2%,失业保险0.3%。",
    0.88,
    2.0,
    regions=("德州", "山东"),
    rank=3,
)
SHANXI = hit("山西农村合作医疗截止日期", "山西新农合每年12月31日截止缴费。", 0.89, 3.0, ("山西",))
ALWAYS = RefusalModel(FEATURE_NAMES, (0.0,) * len(FEATURE_NAMES), 0.0, 0.0)  # refuses
NEVER = RefusalModel(FEATURE_NAMES, (0.0,) * len(FEATURE_NAMES), 0.0, 1.0)  # answers


# --------------------------------------------------------------------------- features


def test_key_terms_drop_generic_words_places_and_nested_words():
    assert key_terms("北京门诊报销起付线是多少", ("北京",)) == ("门诊", "起付线")
    assert key_terms("医保码咋激活") == ("医保码", "激活")
    assert key_terms("你好") == ("你好",)


def test_topic_phrase_names_what_was_asked():
    assert topic_phrase("北京门诊报销起付线是多少") == "北京门诊起付线"
    assert topic_phrase("失业金怎么申请") == "失业金"
    assert topic_phrase("工伤认定一般要多久") == "工伤认定"


def test_features_from_hand_built_hits():
    f = compute_features("医保码怎么激活", [ACTIVATE, FAMILY, DEZHOU])
    assert f.dense_top == pytest.approx(0.93)
    assert f.dense_margin == pytest.approx(0.03)
    assert f.bm25_top == pytest.approx(math.log1p(9.0))
    assert f.coverage == 1.0 and f.missing_terms == ()
    assert f.title_overlap == pytest.approx(2 / 3)  # 医保, 激活 of 医保/保码/激活 in the title
    assert f.agreement == 1.0  # ACTIVATE is top-3 in both rankings
    assert f.domain_missing == 0.0 and f.region_missing == 0.0
    assert f.intent == "insurance"
    assert len(f.vector()) == len(FEATURE_NAMES)
    assert json.loads(json.dumps(f.as_dict()))["key_terms"] == ["医保码", "激活"]


def test_coverage_counts_missing_terms_and_partial_bigrams():
    f = compute_features("北京门诊报销起付线是多少", [ACTIVATE, FAMILY])
    assert f.key_terms == ("门诊", "起付线")
    assert f.coverage == pytest.approx(0.5)  # 门诊 is in FAMILY, 起付线 nowhere
    assert f.missing_terms == ("起付线",) and f.missing_concepts == ("起付线",)
    assert f.domain_missing == 1.0


def test_agreement_levels():
    dense_only = hit("甲", "一", dense=0.9)
    lexical_only = hit("乙", "二", bm25=5.0, doc="甲")
    assert compute_features("问题", [dense_only, lexical_only]).agreement == 0.5
    other = hit("丙", "三", bm25=5.0)
    assert compute_features("问题", [dense_only, other]).agreement == 0.0
    assert compute_features("问题", []).dense_top == 0.0


def test_region_coverage_rules():
    assert compute_features("德州社保基数是多少", [DEZHOU]).missing_regions == ()
    assert compute_features("山东社保基数是多少", [DEZHOU]).missing_regions == ()  # via 德州
    assert compute_features("晋城新农合今年交多少", [SHANXI]).missing_regions == ("晋城",)
    assert compute_features("山西新农合几号截止", [SHANXI]).missing_regions == ()
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.9, regions=("鹤壁", "北京", "河南"), rank=6)
    hits = [ACTIVATE, FAMILY, DEZHOU, SHANXI, FAMILY, lure]  # 北京 only at rank 6
    assert compute_features("北京门诊起付线是多少", hits).missing_regions == ("北京",)


def test_synonyms_cover_concepts():
    f = compute_features("山西新农合最晚几号交", [SHANXI])  # passage says 新农合 via 合作医疗
    assert f.missing_concepts == ()
    f = compute_features("门诊慢特病怎么申请认定", [SHANXI])
    assert f.missing_concepts == ("慢特病",)


# --------------------------------------------------------------------------- decisions


def test_medical_refuses_even_when_a_hospital_snippet_matches():
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.95, 12.0, ("鹤壁", "河南"))
    decision = decide("我在鹤壁,腋下老是疼,该去哪个医院看", [lure], NEVER)
    assert decision.refuse and decision.kind == "medical" and decision.score == 1.0


@pytest.mark.parametrize(
    ("question", "kind"),
    [("今天合肥天气怎么样", "offtopic"), ("你好", "greeting"), ("谢谢!", "greeting")],
)
def test_offtopic_and_greeting_refuse_whatever_the_scores(question, kind):
    decision = decide(question, [ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == kind


def test_given_intent_wins_over_the_contextualised_query():
    decision = decide("医保码怎么激活", [ACTIVATE], NEVER, intent="greeting")
    assert decision.kind == "greeting"


def test_region_rule_for_local_questions_only():
    decision = decide("晋城新农合今年交多少", [SHANXI, ACTIVATE], NEVER)
    assert decision.refuse and decision.kind == "region"
    assert decision.missing[0] == "晋城"
    procedure = decide("我在晋城,医保码怎么激活", [ACTIVATE, SHANXI], NEVER)
    assert not procedure.refuse and procedure.kind == "answer"


def test_missing_concept_is_not_found_whatever_the_model():
    decision = decide("北京门诊报销起付线是多少", [ACTIVATE, FAMILY], NEVER)
    assert decision.kind == "region"  # the place is checked first
    decision = decide("门诊报销起付线是多少", [ACTIVATE, FAMILY], NEVER)
    assert decision.refuse and decision.kind == "not_found" and "起付线" in decision.missing


def test_model_decides_the_rest():
    assert decide("医保码怎么激活", [ACTIVATE, FAMILY], NEVER).kind == "answer"
    refused = decide("医保码怎么激活", [ACTIVATE, FAMILY], ALWAYS)
    assert refused.refuse and refused.kind == "not_found" and refused.score == 0.5
    assert decide("医保码怎么激活", [], NEVER).kind == "not_found"


def test_as_not_found():
    decision = decide("医保码怎么激活", [ACTIVATE], NEVER).as_not_found()
    assert decision.refuse and decision.kind == "not_found"


# --------------------------------------------------------------------------- the model file


def test_model_score_is_a_logistic():
    model = RefusalModel(("dense_top", "coverage"), (-10.0, -2.0), 9.0, 0.5)
    f = compute_features("医保码怎么激活", [ACTIVATE])
    assert model.logit(f) == pytest.approx(9.0 - 10 * 0.93 - 2 * 1.0)
    assert model.score(f) == pytest.approx(1 / (1 + math.exp(-model.logit(f))))
    with pytest.raises(ValueError):
        RefusalModel(("a",), (1.0, 2.0), 0.0, 0.5)


def test_model_json_round_trip(tmp_path):
    model = RefusalModel(
        FEATURE_NAMES,
        tuple(float(i) for i in range(len(FEATURE_NAMES))),
        -1.5,
        0.7,
        date="2026-11-23",
        metrics={"dev": {"refusal_rate": 0.9}},
        info={"l2": 0.1},
    )
    path = tmp_path / "sub" / "calibration.json"
    save_model(model, path)
    assert load_calibration(path) == model
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["weights"]["dense_top"] == 0.0 and data["date"] == "2026-11-23"
    with pytest.raises(ValueError):
        RefusalModel.from_json({"feature_names": ["a"], "weights": {}})
    with pytest.raises(FileNotFoundError):
        load_calibration(tmp_path / "missing.json")


def test_shipped_calibration_loads():
    model = load_calibration(None)
    assert DEFAULT_CALIBRATION.exists()
    assert model.feature_names == FEATURE_NAMES and model.date
    assert 0.0 <= model.threshold <= 1.0
    for split in ("dev", "test"):
        assert {"accuracy", "refusal_rate", "false_refusal_rate"} <= set(model.metrics[split])


# --------------------------------------------------------------------------- texts


@pytest.fixture(scope="module")
def documents():
    return load_paths([CORPUS], max_bytes=2_000_000).documents


def _refusal(question: str, hits: list[Hit], documents) -> tuple[RefusalDecision, str]:
    decision = decide(question, hits, NEVER)
    return decision, refusal_text(decision, question, suggest_questions(question, documents))


def _numbered(text: str) -> list[str]:
    """The suggestion lines (bulleted, never numbered: a refusal states no figures)."""
    assert not any(ch.isdigit() for ch in text), text
    return [line for line in text.splitlines() if line.startswith("• ")]


def test_not_found_text_names_what_is_missing(documents):
    decision, text = _refusal("北京门诊报销起付线是多少", [ACTIVATE, FAMILY], documents)
    assert decision.kind == "region"
    assert "资料库中没有找到关于“北京门诊起付线”的内容。" in text
    assert "北京" in text and 2 <= len(_numbered(text)) <= 3
    assert DISCLAIMER not in text and "不能代替面诊" not in text
    _, text = _refusal("工伤认定一般要多久", [ACTIVATE], documents)
    assert "“工伤认定”" in text and 2 <= len(_numbered(text)) <= 3


def test_medical_text_recommends_no_hospital(documents):
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.95, 12.0, ("鹤壁", "河南"))
    decision, text = _refusal("鹤壁腋下疼痛去哪家医院好", [lure], documents)
    assert decision.kind == "medical"
    assert "这属于医疗健康问题,建议尽快到正规医院就诊,咨询医生。" in text
    assert "鹤壁" not in text and "人民医院" not in text and "整形" not in text
    assert 2 <= len(_numbered(text)) <= 3 and DISCLAIMER not in text


def test_greeting_and_offtopic_texts(documents):
    _, text = _refusal("你好", [], documents)
    assert text.startswith("您好") and "医保码" in text and len(_numbered(text)) == 3
    _, text = _refusal("茅台股票现在能买吗", [ACTIVATE], documents)
    assert "不在我能回答的范围" in text and len(_numbered(text)) == 3
    assert DISCLAIMER not in text


# --------------------------------------------------------------------------- suggestions


def test_suggestions_are_question_titles_never_hospital_ads(documents):
    candidates = candidate_questions(documents)
    assert "医保从来没用过怎么激活" in candidates
    assert "汕头手机上怎么更换医疗保险参保地" in candidates  # a section heading
    assert "如果医疗保险想更换参保地该如何更换?" in candidates  # date suffix removed
    assert not any("鹤壁" in c or "医院" in c for c in candidates)
    for question in ("鹤壁腋下疼痛去哪家医院好", "排尿困难去哪家医院", "医保断交了怎么补", "你好"):
        suggestions = suggest_questions(question, documents)
        assert 2 <= len(suggestions) <= 3
        assert not any("鹤壁" in s or "医院" in s for s in suggestions)


def test_suggestions_nearest_first_then_fallback(documents):
    assert suggest_questions("医保漏交一个月怎么办", documents)[0] == "医保中间漏交一个月要紧吗"
    assert suggest_questions("你好", documents) == list(FALLBACK_SUGGESTIONS[:3])
    assert suggest_questions("你好", [], k=2) == list(FALLBACK_SUGGESTIONS[:2])


def test_suggestions_from_chunks_and_sections():
    chunks = [ACTIVATE.chunk, hit(HOSPITAL, HOSPITAL_TEXT).chunk]
    assert suggest_questions("医保码怎么激活", chunks, k=3)[0] == "医保从来没用过怎么激活"
    assert HOSPITAL not in suggest_questions("腋下疼痛去哪家医院", chunks)

    class Doc:  # a Document-like object with question-like sections
        title = "首次缴纳城乡居民医疗保险怎么交"
        sections = (Section("错过了城乡居民医疗保险的缴费期限怎么办", 0, 1),)

    assert "错过了城乡居民医疗保险的缴费期限怎么办" in candidate_questions([Doc()])
