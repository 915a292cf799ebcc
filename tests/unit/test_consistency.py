from __future__ import annotations

import numpy as np

from synthrr.synth.consistency import (
    cartography_confidence,
    keep_most_confident,
    make_featurizer,
    seed_classifier_confidence,
    tfidf_featurizer,
)

POS = ["a wonderful, moving film", "great acting and a lovely story", "i loved it, brilliant", "superb and joyful"]
NEG = ["a dull, boring mess", "terrible acting and an awful plot", "i hated it, dreadful", "tedious and bad"]


def test_keep_most_confident_per_label() -> None:
    labels = ["a", "a", "a", "a", "b", "b"]
    conf = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.3])
    assert keep_most_confident(labels, conf, 0.5).tolist() == [False, True, False, True, False, True]
    assert keep_most_confident(labels, conf, 1.0).all()


def test_seed_classifier_flags_the_mislabelled_generation() -> None:
    feats = tfidf_featurizer(POS + NEG)
    gens = ["a lovely, wonderful story", "an awful, boring film", "brilliant and moving"]
    conf = seed_classifier_confidence(POS + NEG, ["pos"] * 4 + ["neg"] * 4, gens, ["pos", "pos", "pos"], feats)
    assert conf[1] < conf[0] and conf[1] < conf[2]


def test_cartography_confidence_low_for_noisy_label() -> None:
    texts = POS * 5 + NEG * 5 + ["i loved it, brilliant and joyful"]
    labels = ["pos"] * 20 + ["neg"] * 20 + ["neg"]  # the last one is mislabelled
    conf = cartography_confidence(texts, labels, tfidf_featurizer(texts), epochs=6)
    assert conf[-1] < np.median(conf[20:40])
    assert keep_most_confident(labels, conf, 0.9)[-1] == np.False_


def test_stacked_features_put_both_side_by_side() -> None:
    texts = POS + NEG
    tfidf = make_featurizer("tfidf", texts)(texts)
    both = make_featurizer("tfidf+minilm", texts)(texts)
    assert both.shape == (len(texts), tfidf.shape[1] + 384)  # MiniLM-L6 embeddings are 384-d
    conf = seed_classifier_confidence(
        POS + NEG, ["pos"] * 4 + ["neg"] * 4, ["an awful, boring film"], ["pos"], make_featurizer("tfidf+minilm", texts)
    )
    assert conf[0] < 0.5
