"""Label-consistency filtering: keep the generations a classifier is most confident belong to
their intended label (per label, the top ``keep_fraction``).

- ``seed_classifier``: logistic regression on features of the *real* seed set, scoring each
  generation's probability of its label. External signal: catches a small LLM writing a positive
  review when asked for a negative one. It is a filter of the generation loop
  (:class:`SeedClassifierFilter`): rows are scored as they arrive and, with
  ``filters.require_agreement``, a row whose label is not the classifier's first choice is dropped
  there (``label_disagrees``), so the quota loop tops up for it; the ``keep_fraction`` cut comes
  at the end, over the confidences already computed.
- ``cartography``: the paper's filter (Swayamdipta et al. 2020; method.md §1.4) — a classifier
  trained for several epochs on *all* generations; confidence = mean probability of the assigned
  label across epochs.

Features (``filters.consistency_features``): ``tfidf`` (word 1-2-grams), ``minilm`` (the
sentence encoder) or ``tfidf+minilm`` (both, side by side; the default). On the validation
splits (400 examples each; accuracy of a seed classifier trained on the default seed set), both
features scored 0.68 / 0.70 / 0.995 on imdb (reviews cut to 70 words, the length of a generation) /
rotten_tomatoes / bbc_news, TF-IDF alone 0.72 / 0.57 / 0.99, MiniLM alone 0.69 (full reviews) /
0.68 on the two sentiment tasks: words carry long texts, the encoder short ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from synthrr.records import Example, SyntheticExample
from synthrr.synth.filters import Filter

Featurize = Callable[[list[str]], np.ndarray]


def tfidf_featurizer(fit_texts: list[str]) -> Featurize:
    """Word 1-2-gram TF-IDF fitted on ``fit_texts``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=200_000)
    vec.fit(fit_texts)
    return lambda texts: vec.transform(texts)


def minilm_featurizer(fit_texts: list[str]) -> Featurize:
    """The default sentence encoder's unit-length embeddings (nothing is fitted)."""
    from synthrr.embed import get_encoder

    encoder = get_encoder()
    return lambda texts: encoder.encode(texts, progress=False)


def stacked_featurizer(*parts: Featurize) -> Featurize:
    """Several featurizers side by side (each part unit-length, so neither dominates)."""

    def featurize(texts: list[str]) -> Any:
        import scipy.sparse as sp

        return sp.hstack([sp.csr_matrix(f(texts)) for f in parts]).tocsr()

    return featurize


#: ``filters.consistency_features`` name -> builder of a featurizer fitted on the given texts
FEATURIZERS: dict[str, Callable[[list[str]], Featurize]] = {
    "tfidf": tfidf_featurizer,
    "minilm": minilm_featurizer,
    "tfidf+minilm": lambda fit: stacked_featurizer(tfidf_featurizer(fit), minilm_featurizer(fit)),
}


def make_featurizer(name: str, fit_texts: list[str]) -> Featurize:
    """The named featurizer (see :data:`FEATURIZERS`), fitted on ``fit_texts``."""
    return FEATURIZERS[name](fit_texts)


class SeedClassifierFilter(Filter):
    """Score each row with P(its label | text) under a logistic regression fitted on the real seed
    set (sets ``row.confidence``); with ``require_agreement``, drop a row whose label is not the
    classifier's most probable one (``label_disagrees``). Fitted on first use; a seed set with
    fewer than two labels scores nothing."""

    name = "label_agreement"

    def __init__(self, seeds: Sequence[Example], features: str, require_agreement: bool, seed: int = 0) -> None:
        self.seeds, self.features, self.require_agreement, self.seed = list(seeds), features, require_agreement, seed
        self._model: tuple[Any, Featurize] | None = None

    def _fit(self) -> tuple[Any, Featurize]:
        if self._model is None:
            from sklearn.linear_model import LogisticRegression

            texts = [s.text for s in self.seeds]
            featurize = make_featurizer(self.features, texts)
            # balanced class weights: the quotas, not the seed set's label mix, set the labels' shares
            clf = LogisticRegression(max_iter=2000, C=2.0, class_weight="balanced", random_state=self.seed)
            clf.fit(featurize(texts), [s.label for s in self.seeds])
            self._model = (clf, featurize)
        return self._model

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The classifier's most probable label for each text."""
        clf, featurize = self._fit()
        return [str(x) for x in clf.predict(featurize(list(texts)))]

    def apply(self, rows: Sequence[SyntheticExample]) -> list[str | None]:
        if not rows or len({s.label for s in self.seeds}) < 2:
            return [None] * len(rows)
        clf, featurize = self._fit()
        proba = clf.predict_proba(featurize([r.text for r in rows]))
        col = {c: i for i, c in enumerate(clf.classes_)}
        verdicts: list[str | None] = []
        for row, p in zip(rows, proba, strict=True):
            row.confidence = float(p[col[row.label]]) if row.label in col else 0.0
            agrees = row.label in col and int(np.argmax(p)) == col[row.label]
            verdicts.append(None if agrees or not self.require_agreement else "label_disagrees")
        return verdicts


def cartography_confidence(
    texts: Sequence[str], labels: Sequence[str], featurize: Featurize, epochs: int = 6, seed: int = 0
) -> np.ndarray:
    """Mean probability of each row's own label over ``epochs`` passes of an SGD logistic model
    trained on all rows (dataset cartography's *confidence*)."""
    from sklearn.linear_model import SGDClassifier

    x = featurize(list(texts))
    y = np.asarray(labels)
    classes = np.unique(y)
    clf = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=seed)
    rng = np.random.default_rng(seed)
    col = {c: i for i, c in enumerate(classes)}
    idx_label = np.array([col[v] for v in y])
    total = np.zeros(len(y))
    for _ in range(epochs):
        order = rng.permutation(len(y))
        clf.partial_fit(x[order], y[order], classes=classes)
        proba = clf.predict_proba(x)
        total += proba[np.arange(len(y)), idx_label]
    return total / epochs


def keep_most_confident(labels: Sequence[str], confidence: np.ndarray, keep_fraction: float) -> np.ndarray:
    """Boolean mask keeping, within each label, the ``ceil(keep_fraction * n)`` most confident rows
    (ties broken by position, so the result is deterministic)."""
    labels_arr = np.asarray(labels)
    keep = np.zeros(len(labels_arr), dtype=bool)
    for lab in np.unique(labels_arr):
        idx = np.flatnonzero(labels_arr == lab)
        n_keep = math.ceil(keep_fraction * len(idx))
        order = idx[np.lexsort((idx, -confidence[idx]))]
        keep[order[:n_keep]] = True
    return keep
