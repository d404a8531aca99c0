"""Refusal features: key terms, coverage, agreement, places and concepts."""

from __future__ import annotations

import json
import math

import pytest

from qa.refusal.features import FEATURE_NAMES, compute_features
from qa.retrieval.question import understand
from tests.qa.refusal.hits import ACTIVATE, DEZHOU, FAMILY, HOSPITAL, HOSPITAL_TEXT, SHANXI, hit


def test_key_terms_drop_generic_words_places_and_nested_words():
    assert understand("北京门诊报销起付线是多少").key_terms == ("门诊", "起付线")
    assert understand("医保码咋激活").key_terms == ("医保码", "激活")
    assert understand("你好").key_terms == ("你好",)


def test_topic_phrase_names_what_was_asked():
    assert understand("北京门诊报销起付线是多少").topic == "北京门诊起付线"
    assert understand("失业金怎么申请").topic == "失业金"
    assert understand("工伤认定一般要多久").topic == "工伤认定"


def test_features_from_hand_built_hits():
    f = compute_features(understand("医保码怎么激活"), [ACTIVATE, FAMILY, DEZHOU])
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
    f = compute_features(understand("北京门诊报销起付线是多少"), [ACTIVATE, FAMILY])
    assert f.key_terms == ("门诊", "起付线")
    assert f.coverage == pytest.approx(0.5)  # 门诊 is in FAMILY, 起付线 nowhere
    assert f.missing_terms == ("起付线",) and f.missing_concepts == ("起付线",)
    assert f.domain_missing == 1.0


def test_agreement_levels():
    dense_only = hit("甲", "一", dense=0.9)
    lexical_only = hit("乙", "二", bm25=5.0, doc="甲")
    assert compute_features(understand("问题"), [dense_only, lexical_only]).agreement == 0.5
    other = hit("丙", "三", bm25=5.0)
    assert compute_features(understand("问题"), [dense_only, other]).agreement == 0.0
    assert compute_features(understand("问题"), []).dense_top == 0.0


def test_region_coverage_rules():
    assert compute_features(understand("德州社保基数是多少"), [DEZHOU]).missing_regions == ()
    assert (
        compute_features(understand("山东社保基数是多少"), [DEZHOU]).missing_regions == ()
    )  # via 德州
    assert compute_features(understand("晋城新农合今年交多少"), [SHANXI]).missing_regions == (
        "晋城",
    )
    assert compute_features(understand("山西新农合几号截止"), [SHANXI]).missing_regions == ()
    lure = hit(HOSPITAL, HOSPITAL_TEXT, 0.9, regions=("鹤壁", "北京", "河南"), rank=6)
    hits = [ACTIVATE, FAMILY, DEZHOU, SHANXI, FAMILY, lure]  # 北京 only at rank 6
    assert compute_features(understand("北京门诊起付线是多少"), hits).missing_regions == ("北京",)


def test_synonyms_cover_concepts():
    f = compute_features(
        understand("山西新农合最晚几号交"), [SHANXI]
    )  # passage says 新农合 via 合作医疗
    assert f.missing_concepts == ()
    f = compute_features(understand("门诊慢特病怎么申请认定"), [SHANXI])
    assert f.missing_concepts == ("慢特病",)
