"""``synthrr evaluate``, ``synthrr compare`` and ``synthrr predict``: thin layers over
:mod:`synthrr.stages.evaluate`, :mod:`synthrr.stages.compare` and :mod:`synthrr.students`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from synthrr.cli.options import build_config, config_options, executor_options, quiet_option
from synthrr.config import parse_set_option
from synthrr.core.errors import InputError, UsageError
from synthrr.core.io import check_utf8, read_table, require_file, writable_file, write_table
from synthrr.report.html import write_report
from synthrr.report.table import format_markdown, table_row
from synthrr.stages.compare import compare_runs
from synthrr.stages.evaluate import evaluate_run
from synthrr.students import load_student

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.run.manifest import RunMetrics

F = TypeVar("F", bound=Callable[..., Any])


def _student_options(func: F) -> F:
    """Student, test-set and config flags shared by ``evaluate`` and ``compare`` (each maps onto an
    ``eval.*`` field of the run config; a flag not given leaves the config's value)."""
    opts = [
        click.option("--seeds", type=click.IntRange(1, 100), default=None,
                     help="independent student fits (the paper: 5); tfidf is deterministic and fits once [3]"),
        click.option("--test-split", default=None, help="real split students are scored on [test]"),
        click.option("--test-limit", type=click.IntRange(1), default=None,
                     help="score on a stratified, seeded subsample of this many test examples [all]"),
        click.option("--epochs", type=float, default=None, help="minilm: training epochs [3]"),
        click.option("--batch-size", type=int, default=None, help="minilm: batch size [16]"),
        click.option("--max-length", type=int, default=None, help="minilm: tokens per text [128]"),
        click.option("--lr", type=float, default=None, help="minilm: peak learning rate [5e-5]"),
        click.option("--student-opt", "student_opts", multiple=True, metavar="KEY=VALUE",
                     help="any student option, e.g. --student-opt C=4 (tfidf) or warmup_ratio=0.1 (minilm)"),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="device of the embedder and the minilm student [auto]"),
        click.option("--ner", default=None,
                     help="NER for entity entropy: auto, spacy, heuristic or a spaCy package name [auto]"),
        click.option("--seed", type=int, default=None, help="seed of samples and subsamples [0]"),
    ]  # fmt: skip
    for opt in reversed(opts):
        func = opt(func)
    return config_options(quiet_option(func))


MINILM_FLAGS = ("epochs", "batch_size", "max_length", "lr")


def eval_run_config(
    config_path: Path | None,
    sets: tuple[str, ...],
    flags: dict[str, Any],
    student_opts: tuple[str, ...],
    *,
    all_metrics: bool = False,
    executor: str | None = None,
    ray_address: str | None = None,
) -> RunConfig:
    """The run config of ``evaluate`` / ``compare``: file <- flags <- ``--student-opt`` <- ``--set``.

    ``flags`` holds ``eval.*`` fields under their short names plus the minilm flags, which become
    ``eval.student_options`` and are refused for other students; ``all_metrics`` (``--metrics all``)
    resets the config's metric list to every metric before ``--set`` applies; ``executor`` and
    ``ray_address`` (``--executor``, ``--ray-address``) are flags like the others."""
    given = {k: v for k, v in flags.items() if v is not None}
    dotted = {f"eval.{k}": v for k, v in given.items() if k not in MINILM_FLAGS}
    dotted.update({f"eval.student_options.{k}": v for k, v in given.items() if k in MINILM_FLAGS})
    dotted.update((f"eval.student_options.{k}", v) for k, v in map(parse_set_option, student_opts))
    dotted.update({"executor": executor, "ray.address": ray_address})
    cfg = build_config(config_path, (), dotted)
    if all_metrics:
        cfg = cfg.model_copy(update={"eval": cfg.eval.model_copy(update={"metrics": None})})
    cfg = cfg.with_overrides(dict(map(parse_set_option, sets)), source="--set")
    minilm = [k for k in MINILM_FLAGS if k in given]
    if minilm and "minilm" not in cfg.eval.students:
        raise UsageError(
            f"--{'/--'.join(k.replace('_', '-') for k in minilm)} only apply to the minilm student "
            f"(students: {', '.join(cfg.eval.students) or 'none'}); use --student-opt KEY=VALUE for other options"
        )
    return cfg  # eval.device reaches the minilm student in the stages (EvalConfig.resolved), as from Python


