"""answers.html from hand-made predictions: failures first, every text escaped, no scripts."""

from __future__ import annotations

from eval.answers.page import CHECKS, failed, item_failures, render_answers
from eval.gold import Prediction
from eval.metrics import index_predictions
from eval.runner import SystemRun, evaluate
from tests.eval.conftest import DISC, cite, hit, item, miss

GOOD = "个人缴费400元,财政补助670元。[1]\n\n" + DISC
# misses 670元, repeats a sentence, leads with a heading, smuggles markup
BAD = "一、缴费标准[1]\n每人缴费400元。\n每人缴费400元。[2]\n<script>alert('x')</script>\n\n" + DISC


ITEMS = [item("a1"), item("a2", reference="每人400元 & 补助670元。"), item("u", "unanswerable")]


def _run(name: str = "sys<1>") -> SystemRun:
    preds = [
        Prediction("a1", "q", [hit()], GOOD, [cite(1, hit().text)]),
        Prediction("a2", "q", [hit()], BAD, [cite(1, "一、缴费标准"), cite(2, "每人缴费400元。")]),
        Prediction(
            "u", "q", [miss()], "资料库中没有找到。" + DISC, refused=True, reason="not_found"
        ),
    ]
    metrics = evaluate(ITEMS, index_predictions(preds))
    return SystemRun(name, preds, metrics, {}, {}, {}, 0.0)


def test_failed_respects_the_direction_of_each_metric():
    assert failed("key_fact_recall", 0.5) and not failed("key_fact_recall", 1.0)
    assert failed("duplicate_sentence_rate", 1.0) and not failed("duplicate_sentence_rate", 0.0)
    assert failed("false_refusal_rate", 1.0)
    assert failed("key_fact_gain", -0.5) and not failed("key_fact_gain", 0.0)
    assert set(CHECKS) >= {"key_fact_recall", "duplicate_sentence_rate", "heading_line_rate"}


def test_item_failures_name_the_metric_and_its_reason():
    fails = item_failures(_run())
    assert set(fails) == {"a2"}  # a1 is perfect; the refusal of "u" is what it should be
    names = [m for m, _ in fails["a2"]]
    assert names == [
        "key_fact_recall", "lead_key_fact", "key_fact_gain", "duplicate_sentence_rate",
        "heading_line_rate",
    ]  # fmt: skip
    assert dict(fails["a2"])["key_fact_recall"] == "1/2 key facts, missing '670元'"


def test_answers_page_sorts_failures_first_and_escapes_everything():
    html = render_answers([_run(), _run("other")], ITEMS, {"split": "dev"})
    assert html.startswith("<!doctype html>") and 'href="report.html"' in html
    assert "<script" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "sys&lt;1&gt;: 1 of 3 answers fail a check" in html
    first = html.index('<section id="s0">')
    a1, a2, u = (html.index(f"{i} · ", first) for i in ("a1", "a2", "u"))
    assert a2 < a1 < u  # the failing item first, then the rest by id
    assert html.count('<article class="fail">') == 2  # a2, for both systems
    card = html[a2:a1]
    assert "一、缴费标准[1]\n每人缴费400元。\n" in card  # line breaks kept (pre-wrap)
    assert "<b>duplicate_sentence_rate</b>" in card and "missing &#x27;670元&#x27;" in card
    assert "每人400元 &amp; 补助670元。" in card and "400元、670元" in card
    assert "cited passages (2)" in card
    assert "(refused: not_found)" in html[u:]
