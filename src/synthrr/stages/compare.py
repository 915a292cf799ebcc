"""Stage 5: several runs and Gold in one table.

:func:`compare_runs` gathers runs into one table (Markdown, CSV, JSON) with a **Gold** row per
(task, n): the same student trained on ``n`` real train examples (label-balanced, seeded) and
scored on the same test examples, plus those intrinsic metrics of that real sample that the runs
have (MAUVE and label preservation are left out for Gold, as in the paper). Runs without
``metrics.json`` are evaluated first (:func:`synthrr.stages.evaluate.evaluate_run`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from synthrr.config import EvalConfig, RunConfig
from synthrr.core.errors import UsageError
from synthrr.core.io import atomic_open, write_json
from synthrr.core.log import step
from synthrr.core.paths import safe_name, subdir
from synthrr.core.text import stable_hash
from synthrr.encoders.sentence import resolve_device
from synthrr.metrics.fidelity import oracle_key
from synthrr.run.manifest import GoldEvaluation, RunMetrics, StudentResult
from synthrr.run.rundir import load_run, read_json_or_empty, read_metrics
from synthrr.stages.evaluate import data_fingerprint, evaluate_run, real_test_examples, run_metrics
from synthrr.students.distill import distill
from synthrr.tasks import get_task
from synthrr.tasks.sampling import balanced_sample

if TYPE_CHECKING:
    from synthrr.tasks.base import Task

#: intrinsic metrics computed for the Gold row (MAUVE and label preservation are not)
GOLD_METRICS = ("self_bleu", "distinct", "entity_entropy", "cosine")


def gold_evaluation(
    task: Task,
    n: int,
    ec: EvalConfig | None = None,
    *,
    student: str = "tfidf",
    metrics: Sequence[str] = GOLD_METRICS,
    cache: bool = True,
) -> GoldEvaluation:
    """The Gold reference for ``n`` examples: ``student`` trained on a label-balanced sample of ``n``
    real train examples, scored on the same test examples as the runs (``ec``: seeds, options, test
    split and limit, seed); plus the intrinsic ``metrics`` of that sample. Cached under
    ``synthrr.core.paths.subdir("gold")``."""
    ec = ec or EvalConfig()
    settings = _gold_settings(n, ec, student, metrics)
    key = stable_hash(oracle_key(task, "gold"), json.dumps(settings, sort_keys=True), size=8)
    path = subdir("gold") / f"{safe_name(task.name, 'task')}-{n}-{safe_name(student, 'student')}-{key}.json"
    cached = read_json_or_empty(path) if cache else {}
    if cached.get("settings") == settings:
        try:
            return GoldEvaluation.from_dict(cached)
        except (TypeError, ValueError, AttributeError):  # an edited cache file: computed again
            pass
    out = _gold(task, n, ec, student, metrics)
    out.settings = settings
    if cache:
        write_json(path, out.to_dict())
    return out


def _gold(task: Task, n: int, ec: EvalConfig, student: str, metrics: Sequence[str]) -> GoldEvaluation:
    sample = balanced_sample(task.load_split("train"), n, task.spec.label_names, seed=ec.seed)
    step(f"gold: {student} on {len(sample)} real {task.name} train examples ...")
    results, timings = run_metrics(
        list(metrics),
        sample,
        task,
        seed=ec.seed,
        device=resolve_device(ec.device),
        options=ec.metric_options(real_sample=True),
    )
    score = distill(
        student,
        sample,
        real_test_examples(task, ec.test_split, ec.test_limit, seed=ec.seed),
        label_names=task.spec.label_names,
        seeds=ec.seeds,
        options=ec.options_for(student) or None,
    )
    step("  " + score.summary())
    return GoldEvaluation(
        task=task.name,
        method="gold",
        n=len(sample),
        metrics=results,
        students={student: StudentResult.of(score, ec.test_split, ec.test_limit)},
        timings_s=timings,
    )


def _gold_settings(n: int, ec: EvalConfig, student: str, metrics: Sequence[str]) -> dict[str, Any]:
    """What a Gold evaluation depends on (its cache key)."""
    return {
        "n": n,
        "student": student,
        "seeds": ec.seeds,
        "student_options": ec.options_for(student),
        "test_split": ec.test_split,
        "test_limit": ec.test_limit,
        "metrics": list(metrics),
        "ner": ec.ner,
        "seed": ec.seed,
    }


def compare_runs(
    run_dirs: Sequence[str | Path],
    out_dir: str | Path | None = None,
    cfg: RunConfig | None = None,
    *,
    student: str | None = None,
    gold: bool = True,
    evaluate_missing: bool = True,
) -> list[CompareRow]:
    """One comparison table of ``run_dirs`` (+ Gold rows), written to ``out_dir`` as
    ``compare.md``, ``compare.csv`` and ``compare.json``; returns the rows.

    Runs without ``metrics.json`` (or without the student's scores) are evaluated first with
    ``cfg`` when ``evaluate_missing``, else they show blanks. ``student`` defaults to the first
    student found in the first run's ``metrics.json`` (else the first of ``cfg.eval.students``,
    else ``tfidf``). ``out_dir`` defaults to ``<parent of the first run>/compare``.
    """
    if not run_dirs:
        raise UsageError("compare needs at least one run directory")
    cfg = cfg or RunConfig()
    evaluations: list[RunMetrics | None] = []
    for rd in run_dirs:
        run = Path(rd).expanduser()
        ev = read_metrics(run)
        data = load_run(run)  # a clear error for a folder that is not a run, or not a consistent one
        if ev is not None and ev.data_fingerprint != data_fingerprint(data.examples):
            ev = None  # measured on other data than the run holds now: measure again
        if student is None:
            student = next(iter(ev.students if ev else {}), None) or next(iter(cfg.eval.students), "tfidf")
        if evaluate_missing and (ev is None or student not in ev.students):
            settings = {"eval.students": [student], **({"eval.metrics": []} if ev else {})}
            ev = evaluate_run(run, cfg.with_overrides(settings))
        evaluations.append(ev)
    assert student is not None
    rows = _gold_rows(evaluations, student, cfg.eval) if gold else []
    rows += [table_row(Path(rd).name, ev, student) for rd, ev in zip(run_dirs, evaluations, strict=True)]
    out = Path(out_dir) if out_dir is not None else Path(run_dirs[0]).expanduser().parent / "compare"
    write_comparison(out, rows, _notes(evaluations, student), student)
    return rows


def _gold_rows(evaluations: Sequence[RunMetrics | None], student: str, ec: EvalConfig) -> list[CompareRow]:
    """One Gold row per (task, n) of the runs, scored on exactly the test examples the runs used."""
    measured = [ev for ev in evaluations if ev is not None]
    refs = {ev.task: ev.task_ref or ev.task for ev in measured}
    groups = sorted({(ev.task, ev.n) for ev in measured if ev.task})
    rows = []
    for task_name, n in groups:
        st = next((ev.students.get(student) for ev in measured if ev.task == task_name), None)
        # Gold gets the intrinsic metrics the runs have (of those that apply to real data)
        done = {k for ev in measured if ev.task == task_name for k in ev.metrics}
        used: dict[str, Any] = {"test_split": ec.test_split, "test_limit": ec.test_limit}
        if st is not None:
            used = {"test_split": st.test_split, "test_limit": st.test_limit}
        if not ec.student_options and st is not None and st.options:
            used["student_options"] = st.options
        metrics = [m for m in GOLD_METRICS if m in done]
        settings = ec.model_validate({**ec.model_dump(), **used})
        g = gold_evaluation(get_task(refs[task_name]), n, settings, student=student, metrics=metrics)
        rows.append(table_row("Gold" if len(groups) == 1 else f"Gold ({task_name}, n={n})", g, student))
    return rows


def write_comparison(out: Path, rows: Sequence[CompareRow], notes: str, student: str) -> None:
    """``compare.md``, ``compare.csv`` and ``compare.json`` in ``out``, each written atomically."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / "compare.md") as fh:
        fh.write(f"# Comparison\n\n{format_markdown(rows)}\n\n{notes}\n")
    with atomic_open(out / "compare.csv") as fh:
        fh.write(pd.DataFrame(list(rows)).to_csv(index=False))
    write_json(out / "compare.json", {"student": student, "rows": list(rows), "notes": notes})


