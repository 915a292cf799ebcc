"""MAUVE between real and synthetic texts (Pillutla et al. 2021, "MAUVE: Measuring the Gap Between
Neural Text and Human Text using Divergence Frontiers", NeurIPS; the SynthesizRR paper's ``Mauve``).

P (real) and Q (synthetic) feature sets are jointly quantised by k-means into ``k`` buckets
(after PCA keeping 90% of the variance); with R_λ = λP + (1-λ)Q, the divergence curve is
``C(P, Q) = {(exp(-c KL(Q‖R_λ)), exp(-c KL(P‖R_λ))) : λ ∈ (0, 1)}`` and MAUVE is the area under
it, in (0, 1]; 1 means indistinguishable. The computation is delegated to the reference package
``mauve-text`` (``mauve.compute_mauve``), fed with *our* features.

Settings as in the paper's code: scaling constant ``c = 1`` (``mauve_scaling_factor=1``; the
library default is 5) and P = real texts of the task's **test** split, label-matched one-to-one
with the synthetic set. Differences, named in every report: features are MiniLM sentence
embeddings (:data:`synthrr.metrics.base.FEATURIZER`) instead of GPT-2-XL hidden states, and
``num_buckets='auto'`` (the library's n/10, at least 2) instead of 30, which suits our small sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synthrr.core.errors import require
from synthrr.metrics.base import FEATURIZER, embed_texts

if TYPE_CHECKING:
    from synthrr.core.records import Example
    from synthrr.metrics.base import MetricInput

#: the paper's scaling constant c
SCALING_FACTOR = 1.0


def compute_mauve(
    p_features: np.ndarray,
    q_features: np.ndarray,
    *,
    num_buckets: int | str = "auto",
    mauve_scaling_factor: float = SCALING_FACTOR,
    seed: int = 25,
    kmeans_num_redo: int = 5,
    kmeans_max_iter: int = 500,
) -> dict[str, Any]:
    """MAUVE of feature sets P (n, d) and Q (m, d) with ``mauve.compute_mauve``.

    Returns ``{"mauve", "mauve_star", "frontier_integral", "num_buckets", "scaling_factor"}``.
    """
    mauve = require("the MAUVE metric", "metrics", "mauve")
    out = mauve.compute_mauve(
        p_features=np.asarray(p_features),
        q_features=np.asarray(q_features),
        num_buckets=num_buckets,
        mauve_scaling_factor=mauve_scaling_factor,
        seed=seed,
        kmeans_num_redo=kmeans_num_redo,
        kmeans_max_iter=kmeans_max_iter,
        verbose=False,
    )
    return {
        "mauve": float(out.mauve),
        "mauve_star": float(out.mauve_star),
        "frontier_integral": float(out.frontier_integral),
        "num_buckets": int(out.num_buckets),
        "scaling_factor": mauve_scaling_factor,
    }


def label_matched_reference(
    reference: Sequence[Example], labels: Sequence[str], seed: int = 0
) -> tuple[list[Example], dict[str, int]]:
    """One real example per synthetic one, with the same label (a seeded sample without
    replacement); a label with too few real examples contributes all it has.

    Returns the sample and, per label, how many synthetic examples found no partner.
    """
    pools: dict[str, list[Example]] = defaultdict(list)
    for ex in reference:
        pools[ex.label].append(ex)
    want: dict[str, int] = defaultdict(int)
    for lab in labels:
        want[lab] += 1
    rng = np.random.default_rng(seed)
    out: list[Example] = []
    short: dict[str, int] = {}
    for lab in sorted(want):
        pool = pools.get(lab, [])
        take = min(want[lab], len(pool))
        if take < want[lab]:
            short[lab] = want[lab] - take
        out.extend(pool[int(i)] for i in np.sort(rng.permutation(len(pool))[:take]))
    return out, short


def mauve_metric(inp: MetricInput) -> dict[str, Any]:
    """MAUVE of the synthetic texts against label-matched real texts (registry adapter)."""
    task = inp.require_task("mauve")
    split = inp.options.get("reference_split", "test")
    reference, short = label_matched_reference(task.load_split(split), inp.labels, seed=inp.seed)
    if len(reference) < 2 or len(inp.texts) < 2:
        raise ValueError("MAUVE needs at least 2 real and 2 synthetic texts")
    p = embed_texts([ex.text for ex in reference], device=inp.device)
    result = compute_mauve(p, inp.embeddings(), num_buckets=inp.options.get("mauve_num_buckets", "auto"))
    result.update(featurizer=FEATURIZER, reference_split=split, n_p=len(reference), n_q=len(inp.texts))
    if short:
        result["reference_shortfall"] = short
    return result
