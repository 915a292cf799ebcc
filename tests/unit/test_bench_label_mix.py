"""The pure parts of ``bench/label_mix.py``: label shares, scores reweighted to another label mix, the table."""

from __future__ import annotations

import numpy as np
import pytest

from bench import label_mix


def test_shares_follow_the_given_label_order() -> None:
    assert np.allclose(label_mix.shares(["b", "a", "b", "b"], ["a", "b", "c"]), [0.25, 0.75, 0.0])


def test_reweighting_scores_as_if_the_split_had_the_train_mix() -> None:
    # a balanced split (2 + 2) where the classifier is right on every 'a' and wrong on every 'b'
    truth, pred = ["a", "a", "b", "b"], ["a", "a", "a", "a"]
    as_is = label_mix.scores(truth, pred, ["a", "b"], None)
    assert as_is["accuracy"] == pytest.approx(0.5)
    # train mix 90 % a / 10 % b: each 'a' weighs 0.9 / 0.5, each 'b' 0.1 / 0.5
    weighted = label_mix.scores(truth, pred, ["a", "b"], [1.8, 1.8, 0.2, 0.2])
    assert weighted["accuracy"] == pytest.approx(0.9)
    assert weighted["macro_f1"] < weighted["accuracy"]


def test_table_shows_mean_and_std_over_draws() -> None:
    def draw(acc: float) -> dict[str, object]:
        cell = {"accuracy": acc, "macro_f1": acc / 2}
        return {o: {"tfidf as is": cell, "tfidf train mix": cell} for o in label_mix.OPTIONS}

    lines = label_mix.table({"t": [draw(0.5), draw(0.7)]}, ["tfidf"])
    assert lines[2] == "| t (2 draws) | | | | | |"
    assert "| t | balanced | tfidf | as is | 60.0 ± 14.1 | 30.0 ± 7.1 |" in lines
    assert label_mix.table({"t": []}, ["tfidf"])[2:] == []


def test_prior_correction_moves_a_close_call_towards_the_train_mix() -> None:
    proba = np.array([[0.45, 0.55], [0.9, 0.1]])
    rows = [type("Row", (), {"label": lab})() for lab in ("a", "b")]  # a balanced synthetic set
    assert label_mix.predictions(proba, ["a", "b"], None, rows) == ["b", "a"]
    assert label_mix.predictions(proba, ["a", "b"], np.array([0.8, 0.2]), rows) == ["a", "a"]