def _metric_names(text: str | None) -> list[str] | Literal[False] | None:
    """``--metrics``: ``all`` -> None (every metric), ``none`` -> [], else the names; False if not given."""
    if text is None:
        return False
    if text.strip() == "all":
        return None
    if text.strip() == "none":
        return []
    return [m.strip() for m in text.split(",") if m.strip()]


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--student", default=None,
              help="student trained on the run: tfidf, minilm, or a plugin ('none' to skip) [tfidf]")  # fmt: skip
@click.option(
    "--metrics",
    "metric_names",
    default=None,
    help="comma-separated: self_bleu, distinct, entity_entropy, cosine, mauve, label_preservation; or all / none [all]",
)
@click.option("--self-bleu-sample", type=click.IntRange(2), default=None,
              help="score this many Self-BLEU hypotheses (against all texts) instead of all [all]")  # fmt: skip
@click.option("--oracle", default=None, help="student type of the label-preservation oracle [tfidf]")
@click.option("--no-save-student", is_flag=True, help="do not save the trained student under RUN_DIR/students/")
@executor_options("where the student fits run (one job per student and seed)")
@_student_options
def evaluate(
    run_dir: Path,
    student: str | None,
    metric_names: str | None,
    self_bleu_sample: int | None,
    oracle: str | None,
    no_save_student: bool,
    executor: str | None,
    ray_address: str | None,
    student_opts: tuple[str, ...],
    config_path: Path | None,
    sets: tuple[str, ...],
    **flags: Any,
) -> None:
    """Measure a run: intrinsic metrics and student scores on real test data -> RUN_DIR/metrics.json.

    Metrics: Self-BLEU-1..5, distinct-1..3, entity entropy, within/between-label cosine (MiniLM),
    MAUVE against label-matched real test texts, and label preservation under an oracle trained on
    the task's real train split. The student is fitted once per seed on the run's kept examples and
    scored on the task's real test split (mean ± std of accuracy and macro-F1); the first seed's
    student is saved to RUN_DIR/students/<name>/ (use it with `synthrr predict --model`).
    With --executor ray each (student, seed) fit runs as a Ray task; the metrics run here.
    Settings come from the `eval` section of --config (a run config YAML), then flags, then --set.
    """
    names = _metric_names(metric_names)
    flags.update(
        students=None if student is None else [] if student == "none" else [student],
        metrics=None if names is False else names,
        self_bleu_sample=self_bleu_sample,
        oracle=oracle,
        save_student=False if no_save_student else None,
    )
    cfg = eval_run_config(
        config_path, sets, flags, student_opts, all_metrics=names is None, executor=executor, ray_address=ray_address
    )
    result = evaluate_run(run_dir, cfg)
    click.echo(_summary(result, next(iter(cfg.eval.students), None)))
    click.echo(f"wrote {Path(result.run) / 'metrics.json'}")


