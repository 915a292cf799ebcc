"""Semantic similarity within and between labels (the SynthesizRR paper's ``LabelwiseCosineSimilarity``).

For labels i and j with unit-length embeddings X_i (n_i × d) and X_j::

    S(i, j) = mean_{a in i, b in j, a != b} <x_a, x_b>

computed without the n_i × n_j matrix: with s_i = sum of the rows of X_i,
S(i, j) = <s_i, s_j> / (n_i n_j) for i != j, and S(i, i) = (|s_i|² - n_i) / (n_i (n_i - 1))
(self-pairs excluded, so identical texts score 1 and unrelated ones near 0). The diagonal is
within-label similarity (high = repetitive generations); the off-diagonal is between-label
similarity. ``within`` and ``between`` average the diagonal and the off-diagonal cells.

Embeddings: :data:`FEATURIZER` through :mod:`synthrr.encoders.sentence` (the paper used all-mpnet-base-v2,
about 8x slower here; MiniLM is the same family and ranks methods alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthrr.metrics.base import FEATURIZER, MetricInput

__all__ = ["FEATURIZER", "cosine_metric", "labelwise_cosine"]


def labelwise_cosine(
    embeddings: np.ndarray, labels: Sequence[str], label_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """Mean pairwise cosine similarity for every pair of labels (see the module docstring).

    Args:
        embeddings: (N, d) array; rows are normalised here, so any scale works.
        labels: N labels.
        label_names: label order of the matrix (default: sorted labels present); labels with
            no examples are left out.

    Returns:
        ``{"matrix": {i: {j: S(i, j)}}, "within": mean diagonal, "between": mean off-diagonal,
        "per_label_n": {i: n_i}}``; a cell with no pair (a label with one example) is None.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.shape[0] != len(labels):
        raise ValueError(f"{x.shape[0]} embeddings but {len(labels)} labels")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    lab = np.asarray(labels)
    names = [n for n in (label_names or sorted(set(labels))) if (lab == n).any()]
    sums = {n: x[lab == n].sum(axis=0) for n in names}
    sizes = {n: int((lab == n).sum()) for n in names}
    matrix: dict[str, dict[str, float | None]] = {}
    diag: list[float] = []
    off: list[float] = []
    for i in names:
        row: dict[str, float | None] = {}
        for j in names:
            if i == j:
                n = sizes[i]
                v = (float(sums[i] @ sums[i]) - n) / (n * (n - 1)) if n > 1 else None
                if v is not None:
                    diag.append(v)
            else:
                v = float(sums[i] @ sums[j]) / (sizes[i] * sizes[j])
                off.append(v)
            row[j] = v
        matrix[i] = row
    return {
        "matrix": matrix,
        "within": float(np.mean(diag)) if diag else None,
        "between": float(np.mean(off)) if off else None,
        "per_label_n": sizes,
    }


def cosine_metric(inp: MetricInput) -> dict[str, Any]:
    """Label-wise cosine similarity of the synthetic texts (registry adapter)."""
    result = labelwise_cosine(inp.embeddings(), inp.labels, inp.label_names)
    result["featurizer"] = FEATURIZER
    return result
