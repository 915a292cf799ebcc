"""Intrinsic metrics of a synthetic text set, each a pure function citing its formula.

The set is the SynthesizRR paper's (Divekar & Durrett 2024); docs/evaluation.md says where each differs
from the paper's code.

=====================  ==========================================================  ==========
registry name          function                                                    needs
=====================  ==========================================================  ==========
``self_bleu``          :func:`~synthrr.metrics.diversity.self_bleu` (n = 1..5)      texts
``distinct``           :func:`~synthrr.metrics.diversity.distinct_n` (n = 1..3)     texts
``entity_entropy``     :func:`~synthrr.metrics.entities.entity_entropy`            texts, NER
``cosine``             :func:`~synthrr.metrics.semantic.labelwise_cosine`          embeddings
``mauve``              :func:`~synthrr.metrics.mauve.compute_mauve`                task (test split), embeddings
``label_preservation`` :func:`~synthrr.metrics.fidelity.label_preservation`        task (train split)
=====================  ==========================================================  ==========

:data:`METRICS` maps each name to an adapter taking a :class:`~synthrr.metrics.base.MetricInput`
and returning a JSON-serialisable dict. Heavy libraries (torch, spaCy, mauve) load on first use.
"""

from __future__ import annotations

from synthrr.core.errors import UnknownNameError
from synthrr.metrics.base import MetricFn, MetricInput
from synthrr.metrics.diversity import distinct_metric, distinct_n, self_bleu, self_bleu_metric
from synthrr.metrics.entities import entity_entropy, entity_entropy_metric
from synthrr.metrics.fidelity import label_preservation, label_preservation_metric
from synthrr.metrics.mauve import compute_mauve, mauve_metric
from synthrr.metrics.semantic import cosine_metric, labelwise_cosine

METRICS: dict[str, MetricFn] = {
    "self_bleu": self_bleu_metric,
    "distinct": distinct_metric,
    "entity_entropy": entity_entropy_metric,
    "cosine": cosine_metric,
    "mauve": mauve_metric,
    "label_preservation": label_preservation_metric,
}
#: metrics that need the task's real data (not computed for a text set without a task)
NEEDS_TASK = frozenset({"mauve", "label_preservation"})


def compute_metrics(inp: MetricInput, names: list[str] | None = None) -> dict[str, dict[str, object]]:
    """Run the named metrics (default: all) on ``inp``; returns ``{name: result}``."""
    chosen = list(METRICS) if names is None else names
    for n in chosen:
        if n not in METRICS:
            raise UnknownNameError("metric", n, METRICS)
    return {n: METRICS[n](inp) for n in chosen}


__all__ = [
    "METRICS",
    "NEEDS_TASK",
    "MetricFn",
    "MetricInput",
    "compute_mauve",
    "compute_metrics",
    "distinct_n",
    "entity_entropy",
    "label_preservation",
    "labelwise_cosine",
    "self_bleu",
]
