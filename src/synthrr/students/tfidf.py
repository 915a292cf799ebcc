"""The fast CPU student: word n-gram TF-IDF + multinomial logistic regression (scikit-learn).

Fits a few thousand examples in seconds; deterministic (lbfgs), so the seed does not matter and
multi-seed evaluation fits it once. It is also the label-preservation oracle.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from synthrr.core.errors import InputError, require
from synthrr.students.base import BaseStudent, StudentOptions


class TfidfOptions(StudentOptions):
    ngram_max: int = Field(2, ge=1, le=5, description="word n-grams 1..ngram_max")
    min_df: int = Field(1, ge=1, description="ignore n-grams in fewer documents")
    max_features: int | None = Field(200_000, ge=1, description="vocabulary cap (most frequent)")
    sublinear_tf: bool = Field(True, description="1 + log(tf)")
    C: float = Field(10.0, gt=0, description="inverse L2 regularisation strength")
    max_iter: int = Field(2000, ge=10)


class TfidfStudent(BaseStudent):
    """TF-IDF (1-2-grams by default) + logistic regression."""

    name = "tfidf"
    deterministic = True
    Options = TfidfOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.pipeline: Any = None

    def _build(self, seed: int) -> Any:
        require("the tfidf student", "tfidf", "sklearn")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        o = self.options
        assert isinstance(o, TfidfOptions)
        return Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        ngram_range=(1, o.ngram_max),
                        min_df=o.min_df,
                        max_features=o.max_features,
                        sublinear_tf=o.sublinear_tf,
                        dtype=np.float32,
                    ),
                ),
                ("lr", LogisticRegression(C=o.C, max_iter=o.max_iter, random_state=seed)),
            ]
        )

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        label_names: Sequence[str] | None = None,
        seed: int = 0,
    ) -> TfidfStudent:
        self._set_labels(labels, label_names)
        self.pipeline = self._build(seed)
        self.pipeline.fit(list(texts), list(labels))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.pipeline is None:
            raise ValueError("the student has not been fitted")
        proba = self.pipeline.predict_proba(list(texts))
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        col = {lab: i for i, lab in enumerate(self.labels)}
        for j, cls in enumerate(self.pipeline.classes_):
            out[:, col[str(cls)]] = proba[:, j]
        return out

    def _save_model(self, folder: Path) -> None:
        import joblib

        joblib.dump(self.pipeline, folder / "model.joblib")

    def _load_model(self, folder: Path) -> None:
        import joblib

        path = folder / "model.joblib"
        if not path.is_file():
            raise InputError(folder, "saved tfidf student has no model.joblib")
        self.pipeline = joblib.load(path)
