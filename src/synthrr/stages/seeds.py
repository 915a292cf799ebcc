"""Stage 1: the seed set, a label-balanced, seeded sample of the task's seed split."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthrr.tasks import get_task
from synthrr.tasks.sampling import draw_seeds

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.core.records import Example
    from synthrr.tasks.base import Task


def draw_seed_set(cfg: RunConfig) -> tuple[Task, list[Example]]:
    """The run's task and its seed set (``cfg.seeds``: per label, seed, split)."""
    task = get_task(cfg.task)
    seeds = draw_seeds(task, per_label=cfg.seeds.per_label, seed=cfg.seeds.seed, split=cfg.seeds.split)
    return task, seeds
