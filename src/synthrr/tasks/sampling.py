"""Seed sets: small label-balanced samples of a task's training split.

The paper's default is 100 seeds per label for binary tasks and 50 otherwise. A seed set is
deterministic for a given task, split, size and seed: each label is shuffled by its own
:class:`numpy.random.Generator`, seeded from ``(seed, label)`` through a content hash, so it
does not depend on ``PYTHONHASHSEED``, the process or the other labels. Because the first
``n`` of one shuffle are taken, a smaller seed set is a prefix of a larger one (per label).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from synthrr.core.errors import ConfigError, InputError
from synthrr.core.io import read_table, write_parquet
from synthrr.core.records import Example
from synthrr.tasks import get_task
from synthrr.tasks.base import Task, default_per_label

SEED_COLUMNS = ["id", "text", "label"]
log = logging.getLogger(__name__)


def _label_entropy(seed: int, label: str) -> list[int]:
    digest = hashlib.blake2b(label.encode("utf-8"), digest_size=8).digest()
    return [seed, int.from_bytes(digest, "little")]


def short_labels_message(task: str, split: str, short: dict[str, int], per_label: int) -> str:
    """One line: the labels of ``split`` with fewer examples than ``per_label`` (``{label: count}``) and the fix."""
    listed = ", ".join(f"'{label}' ({n})" for label, n in short.items())
    fewest = max(min(short.values()), 1)
    return (
        f"task '{task}', split '{split}': {len(short)} label(s) have fewer examples than the {per_label} seeds "
        f"per label asked for, so all of theirs are taken: {listed}; for balanced seeds, lower --per-label "
        f"(seeds.per_label) to {fewest}"
    )


def draw_seeds(task: Task | str, per_label: int | None = None, seed: int = 42, split: str = "train") -> list[Example]:
    """A label-balanced sample of ``per_label`` examples per label, without replacement.

    Texts are unique. Labels come in the order of the task spec; within a label, in draw order.
    A label with fewer than ``per_label`` examples contributes all of them, with a one-line
    ``logging`` warning naming it and the setting to change.
    """
    if isinstance(task, str):
        task = get_task(task)

    if per_label is None:
        per_label = default_per_label(task)
    if isinstance(per_label, bool) or not isinstance(per_label, int) or per_label < 1:
        raise ConfigError("seeds.per_label", f"must be a positive integer (got {per_label!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError("seeds.seed", f"must be a non-negative integer (got {seed!r})")
    task.check_split(split)

    pools: dict[str, list[Example]] = {name: [] for name in task.spec.label_names}
    seen: set[str] = set()
    for ex in task.load_split(split):
        if ex.text not in seen and ex.label in pools:
            seen.add(ex.text)
            pools[ex.label].append(ex)

    short = {label: len(pool) for label, pool in pools.items() if len(pool) < per_label}
    if short:
        log.warning("%s", short_labels_message(task.name, split, short, per_label))
    out: list[Example] = []
    for label, pool in pools.items():
        rng = np.random.default_rng(_label_entropy(seed, label))
        order = rng.permutation(len(pool))[:per_label]
        out.extend(pool[int(i)] for i in order)
    return out


def save_seeds(examples: Iterable[Example], path: str | Path) -> Path:
    """Write seeds as Parquet (columns ``id, text, label``), atomically. Returns the path."""
    import pandas as pd

    examples = list(examples)
    columns = {
        "id": [ex.id for ex in examples],
        "text": [ex.text for ex in examples],
        "label": [ex.label for ex in examples],
    }
    p = Path(path)
    write_parquet(pd.DataFrame(columns, columns=SEED_COLUMNS, dtype=str), p)
    return p


def load_seeds(path: str | Path) -> list[Example]:
    """Read seeds written by :func:`save_seeds` (or any table with ``id, text, label`` columns)."""
    df = read_table(path, columns=SEED_COLUMNS)
    out = []
    for i, (id_, text, label) in enumerate(zip(df["id"], df["text"], df["label"], strict=True), start=1):
        if not isinstance(id_, str) or not isinstance(text, str) or not isinstance(label, str):
            raise InputError(path, f"row {i}: id, text and label must be strings")
        out.append(Example(id=id_, text=text, label=label))
    return out


def _per_label_quota(n: int, label_names: Sequence[str]) -> dict[str, int]:
    base, rem = divmod(n, len(label_names))
    return {lab: base + (1 if i < rem else 0) for i, lab in enumerate(label_names)}


def balanced_sample(examples: Sequence[Example], n: int, label_names: Sequence[str], seed: int = 0) -> list[Example]:
    """``n`` examples split evenly over ``label_names`` (the remainder to the first labels), a
    seeded sample without replacement; a label with too few examples gives all of them."""
    pools: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        pools[ex.label].append(ex)
    rng = np.random.default_rng(seed)
    out: list[Example] = []
    for lab, k in _per_label_quota(n, label_names).items():
        pool = pools.get(lab, [])
        out.extend(pool[int(i)] for i in np.sort(rng.permutation(len(pool))[:k]))
    return out


def stratified_subsample(examples: Sequence[Example], limit: int | None, seed: int = 0) -> list[Example]:
    """At most ``limit`` examples keeping the label proportions (largest remainders), seeded and in
    input order. ``None`` or a limit >= len returns all examples."""
    if limit is None or limit >= len(examples):
        return list(examples)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_label[ex.label].append(i)
    labels = sorted(by_label)
    raw = {lab: limit * len(by_label[lab]) / len(examples) for lab in labels}
    quota = {lab: math.floor(v) for lab, v in raw.items()}
    for lab in sorted(labels, key=lambda lab: raw[lab] - quota[lab], reverse=True)[: limit - sum(quota.values())]:
        quota[lab] += 1
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for lab in labels:
        idx = by_label[lab]
        keep.extend(idx[int(i)] for i in rng.permutation(len(idx))[: quota[lab]])
    return [examples[i] for i in sorted(keep)]
