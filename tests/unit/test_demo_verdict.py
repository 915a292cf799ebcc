"""The one-line verdict ``make demo`` prints under its table."""

from __future__ import annotations

from synthrr.demo import verdict


def test_verdict_names_the_winner_of_each_measure() -> None:
    rows = [
        {"method": "gold", "accuracy_mean": 0.9},
        {"method": "synthesizrr", "self_bleu_5": 0.05, "mauve": 0.90, "accuracy_mean": 0.7, "label_preservation": 0.6},
        {"method": "fewgen", "self_bleu_5": 0.06, "mauve": 0.95, "accuracy_mean": 0.7, "label_preservation": 0.8},
    ]
    line = verdict(rows)
    assert line == (
        "verdict (one draw): synthesizrr won on Self-BLEU-5; fewgen won on MAUVE, label preservation; "
        "tied on student accuracy"
    )


def test_verdict_without_both_methods() -> None:
    assert verdict([{"method": "gold"}]) == "verdict: needs a synthesizrr and a fewgen run"
