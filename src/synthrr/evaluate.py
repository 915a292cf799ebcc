"""Evaluate synthetic runs and compare them against each other and against real data (Gold).

* :func:`evaluate_run` computes the intrinsic metrics (:mod:`synthrr.metrics`) of a run's kept
  examples and the scores of students trained on them (:mod:`synthrr.students.distill`) on the
  task's real test split, and writes them to ``RUN_DIR/metrics.json`` (atomically; later calls
  with other metrics or students merge into it while the data is unchanged).
* :func:`compare_runs` gathers several runs into one table (Markdown, CSV, JSON) with a **Gold**
  row per (task, n): the same student trained on ``n`` real train examples (label-balanced,
  seeded) and scored on the same test examples, plus those intrinsic metrics of that real sample
  that the runs have (MAUVE and label preservation are left out for Gold, as in the paper).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.errors import InputError, SynthrrError, UsageError

if TYPE_CHECKING:
    from synthrr.records import Example
    from synthrr.tasks.base import Task

METRICS_FILE = "metrics.json"
FORMAT = 1
#: intrinsic metrics computed for the Gold row (MAUVE and label preservation are not)
GOLD_METRICS = ("self_bleu", "distinct", "entity_entropy", "cosine")


@dataclass
class RunData:
    """The kept examples of a run directory and what it was made for."""

    run_dir: Path
    task: str
    method: str
    examples: list[Example]
    manifest: dict[str, Any]

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.examples]


def load_run(run_dir: str | Path) -> RunData:
    """Read ``data.parquet`` (kept rows), ``manifest.json`` and ``config.yaml`` of a run."""
    import pandas as pd

    from synthrr.records import Example

    run = Path(run_dir).expanduser()
    if not run.is_dir():
        raise InputError(run, "run directory not found")
    data_path = run / "data.parquet"
    if not data_path.is_file():
        raise InputError(run, "not a run directory (no data.parquet); create one with `synthrr generate`")
    manifest: dict[str, Any] = {}
    if (run / "manifest.json").is_file():
        try:
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise InputError(run / "manifest.json", f"malformed JSON: {e.msg}", line=e.lineno) from None
    task = None
    method = manifest.get("method")
    if (run / "config.yaml").is_file():
        from synthrr.config import RunConfig

        cfg = RunConfig.from_yaml(run / "config.yaml")
        task = cfg.task  # a registered name or a task YAML path: resolvable, unlike the manifest's name
        method = method or cfg.synthesis.method
    task = task or manifest.get("task")
    if not task:
        raise InputError(run, "cannot tell the task: neither manifest.json nor config.yaml names it")
    try:
        df = pd.read_parquet(data_path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise InputError(data_path, f"not a readable Parquet file: {e}") from None
    missing = [c for c in ("text", "label") if c not in df.columns]
    if missing:
        raise InputError(data_path, f"missing column(s) {', '.join(missing)}")
    if "verdict" in df.columns:
        df = df[df["verdict"].fillna("kept") == "kept"]
    ids = df["id"].astype(str).tolist() if "id" in df.columns else [str(i) for i in range(len(df))]
    examples = [
        Example(id=i, text=str(t), label=str(lab))
        for i, t, lab in zip(ids, df["text"].tolist(), df["label"].tolist(), strict=True)
    ]
    return RunData(run_dir=run, task=str(task), method=str(method or "unknown"), examples=examples, manifest=manifest)


def resolve_task_ref(run: RunData) -> str:
    """How to load the run's task: its config's task (an absolute path for a task YAML), else the
    manifest's task name."""
    from synthrr.tasks import get_task, is_task_path

    candidates = [run.task, run.manifest.get("task")]
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
    from synthrr.text import stable_hash

    return stable_hash(*(f"{e.label}\t{e.text}" for e in examples), size=8)


def _log(progress: bool, msg: str) -> None:
    if progress:
        print(msg, file=sys.stderr, flush=True)


