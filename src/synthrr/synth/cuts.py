"""What a generation run keeps: the filters every round's candidates pass, then the cuts at the
end (the method's own selection, then the label-consistency cut), each returning its drops."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from synthrr.synth.consistency import SeedClassifierFilter, cartography_confidence, keep_most_confident, make_featurizer
from synthrr.synth.filters import ContaminationFilter, CopyFilter, DedupFilter, Filter, LengthFilter

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.core.records import Example
    from synthrr.synth.methods import Context, Method
    from synthrr.synth.quota import LabelState
    from synthrr.tasks.base import Task


def build_filters(cfg: RunConfig, method: Method, task: Task, seeds: list[Example], ctx: Context) -> list[Filter]:
    """The run's filters, in the order a candidate meets them."""
    fc = cfg.synthesis.filters
    out: list[Filter] = [LengthFilter(fc.min_tokens, fc.max_tokens)]
    # a method whose examples are passages (ReGen) must only not copy the seeds
    passages = {} if method.passages_are_examples else ctx.passages
    out.append(CopyFilter(passages, [s.text for s in seeds], fc.copy_ngram, fc.copy_threshold))
    if fc.contamination and "test" in task.split_names():
        test_texts = [ex.text for ex in task.load_split("test")]
        out.append(ContaminationFilter(test_texts, fc.copy_ngram, fc.copy_threshold))
    if fc.dedup != "none":
        out.append(DedupFilter(fc.dedup, fc.near_threshold))
    if fc.label_consistency == "seed_classifier":
        out.append(SeedClassifierFilter(seeds, fc.consistency_features, fc.require_agreement, seed=cfg.synthesis.seed))
    return out


def consistency_factor(cfg: RunConfig) -> float:
    """Candidates needed per example kept by the label-consistency cut (1 without it)."""
    fc = cfg.synthesis.filters
    return 1.0 / fc.keep_fraction if fc.label_consistency != "none" else 1.0


def method_cut(cfg: RunConfig, method: Method, states: dict[str, LabelState]) -> dict[str, int]:
    """The method's own selection (SuperGen: the likeliest texts) down to what the label-consistency
    cut needs; returns the drops by verdict."""
    factor = consistency_factor(cfg)
    drops: dict[str, int] = {}
    for st in states.values():
        kept = method.select(st.kept, math.ceil(st.target * factor))
        for row in st.kept:
            if row.verdict != "kept":
                drops[row.verdict] = drops.get(row.verdict, 0) + 1
        st.kept = kept
    return drops


def label_consistency_cut(cfg: RunConfig, states: dict[str, LabelState]) -> dict[str, int]:
    """The ``keep_fraction`` cut per label: seed-classifier confidences were set by the filter as
    rows arrived; cartography trains on the whole pool now. Returns the drops."""
    fc = cfg.synthesis.filters
    pool = [r for st in states.values() for r in st.kept]
    if len({r.label for r in pool}) < 2:
        return {}
    texts, labels = [r.text for r in pool], [r.label for r in pool]
    if fc.label_consistency == "seed_classifier":
        conf = np.array([r.confidence if r.confidence is not None else 0.0 for r in pool])
    else:
        conf = cartography_confidence(
            texts, labels, make_featurizer(fc.consistency_features, texts), seed=cfg.synthesis.seed
        )
    keep = keep_most_confident(labels, conf, fc.keep_fraction)
    for row, c, k in zip(pool, conf, keep, strict=True):
        row.confidence = float(c)
        if not k:
            row.verdict = "low_label_confidence"
    for st in states.values():
        st.kept = [r for r in st.kept if r.verdict == "kept"]
    dropped = int(sum(not k for k in keep))
    return {"low_label_confidence": dropped} if dropped else {}