def _notes(evaluations: Sequence[RunMetrics | None], student: str) -> str:
    """What the columns were computed with (featurizer, NER, oracle, test set)."""
    ev = next((e for e in evaluations if e is not None and e.metrics), None)
    metrics = ev.metrics if ev is not None else {}
    st = ev.students.get(student) if ev is not None else None
    parts = [
        f"Student: `{student}`, mean ± sample std over seeds, on the task's real "
        f"{(st.test_split if st else None) or 'test'} split "
        f"({(st.n_test if st else None) or '?'} examples). Gold: the same student trained on "
        "the same number of real train examples (label-balanced)."
    ]
    for label, keys in (
        ("Self-BLEU / distinct tokenizer", ("self_bleu", "tokenizer")),
        ("Entity entropy NER", ("entity_entropy", "ner")),
        ("Cosine / MAUVE featurizer", ("cosine", "featurizer")),
        ("Label-preservation oracle", ("label_preservation", "oracle")),
    ):
        v = get(metrics, *keys)
        if v:
            parts.append(f"{label}: {v}.")
    mv = metrics.get("mauve")
    if isinstance(mv, dict) and "num_buckets" in mv:
        parts.append(
            f"MAUVE: scaling factor {mv.get('scaling_factor')}, {mv.get('num_buckets')} buckets, "
            f"reference: label-matched real {mv.get('reference_split')} texts."
        )
    return "\n".join(f"- {p}" for p in parts)