def _run_metrics(
    names: Sequence[str],
    examples: Sequence[Example],
    task: Task | None,
    *,
    seed: int,
    device: str,
    progress: bool,
    options: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, float]]:
    """Each metric's result (or ``{"error": ...}`` when one cannot be computed) and its seconds."""
    from synthrr.metrics import METRICS, MetricInput

    inp = MetricInput(
        texts=[e.text for e in examples],
        labels=[e.label for e in examples],
        label_names=task.spec.label_names if task is not None else sorted({e.label for e in examples}),
        task=task,
        seed=seed,
        device=device,
        progress=progress,
        options=options,
    )
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name in names:
        if name not in METRICS:
            from synthrr.errors import UnknownNameError

            raise UnknownNameError("metric", name, METRICS)
        _log(progress, f"metric {name} ...")
        t0 = time.perf_counter()
        try:
            results[name] = METRICS[name](inp)
        except (SynthrrError, ValueError) as e:
            warnings.warn(f"metric '{name}' not computed: {e}", stacklevel=2)
            results[name] = {"error": str(e)}
        timings[name] = round(time.perf_counter() - t0, 3)
    return results, timings


def real_test_examples(task: Task, split: str = "test", limit: int | None = None, seed: int = 0) -> list[Example]:
    """The real examples students are scored on: ``split``, optionally a stratified subsample."""
    from synthrr.students.distill import stratified_subsample

    task.check_split(split)
    return stratified_subsample(task.load_split(split), limit, seed=seed)


