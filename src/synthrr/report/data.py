"""What a report shows, gathered from run directories: each run's rows with their provenance, its
manifest (funnel, cost, speed) and its metrics, and a sample of the task's real texts to compare with.
Large runs are sampled (``max_rows`` per run) so the report stays quick to open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.core.errors import UsageError
from synthrr.run.manifest import RunManifest, RunMetrics
from synthrr.run.provenance import provenance
from synthrr.run.rundir import load_run, read_metrics
from synthrr.stages.evaluate import evaluate_run, resolve_task_ref
from synthrr.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunView:
    """One run as the report sees it."""

    name: str
    run_dir: Path
    method: str
    manifest: RunManifest
    metrics: RunMetrics | None  # None until ``synthrr evaluate`` ran
    rows: pd.DataFrame  # candidates with provenance (sampled), verdict included
    total_rows: int


@dataclass
class ReportData:
    task: str
    labels: list[str]
    runs: list[RunView]
    real: pd.DataFrame  # text, label (a sample of the real split)
    real_split: str
    notes: list[str] = field(default_factory=list)


def _sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= n else frame.sample(n=n, random_state=seed).sort_index()


def gather(
    run_dirs: Sequence[str | Path],
    *,
    max_rows: int = 2000,
    real_split: str = "test",
    seed: int = 0,
    say: Callable[[str], None] | None = None,
) -> ReportData:
    """Read every run (they must be of one task) and a real sample of ``real_split`` as large as the
    largest run; ``say`` hears one line per run read (progress)."""
    import pandas as pd

    runs: list[RunView] = []
    task_ref = None
    for i, rd in enumerate(run_dirs, 1):
        if say is not None:
            say(f"reading run {i}/{len(run_dirs)}: {Path(rd).name}")
        data = load_run(rd)
        ref = resolve_task_ref(data)
        if task_ref is not None and get_task(ref).name != get_task(task_ref).name:
            raise UsageError(f"{data.run_dir}: a report shows runs of one task ({get_task(task_ref).name}), not {ref}")
        task_ref = task_ref or ref
        rows = provenance(data.run_dir)
        runs.append(
            RunView(
                name=data.run_dir.name,
                run_dir=data.run_dir,
                method=data.method,
                manifest=data.manifest,
                metrics=read_metrics(data.run_dir),
                rows=_sample(rows, max_rows, seed),
                total_rows=len(rows),
            )
        )
    if task_ref is None:
        raise UsageError("give at least one run directory")
    task = get_task(task_ref)
    split = real_split if real_split in task.split_names() else "train"
    real_rows = task.load_split(split)
    n_real = max((int((r.rows["verdict"] == "kept").sum()) for r in runs), default=0) or 200
    real = _sample(pd.DataFrame([{"text": e.text, "label": e.label} for e in real_rows]), max(n_real, 50), seed)
    notes = [
        f"{r.name}: {len(r.rows)} of {r.total_rows} candidates shown (sampled)"
        for r in runs
        if len(r.rows) < r.total_rows
    ]
    return ReportData(task.name, list(task.spec.label_names), runs, real, split, notes)


def evaluate_missing(run_dirs: Sequence[str | Path], *, say: Callable[[str], None] | None = None) -> list[Path]:
    """``synthrr evaluate`` (default students and metrics) of every run without a ``metrics.json``;
    returns the runs evaluated."""
    done: list[Path] = []
    for rd in run_dirs:
        run_dir = load_run(rd).run_dir
        if read_metrics(run_dir) is not None:
            continue
        if say is not None:
            say(f"evaluating {run_dir.name} (synthrr evaluate, default students)")
        evaluate_run(run_dir)
        done.append(run_dir)
    return done