# ---- the table: one row per run (or Gold), as compare.json/.csv hold it and as Markdown ------------
def get(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


class CompareRow(TypedDict):
    """One row of the comparison table (``compare.json``, ``compare.csv``): a run's or Gold's
    headline metrics and its student's scores; ``None`` where not measured."""

    name: str
    task: str | None
    method: str | None
    n: int | None
    self_bleu_5: float | None
    distinct_2: float | None
    entity_entropy: float | None
    within_cosine: float | None
    mauve: float | None
    label_preservation: float | None
    student: str | None
    accuracy_mean: float | None
    accuracy_std: float | None
    macro_f1_mean: float | None
    macro_f1_std: float | None
    student_fits: int | None
    n_test: int | None
    run_dir: str | None


def table_row(name: str, evaluation: RunMetrics | GoldEvaluation | None, student: str) -> CompareRow:
    """One comparison row from a run's ``metrics.json`` (``None``: not measured) or a Gold evaluation."""
    metrics = evaluation.metrics if evaluation is not None else {}
    st = evaluation.students.get(student) if evaluation is not None else None
    return {
        "name": name,
        "task": evaluation.task or None if evaluation is not None else None,
        "method": evaluation.method or None if evaluation is not None else None,
        "n": evaluation.n or None if evaluation is not None else None,
        "self_bleu_5": get(metrics, "self_bleu", "self_bleu_5"),
        "distinct_2": get(metrics, "distinct", "distinct_2"),
        "entity_entropy": get(metrics, "entity_entropy", "overall"),
        "within_cosine": get(metrics, "cosine", "within"),
        "mauve": get(metrics, "mauve", "mauve"),
        "label_preservation": get(metrics, "label_preservation", "accuracy"),
        "student": student if st is not None else None,
        "accuracy_mean": st.accuracy_mean if st is not None else None,
        "accuracy_std": st.accuracy_std if st is not None else None,
        "macro_f1_mean": st.macro_f1_mean if st is not None else None,
        "macro_f1_std": st.macro_f1_std if st is not None else None,
        "student_fits": len(st.runs) if st is not None else None,
        "n_test": st.n_test if st is not None else None,
        "run_dir": evaluation.run or None if isinstance(evaluation, RunMetrics) else None,
    }


COLUMNS = [
    ("name", "run"),
    ("method", "method"),
    ("n", "n"),
    ("self_bleu_5", "Self-BLEU-5 ↓"),
    ("distinct_2", "distinct-2 ↑"),
    ("entity_entropy", "entity entropy ↑"),
    ("within_cosine", "within-label cos ↓"),
    ("mauve", "MAUVE ↑"),
    ("label_preservation", "label pres. % ↑"),
    ("accuracy", "student acc. % ↑"),
    ("macro_f1", "macro-F1 % ↑"),
]


def cell(row: Mapping[str, Any], key: str) -> str:
    if key in ("accuracy", "macro_f1"):
        mean, std = row.get(f"{key}_mean"), row.get(f"{key}_std")
        return "—" if mean is None else f"{100 * mean:.1f} ± {100 * (std or 0.0):.1f}"
    v = row.get(key)
    if v is None:
        return "—"
    if key == "label_preservation":
        return f"{100 * v:.1f}"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def format_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The comparison table in Markdown (one row per run, Gold rows first per task)."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    sep = "|" + "|".join("---" if k in ("name", "method") else "---:" for k, _ in COLUMNS) + "|"
    body = ["| " + " | ".join(cell(r, k) for k, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])