def _summary(result: RunMetrics, student: str | None) -> str:
    name = Path(result.run).name
    return format_markdown([table_row(name, result, student or next(iter(result.students), ""))])


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="folder for compare.md/.csv/.json [<parent of the first run>/compare]")  # fmt: skip
@click.option("--student", default=None, help="student whose scores are compared [the runs' first, else tfidf]")
@click.option("--no-gold", is_flag=True, help="leave out the Gold row(s)")
@click.option("--no-evaluate", is_flag=True, help="do not evaluate runs that lack metrics.json (show blanks)")
@click.option("--report", "with_report", is_flag=True, help="also write report.html (synthrr report) beside the table")
@executor_options("where the student fits of runs evaluated here run")
@_student_options
def compare(
    run_dirs: tuple[Path, ...],
    out: Path | None,
    student: str | None,
    no_gold: bool,
    no_evaluate: bool,
    with_report: bool,
    executor: str | None,
    ray_address: str | None,
    student_opts: tuple[str, ...],
    config_path: Path | None,
    sets: tuple[str, ...],
    **flags: Any,
) -> None:
    """Compare runs in one table (Markdown on stdout; CSV and JSON files too), with a Gold row:
    the same student trained on the same number of real train examples (label-balanced).

    Runs without metrics.json are evaluated first with the given settings (the `eval` section of
    --config, then flags, then --set).
    """
    flags["students"] = None if student is None else [student]
    cfg = eval_run_config(config_path, sets, flags, student_opts, executor=executor, ray_address=ray_address)
    rows = compare_runs(
        list(run_dirs),
        out,
        cfg,
        student=student,
        gold=not no_gold,
        evaluate_missing=not no_evaluate,
    )
    click.echo(format_markdown(rows))
    where = out if out is not None else run_dirs[0].parent / "compare"
    click.echo(f"\nwrote {where}/compare.md, compare.csv, compare.json")
    if with_report:
        click.echo(f"report: {write_report(run_dirs, where / 'report.html', compare_rows=rows)}")


@click.command()
@click.option("--model", "model_dir", required=True, type=click.Path(path_type=Path),
              help="a saved student folder (RUN_DIR/students/<name>)")  # fmt: skip
@click.argument("texts", nargs=-1)
@click.option("--file", "file_path", type=click.Path(path_type=Path), default=None,
              help="classify a file: .txt (one text per line), CSV/TSV/JSONL/Parquet with a text column")  # fmt: skip
@click.option("--text-column", default="text", metavar="COLUMN", show_default=True,
              help="text column (CSV/TSV/Parquet) or key (JSONL) of --file")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="write --file predictions here (.csv, .jsonl or .parquet) instead of printing them")  # fmt: skip
def predict(
    model_dir: Path, texts: tuple[str, ...], file_path: Path | None, text_column: str, out: Path | None
) -> None:
    """Classify TEXTS (or --file) with a saved student: prints label and probability per text."""
    import pandas as pd

    if not texts and file_path is None:
        raise UsageError("give texts to classify, or --file PATH")
    items: list[dict[str, Any]] = [{"text": t} for t in texts]
    if file_path is not None:  # the inputs and the output path first: loading a student is the slow part
        items.extend(_read_items(file_path, text_column))
    if not items:
        raise UsageError(f"{file_path}: no texts to classify")
    if out is not None:
        writable_file(out, "--out")
    student = load_student(model_dir)
    rows: list[dict[str, Any]] = []
    proba = student.predict_proba([it["text"] for it in items])
    for it, p in zip(items, proba, strict=True):
        best = int(p.argmax())
        rows.append({**it, "label": student.labels[best], "probability": round(float(p[best]), 6)})
    if out is not None:
        df = pd.DataFrame(rows)

        write_table(df, out)
        counts = df["label"].value_counts().to_dict()
        click.echo(f"wrote {len(rows)} predictions to {out} ({', '.join(f'{k}={v}' for k, v in counts.items())})")
        return
    for r in rows:
        preview = r["text"] if len(r["text"]) <= 80 else r["text"][:77] + "..."
        click.echo(f"{r['label']}\t{r['probability']:.4f}\t{preview}")


def _read_items(path: Path, column: str) -> list[dict[str, Any]]:
    p = require_file(path)
    if p.suffix.lower() == ".txt":
        check_utf8(p)
        return [{"text": line.strip()} for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    df = read_table(p, columns=[column])
    keep = [c for c in ("id",) if c in df.columns and c != column]
    items = []
    for i, rec in enumerate(df[[column, *keep]].to_dict("records"), start=1):
        text = rec.pop(column)
        if not isinstance(text, str):
            raise InputError(p, f"row {i}: column '{column}' is not text")
        items.append({**rec, "text": text})
    return items
