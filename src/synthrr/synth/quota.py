"""Quotas: how many examples each label needs, and how many prompts the next round sends for it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthrr.core.records import SyntheticExample
    from synthrr.synth.methods import Job
    from synthrr.tasks.base import Task

INITIAL_YIELD = 0.8  # kept examples per prompt assumed before the first round is measured


def label_targets(task: Task, labels: list[str], n: int, distribution: str) -> dict[str, int]:
    """Split ``n`` over labels: evenly, or in the proportions of the task's train split."""
    if distribution == "train":
        counts = Counter(ex.label for ex in task.load_split("train"))
        weights = [counts.get(lab, 0) for lab in labels]
    else:
        weights = [1] * len(labels)
    total = sum(weights) or 1
    raw = [n * w / total for w in weights]
    out = [math.floor(r) for r in raw]
    for i in sorted(range(len(labels)), key=lambda i: raw[i] - out[i], reverse=True)[: n - sum(out)]:
        out[i] += 1
    return dict(zip(labels, out, strict=True))


@dataclass
class LabelState:
    """One label's progress towards its quota: its jobs, kept rows, prompts sent."""

    target: int
    need: int
    jobs: Iterator[Job]
    kept: list[SyntheticExample] = field(default_factory=list)
    prompts: int = 0
    widened: int = 0  # prompts on passages below the score band (the band ran out)
    exhausted: bool = False
    per_round: int | None = None  # the most prompts one round may send (the method's round cap)

    @property
    def yield_rate(self) -> float:
        return max(0.1, min(1.0, len(self.kept) / self.prompts)) if self.prompts else INITIAL_YIELD


def next_batch(states: dict[str, LabelState], max_prompts: int) -> list[Job]:
    """The next round's jobs: per label, enough to cover its deficit at its yield so far, within
    the prompt cap (``max_prompts`` over the whole run). Empty when every label is done, out of
    inputs, or the cap is reached."""
    batch: list[Job] = []
    sent = sum(s.prompts for s in states.values())
    for st in states.values():
        deficit = st.need - len(st.kept)
        if deficit <= 0 or st.exhausted:
            continue
        want = min(math.ceil(deficit / st.yield_rate), max(0, max_prompts - sent - len(batch)))
        if st.per_round is not None:
            want = min(want, st.per_round)
        for _ in range(want):
            job = next(st.jobs, None)
            if job is None:
                st.exhausted = True
                break
            batch.append(job)
    return batch