def evaluate_run(
    run_dir: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    student: str | Sequence[str] | None = "tfidf",
    seeds: int = 3,
    student_options: dict[str, Any] | None = None,
    test_split: str = "test",
    test_limit: int | None = None,
    device: str = "auto",
    self_bleu_sample: int | None = None,
    ner: str = "auto",
    oracle: str = "tfidf",
    save_student: bool = True,
    seed: int = 0,
    progress: bool = True,
    executor: str = "local",
    ray: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure a run and write ``RUN_DIR/metrics.json``; returns its content.

    Args:
        metrics: metric names (default: all of :data:`synthrr.metrics.METRICS`; ``[]`` for none).
        student: student name(s) to train on the run and score on the real ``test_split`` (None: none).
        seeds: independent fits per student (deterministic students fit once).
        student_options: options of the student(s), e.g. ``{"epochs": 2}`` for ``minilm``.
        test_limit: score students on a stratified, seeded subsample of this many test examples.
        device: ``auto``/``cpu``/``cuda`` for the embedder (students take ``device`` in their options).
        self_bleu_sample: score only this many texts as Self-BLEU hypotheses (all remain references).
        ner: NER for entity entropy (``auto``, ``spacy``, ``heuristic`` or a spaCy package name).
        oracle: student type of the label-preservation oracle.
        save_student: save the first seed's student to ``RUN_DIR/students/<name>/``.
        executor: where the student fits run, one job per (student, seed): ``local`` (in this
            process, one after another) or ``ray`` (Ray tasks; the metrics stay in this process).
        ray: Ray settings (``RunConfig.ray`` keys: ``address``, ``cpus_per_actor`` = CPUs per fit, ...).
    """
    from synthrr.config import RunConfig
    from synthrr.embed import resolve_device
    from synthrr.executors import make_fit_pool
    from synthrr.io import write_json
    from synthrr.manifest import versions
    from synthrr.metrics import METRICS
    from synthrr.students.distill import distill
    from synthrr.tasks import get_task

    run = load_run(run_dir)
    if not run.examples:
        raise UsageError(f"{run.run_dir}: the run has no kept examples to evaluate")
    task_ref = resolve_task_ref(run)
    task = get_task(task_ref)
    fp = data_fingerprint(run.examples)
    out_path = run.run_dir / METRICS_FILE
    previous = _read_metrics(out_path)
    if previous.get("data_fingerprint") != fp:
        previous = {}
    dev = resolve_device(device)
    names = list(METRICS) if metrics is None else list(metrics)
    options = {"self_bleu_sample": self_bleu_sample, "ner": ner, "oracle": oracle, "reference_split": test_split}
    _log(progress, f"evaluating {run.run_dir} ({len(run.examples)} examples, task {task.name})")
    results, timings = _run_metrics(
        names, run.examples, task, seed=seed, device=dev, progress=progress, options=options
    )
    students: dict[str, Any] = dict(previous.get("students", {}))
    chosen = [] if student is None else [student] if isinstance(student, str) else list(student)
    if chosen:
        test = real_test_examples(task, test_split, test_limit, seed=seed)
        with make_fit_pool(RunConfig.from_dict({"executor": executor, "ray": dict(ray or {})})) as pool:
            for name in chosen:
                _log(progress, f"student {name}: {seeds} seed(s), {len(run.examples)} train / {len(test)} test ...")
                t0 = time.perf_counter()
                save_dir = run.run_dir / "students" / name if save_student else None
                try:
                    score = distill(
                        name,
                        run.examples,
                        test,
                        label_names=task.spec.label_names,
                        seeds=seeds,
                        options=student_options,
                        progress=progress,
                        save_dir=save_dir,
                        save_extra={"task": task.name, "trained_on": str(run.run_dir), "method": run.method},
                        pool=pool,
                    )
                except ValueError as e:  # e.g. a run with a single label
                    raise UsageError(f"{run.run_dir}: student '{name}': {e}") from None
                _log(progress, "  " + score.summary())
                students[name] = {**score.to_dict(), "test_split": test_split, "test_limit": test_limit}
                timings[f"student_{name}"] = round(time.perf_counter() - t0, 3)
    merged_metrics = dict(previous.get("metrics", {}))
    merged_metrics.update(results)
    merged_timings = dict(previous.get("timings_s", {}))
    merged_timings.update(timings)
    out = {
        "format": FORMAT,
        "run": str(run.run_dir),
        "task": task.name,
        "task_ref": task_ref,
        "method": run.method,
        "n": len(run.examples),
        "label_counts": dict(sorted(Counter(e.label for e in run.examples).items())),
        "data_fingerprint": fp,
        "metrics": merged_metrics,
        "students": students,
        "timings_s": merged_timings,
        "device": dev,
        "executor": executor,
        "versions": versions(),
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_json(out_path, out)
    return out


def _read_metrics(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# ---- Gold and comparison ------------------------------------------------------------------------
def gold_evaluation(
    task: Task,
    n: int,
    *,
    student: str = "tfidf",
    seeds: int = 3,
    student_options: dict[str, Any] | None = None,
    test_split: str = "test",
    test_limit: int | None = None,
    metrics: Sequence[str] = GOLD_METRICS,
    device: str = "auto",
    ner: str = "auto",
    seed: int = 0,
    cache: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """The Gold reference for ``n`` examples: ``student`` trained on a label-balanced sample of ``n``
    real train examples, scored on the same test examples as the runs; plus the intrinsic
    ``metrics`` of that sample. Cached under ``synthrr.paths.subdir("gold")``."""
    from synthrr.embed import resolve_device
    from synthrr.io import write_json
    from synthrr.metrics.fidelity import oracle_key
    from synthrr.paths import subdir
    from synthrr.students.distill import balanced_sample, distill
    from synthrr.text import stable_hash

    settings = {
        "n": n,
        "student": student,
        "seeds": seeds,
        "student_options": student_options or {},
        "test_split": test_split,
        "test_limit": test_limit,
        "metrics": list(metrics),
        "ner": ner,
        "seed": seed,
    }
    key = stable_hash(oracle_key(task, "gold"), json.dumps(settings, sort_keys=True), size=8)
    path = subdir("gold") / f"{task.name}-{n}-{student}-{key}.json"
    cached = _read_metrics(path) if cache else {}
    if cached.get("settings") == settings:
        return cached
    sample = balanced_sample(task.load_split("train"), n, task.spec.label_names, seed=seed)
    _log(progress, f"gold: {student} on {len(sample)} real {task.name} train examples ...")
    results, timings = _run_metrics(
        list(metrics), sample, task, seed=seed, device=resolve_device(device), progress=progress, options={"ner": ner}
    )
    score = distill(
        student,
        sample,
        real_test_examples(task, test_split, test_limit, seed=seed),
        label_names=task.spec.label_names,
        seeds=seeds,
        options=student_options,
        progress=progress,
    )
    _log(progress, "  " + score.summary())
    out = {
        "task": task.name,
        "method": "gold",
        "n": len(sample),
        "settings": settings,
        "metrics": results,
        "students": {student: {**score.to_dict(), "test_split": test_split, "test_limit": test_limit}},
        "timings_s": timings,
    }
    if cache:
        write_json(path, out)
    return out


def _get(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def table_row(name: str, evaluation: dict[str, Any], student: str) -> dict[str, Any]:
    """One comparison row from a ``metrics.json`` (or a Gold evaluation)."""
    st = _get(evaluation, "students", student) or {}
    return {
        "name": name,
        "task": evaluation.get("task"),
        "method": evaluation.get("method"),
        "n": evaluation.get("n"),
        "self_bleu_5": _get(evaluation, "metrics", "self_bleu", "self_bleu_5"),
        "distinct_2": _get(evaluation, "metrics", "distinct", "distinct_2"),
        "entity_entropy": _get(evaluation, "metrics", "entity_entropy", "overall"),
        "within_cosine": _get(evaluation, "metrics", "cosine", "within"),
        "mauve": _get(evaluation, "metrics", "mauve", "mauve"),
        "label_preservation": _get(evaluation, "metrics", "label_preservation", "accuracy"),
        "student": student if st else None,
        "accuracy_mean": st.get("accuracy_mean"),
        "accuracy_std": st.get("accuracy_std"),
        "macro_f1_mean": st.get("macro_f1_mean"),
        "macro_f1_std": st.get("macro_f1_std"),
        "student_fits": len(st.get("runs", [])) if st else None,
        "n_test": st.get("n_test"),
        "run_dir": evaluation.get("run"),
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


def _cell(row: dict[str, Any], key: str) -> str:
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


def format_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison table in Markdown (one row per run, Gold rows first per task)."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    sep = "|" + "|".join("---" if k in ("name", "method") else "---:" for k, _ in COLUMNS) + "|"
    body = ["| " + " | ".join(_cell(r, k) for k, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def compare_runs(
    run_dirs: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    gold: bool = True,
    student: str | None = None,
    evaluate_missing: bool = True,
    seeds: int = 3,
    student_options: dict[str, Any] | None = None,
    test_split: str = "test",
    test_limit: int | None = None,
    device: str = "auto",
    ner: str = "auto",
    seed: int = 0,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """One comparison table of ``run_dirs`` (+ Gold rows), written to ``out_dir`` as
    ``compare.md``, ``compare.csv`` and ``compare.json``; returns the rows.

    Runs without ``metrics.json`` (or without the student's scores) are evaluated first when
    ``evaluate_missing`` (with the given settings), else they show blanks. ``student`` defaults to
    the first student found in the first run's ``metrics.json`` (else ``tfidf``). ``out_dir``
    defaults to ``<parent of the first run>/compare``.
    """
    import pandas as pd

    from synthrr.io import atomic_open, write_json
    from synthrr.tasks import get_task

    if not run_dirs:
        raise UsageError("compare needs at least one run directory")
    evaluations: list[dict[str, Any]] = []
    for rd in run_dirs:
        run = Path(rd).expanduser()
        ev = _read_metrics(run / METRICS_FILE)
        if not ev:
            load_run(run)  # a clear error for a folder that is not a run
        if student is None:
            student = next(iter(ev.get("students", {})), None) or "tfidf"
        needs = not ev or student not in ev.get("students", {})
        if needs and evaluate_missing:
            ev = evaluate_run(
                run,
                metrics=None if not ev else [],
                student=student,
                seeds=seeds,
                student_options=student_options,
                test_split=test_split,
                test_limit=test_limit,
                device=device,
                ner=ner,
                seed=seed,
                progress=progress,
            )
        evaluations.append(ev)
    assert student is not None
    rows: list[dict[str, Any]] = []
    if gold:
        refs = {str(ev.get("task")): str(ev.get("task_ref") or ev.get("task")) for ev in evaluations}
        groups = sorted({(str(ev.get("task")), int(ev.get("n") or 0)) for ev in evaluations if ev.get("task")})
        for task_name, n in groups:
            # score Gold on exactly the test examples the runs used
            st = next((_get(ev, "students", student) for ev in evaluations if ev.get("task") == task_name), None) or {}
            # Gold gets the intrinsic metrics the runs have (of those that apply to real data)
            done = {k for ev in evaluations if ev.get("task") == task_name for k in ev.get("metrics", {})}
            g = gold_evaluation(
                get_task(refs[task_name]),
                n,
                metrics=[m for m in GOLD_METRICS if m in done],
                student=student,
                seeds=seeds,
                student_options=student_options if student_options is not None else st.get("options"),
                test_split=st.get("test_split", test_split),
                test_limit=st.get("test_limit", test_limit),
                device=device,
                ner=ner,
                seed=seed,
                progress=progress,
            )
            rows.append(table_row("Gold" if len(groups) == 1 else f"Gold ({task_name}, n={n})", g, student))
    for rd, ev in zip(run_dirs, evaluations, strict=True):
        rows.append(table_row(Path(rd).name, ev, student))
    out = Path(out_dir) if out_dir is not None else Path(run_dirs[0]).expanduser().parent / "compare"
    out.mkdir(parents=True, exist_ok=True)
    md = format_markdown(rows)
    notes = _notes(evaluations, student)
    with atomic_open(out / "compare.md") as fh:
        fh.write(f"# Comparison\n\n{md}\n\n{notes}\n")
    with atomic_open(out / "compare.csv") as fh:
        fh.write(pd.DataFrame(rows).to_csv(index=False))
    write_json(out / "compare.json", {"student": student, "rows": rows, "notes": notes})
    return rows


def _notes(evaluations: Sequence[dict[str, Any]], student: str) -> str:
    """What the columns were computed with (featurizer, NER, oracle, test set)."""
    ev = next((e for e in evaluations if e.get("metrics")), {})
    parts = [
        f"Student: `{student}`, mean ± sample std over seeds, on the task's real "
        f"{_get(ev, 'students', student, 'test_split') or 'test'} split "
        f"({_get(ev, 'students', student, 'n_test') or '?'} examples). Gold: the same student trained on "
        "the same number of real train examples (label-balanced)."
    ]
    for label, keys in (
        ("Self-BLEU / distinct tokenizer", ("self_bleu", "tokenizer")),
        ("Entity entropy NER", ("entity_entropy", "ner")),
        ("Cosine / MAUVE featurizer", ("cosine", "featurizer")),
        ("Label-preservation oracle", ("label_preservation", "oracle")),
    ):
        v = _get(ev, "metrics", *keys)
        if v:
            parts.append(f"{label}: {v}.")
    mv = _get(ev, "metrics", "mauve")
    if isinstance(mv, dict) and "num_buckets" in mv:
        parts.append(
            f"MAUVE: scaling factor {mv.get('scaling_factor')}, {mv.get('num_buckets')} buckets, "
            f"reference: label-matched real {mv.get('reference_split')} texts."
        )
    return "\n".join(f"- {p}" for p in parts)
