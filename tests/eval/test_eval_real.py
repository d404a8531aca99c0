"""CI gate: `yibao` on the real bundled model must stay above eval/floors.toml."""

import tomllib

import pytest

from eval.gold import DEFAULT_GOLD, load_gold
from eval.runner import run_eval
from eval.systems import build_systems
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_yibao_meets_floors_on_whole_gold_set(real_settings):
    config = tomllib.loads((ROOT / "eval" / "floors.toml").read_text("utf-8"))
    floors, ceilings = config["yibao"], config.get("ceilings", {}).get("yibao", {})
    assert floors, "no floors configured"
    items = load_gold(DEFAULT_GOLD)
    system = build_systems(["yibao"], real_settings)[0]
    run = run_eval([system], items)[0]
    scores = {metric: run.score(metric) for metric in floors}
    print("yibao scores:", scores)
    below = {m: (s, floors[m]) for m, s in scores.items() if s is None or s < floors[m]}
    assert not below, f"below floor (score, floor): {below}"
    above = {m: (run.score(m), c) for m, c in ceilings.items() if (run.score(m) or 0) > c}
    assert not above, f"above ceiling (score, ceiling): {above}"
    if system.composes_answers:  # once answers are composed, every one carries the disclaimer
        assert run.score("disclaimer_rate") == 1.0
