"""Self-BLEU against NLTK's sentence_bleu (the paper's implementation), distinct-n by hand."""

from __future__ import annotations

import random

import numpy as np
import pytest

from synthrr.metrics.diversity import (
    _closest_other_lengths,
    distinct_n,
    self_bleu,
    self_bleu_per_text,
    self_bleu_reference,
)

nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")


def _random_docs(rng: random.Random, n_docs: int, vocab_size: int, max_len: int) -> list[list[str]]:
    vocab = [f"w{i}" for i in range(vocab_size)]
    return [[rng.choice(vocab) for _ in range(rng.randint(0, max_len))] for _ in range(n_docs)]


@pytest.mark.parametrize("trial", range(12))
def test_self_bleu_matches_nltk_on_random_sets(trial: int) -> None:
    rng = random.Random(trial)
    # small vocabularies force many shared n-grams, repeated counts and length ties; empty and
    # shorter-than-n documents appear too
    docs = _random_docs(rng, rng.randint(2, 30), rng.choice([2, 3, 5, 12]), rng.choice([3, 8, 15]))
    if trial == 0:
        docs[0] = []
        docs[1] = docs[2] if len(docs) > 2 else docs[1]  # an exact duplicate
    ours = self_bleu(docs, 5)
    ref = self_bleu_reference(docs, 5)
    assert set(ours) == {1, 2, 3, 4, 5}
    for n in ours:
        assert ours[n] == pytest.approx(ref[n], abs=1e-6)


def test_per_text_scores_match_single_nltk_calls() -> None:
    sm = nltk_bleu.SmoothingFunction().method1
    docs = [
        ["the", "cat", "sat", "on", "the", "mat"],
        ["the", "cat", "sat", "on", "the", "hat"],
        ["a", "dog", "ran", "in", "the", "park", "today"],
        ["the", "the", "the", "the"],
        ["mat"],
    ]
    per = self_bleu_per_text(docs, 4)
    for i, hyp in enumerate(docs):
        refs = docs[:i] + docs[i + 1 :]
        for n in range(1, 5):
            want = nltk_bleu.sentence_bleu(refs, hyp, weights=tuple([1 / n] * n), smoothing_function=sm)
            assert per[i, n - 1] == pytest.approx(want, abs=1e-12)


def test_strings_are_tokenised_and_identical_texts_score_one() -> None:
    texts = ["Same words, here.", "Same words, here.", "Same words, here."]
    assert self_bleu(texts, 5) == {n: pytest.approx(1.0) for n in range(1, 6)}
    assert self_bleu(["alpha beta", "gamma delta"], 2) == {1: 0.0, 2: 0.0}


def test_sample_scores_a_seeded_subset_against_all() -> None:
    rng = random.Random(7)
    docs = _random_docs(rng, 40, 6, 10)
    per = self_bleu_per_text(docs, 5)
    s = self_bleu(docs, 5, sample=10, seed=3)
    idx = np.sort(np.random.default_rng(3).choice(40, size=10, replace=False))
    assert s[5] == pytest.approx(per[idx, 4].mean())
    assert self_bleu(docs, 5, sample=10, seed=3) == s  # deterministic
    ref = self_bleu_reference(docs, 5, indices=[int(i) for i in idx])
    assert s[5] == pytest.approx(ref[5], abs=1e-6)
    assert self_bleu(docs, 5, sample=100) == self_bleu(docs, 5)  # a sample >= N is all


def test_closest_reference_length_ties_go_to_the_shorter() -> None:
    lengths = np.array([5, 3, 7, 3, 10])
    # 5: others 3,7,3,10 -> 3 and 7 tie at distance 2 -> 3; 3: another 3 exists; 7: 5; 10: 7
    assert _closest_other_lengths(lengths).tolist() == [3, 3, 5, 3, 7]


def test_self_bleu_needs_two_texts() -> None:
    with pytest.raises(ValueError):
        self_bleu(["only one"])


def test_distinct_n_hand_computed() -> None:
    texts = ["a b a b", "a c"]
    # unigrams: a b a b a c -> 3 distinct / 6; bigrams: ab ba ab ac -> 3 / 4; trigrams: aba bab -> 2 / 2
    assert distinct_n(texts, (1, 2, 3), tokenizer=str.split) == {1: 0.5, 2: 0.75, 3: 1.0}
    assert distinct_n(["x"], (2,)) == {2: 0.0}
    assert distinct_n(["Hi, hi!"], (1,)) == {1: 1.0}  # case kept, punctuation tokens
