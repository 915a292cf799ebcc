"""Stage 4: measure one run -> ``RUN_DIR/metrics.json``.

:func:`evaluate_run` computes the intrinsic metrics (:mod:`synthrr.metrics`) of a run's kept
examples and the scores of students trained on them (:mod:`synthrr.students.distill`) on the
task's real test split, as ``cfg.eval`` says, and writes them to ``RUN_DIR/metrics.json``
(atomically; later calls with other metrics or students merge into it while the data is unchanged).
Student fits go where ``cfg.executor`` says (one job per student and seed).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.config import RunConfig
from synthrr.core.errors import SynthrrError, UnknownNameError, UsageError
from synthrr.core.io import write_json
from synthrr.core.log import step
from synthrr.core.text import stable_hash
from synthrr.encoders.sentence import resolve_device
from synthrr.executors import make_fit_pool
from synthrr.metrics import METRICS, MetricInput
from synthrr.run.manifest import MetricResult, RunMetrics, StudentResult, versions
from synthrr.run.rundir import METRICS_FILE, RunData, load_run, read_metrics, student_dir
from synthrr.students.distill import distill, fit_plan
from synthrr.tasks import get_task, is_task_path
from synthrr.tasks.sampling import stratified_subsample

if TYPE_CHECKING:
    from synthrr.core.records import Example
    from synthrr.tasks.base import Task

FORMAT = 1

__all__ = [
    "RunMetrics",
    "data_fingerprint",
    "evaluate_run",
    "real_test_examples",
    "resolve_task_ref",
    "run_metrics",
]


def resolve_task_ref(run: RunData) -> str:
    """How to load the run's task: its config's task (an absolute path for a task YAML), else the
    manifest's task name."""
    candidates = [run.task, run.manifest.task]
    for ref in candidates:
        if not ref:
            continue
        ref = str(ref)
        if is_task_path(ref):
            p = Path(ref).expanduser()
            if not p.is_absolute() and (run.run_dir / p).is_file() and not p.is_file():
                p = run.run_dir / p
            if not p.is_file():
                continue
            ref = str(p.resolve())
        try:
            get_task(ref)
        except SynthrrError:
            continue
        return ref
    raise UsageError(f"{run.run_dir}: cannot load its task ({' or '.join(str(c) for c in candidates if c)})")


def data_fingerprint(examples: Sequence[Example]) -> str:
    return stable_hash(*(f"{e.label}\t{e.text}" for e in examples), size=8)


def run_metrics(
    names: Sequence[str],
    examples: Sequence[Example],
    task: Task | None,
    *,
    seed: int,
    device: str,
    options: dict[str, Any],
) -> tuple[dict[str, MetricResult], dict[str, float]]:
    """Each metric's result (or ``{"error": ...}`` when one cannot be computed) and its seconds."""
    inp = MetricInput(
        texts=[e.text for e in examples],
        labels=[e.label for e in examples],
        label_names=task.spec.label_names if task is not None else sorted({e.label for e in examples}),
        task=task,
        seed=seed,
        device=device,
        options=options,
    )
    results: dict[str, MetricResult] = {}
    timings: dict[str, float] = {}
    for name in names:
        if name not in METRICS:
            raise UnknownNameError("metric", name, METRICS)
        step(f"metric {name} ...")
        t0 = time.perf_counter()
        try:
            results[name] = METRICS[name](inp)
        except (SynthrrError, ValueError) as e:
            logging.getLogger(__name__).warning("metric '%s' not computed: %s", name, e)
            results[name] = {"error": str(e)}
        timings[name] = round(time.perf_counter() - t0, 3)
    return results, timings


def real_test_examples(task: Task, split: str = "test", limit: int | None = None, seed: int = 0) -> list[Example]:
    """The real examples students are scored on: ``split``, optionally a stratified subsample."""
    task.check_split(split)
    return stratified_subsample(task.load_split(split), limit, seed=seed)


def evaluate_run(run_dir: str | Path, cfg: RunConfig | None = None) -> RunMetrics:
    """Measure a run as ``cfg.eval`` says and write ``RUN_DIR/metrics.json``; returns its content.

    ``cfg`` defaults to :class:`~synthrr.config.RunConfig` defaults (all metrics, a ``tfidf``
    student, 3 seeds, the whole test split, local fits).
    """
    cfg = cfg or RunConfig()
    ec = cfg.eval
    run = load_run(run_dir)
    if not run.examples:
        raise UsageError(f"{run.run_dir}: the run has no kept examples to evaluate")
    task_ref = resolve_task_ref(run)
    task = get_task(task_ref)
    fp = data_fingerprint(run.examples)
    previous = read_metrics(run.run_dir)
    if previous is None or previous.data_fingerprint != fp:
        previous = RunMetrics()
    dev = resolve_device(ec.device)
    names = list(METRICS) if ec.metrics is None else list(ec.metrics)
    options = ec.metric_options()
    step(f"evaluating {run.run_dir} ({len(run.examples)} examples, task {task.name})")
    results, timings = run_metrics(names, run.examples, task, seed=ec.seed, device=dev, options=options)
    students = dict(previous.students)
    students.update(_fit_students(run, task, cfg, timings))
    out = RunMetrics(
        format=FORMAT,
        run=str(run.run_dir),
        task=task.name,
        task_ref=task_ref,
        method=run.method,
        n=len(run.examples),
        label_counts=dict(sorted(Counter(e.label for e in run.examples).items())),
        data_fingerprint=fp,
        metrics={**previous.metrics, **results},
        students=students,
        timings_s={**previous.timings_s, **timings},
        device=dev,
        executor=cfg.executor,
        versions=versions(),
        updated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_json(run.run_dir / METRICS_FILE, out.to_dict())
    return out


def _fit_students(run: RunData, task: Task, cfg: RunConfig, timings: dict[str, float]) -> dict[str, StudentResult]:
    """Each of ``cfg.eval.students`` fitted on the run and scored on the real test examples."""
    ec = cfg.eval
    if not ec.students:
        return {}
    test = real_test_examples(task, ec.test_split, ec.test_limit, seed=ec.seed)
    out: dict[str, StudentResult] = {}
    with make_fit_pool(cfg.executor, cfg.ray) as pool:
        for name in ec.students:
            step(f"student {name}: {fit_plan(name, ec.seeds)}, {len(run.examples)} train / {len(test)} test ...")
            t0 = time.perf_counter()
            try:
                score = distill(
                    name,
                    run.examples,
                    test,
                    label_names=task.spec.label_names,
                    seeds=ec.seeds,
                    options=ec.options_for(name) or None,
                    save_dir=student_dir(run.run_dir, name) if ec.save_student else None,
                    save_extra={"task": task.name, "trained_on": str(run.run_dir), "method": run.method},
                    pool=pool,
                )
            except ValueError as e:  # e.g. a run with a single label
                raise UsageError(f"{run.run_dir}: student '{name}': {e}") from None
            step("  " + score.summary())
            out[name] = StudentResult.of(score, ec.test_split, ec.test_limit)
            timings[f"student_{name}"] = round(time.perf_counter() - t0, 3)
    return out
