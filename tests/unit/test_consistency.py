from __future__ import annotations

import numpy as np

from synthrr.core.records import Example, SyntheticExample
from synthrr.synth.consistency import (
    SeedClassifierFilter,
    cartography_confidence,
    keep_most_confident,
    make_featurizer,
    tfidf_featurizer,
)

POS = ["a wonderful, moving film", "great acting and a lovely story", "i loved it, brilliant", "superb and joyful"]
NEG = ["a dull, boring mess", "terrible acting and an awful plot", "i hated it, dreadful", "tedious and bad"]


def test_keep_most_confident_per_label() -> None:
    labels = ["a", "a", "a", "a", "b", "b"]
    conf = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.3])
    assert keep_most_confident(labels, conf, 0.5).tolist() == [False, True, False, True, False, True]
    assert keep_most_confident(labels, conf, 1.0).all()


SEEDS = [Example(id=f"s{i}", text=t, label="pos" if i < 4 else "neg") for i, t in enumerate(POS + NEG)]


def _rows(texts: list[str], label: str) -> list[SyntheticExample]:
    return [
        SyntheticExample(id=f"g{i}", text=t, label=label, method="fewgen", job_id="j", prompt_hash="h", model="m")
        for i, t in enumerate(texts)
    ]


def test_seed_classifier_flags_the_mislabelled_generation() -> None:
    rows = _rows(["a lovely, wonderful story", "an awful, boring film", "brilliant and moving"], "pos")
    verdicts = SeedClassifierFilter(SEEDS, "tfidf", require_agreement=True).apply(rows)
    assert verdicts == [None, "label_disagrees", None]
    conf = [r.confidence for r in rows]
    assert conf[1] < 0.5 < conf[0] and conf[1] < conf[2]


def test_seed_classifier_without_agreement_only_scores() -> None:
    rows = _rows(["an awful, boring film"], "pos")
    assert SeedClassifierFilter(SEEDS, "tfidf", require_agreement=False).apply(rows) == [None]
    assert rows[0].confidence is not None and rows[0].confidence < 0.5


def test_seed_classifier_with_one_seed_label_scores_nothing() -> None:
    rows = _rows(["an awful, boring film"], "pos")
    assert SeedClassifierFilter(SEEDS[:4], "tfidf", require_agreement=True).apply(rows) == [None]
    assert rows[0].confidence is None


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
    rows = _rows(["an awful, boring film"], "pos")
    assert SeedClassifierFilter(SEEDS, "tfidf+minilm", require_agreement=True).apply(rows) == ["label_disagrees"]
    assert rows[0].confidence is not None and rows[0].confidence < 0.5
