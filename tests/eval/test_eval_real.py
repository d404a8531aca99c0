"""CI gate: `yibao` on the real bundled model must stay above eval/floors.toml."""

import tomllib

import pytest

from eval.gold import DEFAULT_GOLD, load_gold, split_items
from eval.runner import run_eval
from eval.systems import build_systems
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _out_of_bounds(scores, floors, ceilings):
    below = {m: (scores.get(m), f) for m, f in floors.items() if (scores.get(m) or 0) < f}
    above = {m: (scores.get(m), c) for m, c in ceilings.items() if (scores.get(m) or 0) > c}
    return below, above


def test_yibao_meets_floors_on_whole_gold_set_and_conversations(real_settings):
    config = tomllib.loads((ROOT / "eval" / "floors.toml").read_text("utf-8"))
    floors, ceilings = config["yibao"], config.get("ceilings", {}).get("yibao", {})
    talk_floors = config["conversations"]
    assert floors and talk_floors, "no floors configured"
    system = build_systems(["yibao"], real_settings)[0]
    run = run_eval([system], split_items(load_gold(DEFAULT_GOLD), "all"))[0]

    scores = {metric: run.score(metric) for metric in (*floors, *ceilings)}
    print("yibao scores:", scores)
    below, above = _out_of_bounds(scores, floors, ceilings)
    assert not below, f"below floor (score, floor): {below}"
    assert not above, f"above ceiling (score, ceiling): {above}"
    if system.composes_answers:  # once answers are composed, every one carries the disclaimer
        assert run.score("disclaimer_rate") == 1.0

    talk = {metric: result.score for metric, result in run.conversations.items()}
    print("yibao conversations:", talk)
    below, _ = _out_of_bounds(talk, talk_floors, {})
    assert not below, f"conversations below floor (score, floor): {below}"
