"""A custom task YAML written from a labelled data file (``synthrr tasks new``).

The file's label column gives the labels (with their counts); verbalisations and templates are
placeholders marked ``# EDIT``. The task uses ``data.file`` (one file, split deterministically by
content hash, stratified by label) with the path relative to the YAML, and is loaded in memory
(every data row read, split and checked) before the YAML is written.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from synthrr.core.errors import TEXT_COLUMNS, InputError, UsageError, config_error
from synthrr.core.io import atomic_open, read_table
from synthrr.tasks.base import default_per_label
from synthrr.tasks.custom import DEFAULT_TEMPLATES, CustomTask, TaskFile, parse_task_file, raw_label

if TYPE_CHECKING:
    import pandas as pd

    from synthrr.tasks.base import Task

#: column names taken for the label when the flag is not given, in order of preference (the text: TEXT_COLUMNS)
LABEL_NAMES = ("label", "labels", "category", "class", "target", "intent", "topic", "sentiment", "team", "tag")
#: a column with more distinct values than this (and than half the rows) is not taken as labels
MAX_LABELS = 200
DATA_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")


@dataclass(frozen=True)
class NewTask:
    """What :func:`new_task` wrote and found."""

    path: Path
    name: str
    data_file: str  # as written in the YAML (relative to it)
    rows: int
    text_column: str
    label_column: str
    guessed: tuple[str, ...]  # "text" and/or "label": the columns that were guessed
    counts: dict[str, int]  # rows per label in the file, in the YAML's label order
    split_counts: dict[str, dict[str, int]]  # split -> label -> rows, after the split
    per_label: int  # the seeds per label a run asks for by default
    short: dict[str, int] = field(default_factory=dict)  # labels with fewer train rows than per_label


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or raw_label(value) == ""


def _values(column: Any) -> list[str]:
    return [raw_label(v) for v in column if not _missing(v)]


def _mean_length(column: Any) -> float:
    texts = [v for v in column if isinstance(v, str)]
    return sum(len(t) for t in texts) / len(texts) if texts else 0.0


def _is_label_like(column: Any, rows: int) -> bool:
    distinct = len(set(_values(column)))
    return 2 <= distinct <= MAX_LABELS and (distinct <= rows // 2 or rows < 20)


def _by_name(columns: list[str], names: tuple[str, ...], exclude: str | None) -> str | None:
    lower = {c.lower(): c for c in columns if c != exclude}
    return next((lower[n] for n in names if n in lower), None)


def guess_columns(
    df: pd.DataFrame, text_column: str | None, label_column: str | None, where: Path
) -> tuple[str, str, tuple[str, ...]]:
    """``(text column, label column, which were guessed)``: by name first, then by content
    (the longest texts; the fewest distinct values). A column that cannot be told raises."""
    columns = [str(c) for c in df.columns]
    shown = ", ".join(map(repr, columns))
    text = text_column or _by_name(columns, TEXT_COLUMNS, label_column)
    label = label_column or _by_name(columns, LABEL_NAMES, text)
    if text is None:
        lengths = {c: _mean_length(df[c]) for c in columns if c != label}
        text = max(lengths, key=lambda c: lengths[c]) if lengths and max(lengths.values()) >= 15 else None
    if text is None:
        raise UsageError(
            f"{where}: cannot tell which column holds the texts (columns: {shown}); pass --text-column NAME"
        )
    if label is None:
        rows = len(df)
        candidates = {c: len(set(_values(df[c]))) for c in columns if c != text and _is_label_like(df[c], rows)}
        label = min(candidates, key=lambda c: candidates[c]) if candidates else None
    if label is None:
        raise UsageError(
            f"{where}: cannot tell which column holds the labels (columns: {shown}); pass --label-column NAME"
        )
    for flag, col in (("--text-column", text), ("--label-column", label)):
        if col not in columns:
            raise InputError(where, f"no column '{col}' (given by {flag}); columns: {shown}")
    if text == label:
        raise UsageError(f"{where}: the text and the label column are both '{text}'; give two different columns")
    guessed = tuple(what for what, given in (("text", text_column), ("label", label_column)) if not given)
    return text, label, guessed


def label_counts(df: pd.DataFrame, label: str, where: Path) -> dict[str, int]:
    """Rows per label value (as the task loader reads it), sorted by label; checks it is a label column."""
    counts = Counter(_values(df[label]))
    if len(counts) < 2:
        found = ", ".join(map(repr, counts)) or "none"
        raise InputError(where, f"column '{label}' has {len(counts)} label(s) ({found}); a task needs at least two")
    if len(counts) > MAX_LABELS or (len(counts) > len(df) // 2 and len(df) >= 20):
        raise InputError(
            where,
            f"column '{label}' has {len(counts)} distinct values in {len(df)} rows, which does not look like "
            "labels; pass the label column with --label-column NAME",
        )
    return dict(sorted(counts.items()))


def _q(value: str) -> str:
    """A YAML scalar for any string (JSON strings are YAML)."""
    return json.dumps(value, ensure_ascii=False)


def render_yaml(name: str, source: str, data_file: str, text: str, label: str, counts: dict[str, int]) -> str:
    """The task YAML, its placeholders marked ``# EDIT``."""
    lines = [
        f"# Task written by `synthrr tasks new` from {source} ({sum(counts.values())} labelled rows).",
        "# Lines marked EDIT hold placeholders: say in a few words what each label is about (prompts ask",
        '# for "a text about {verbalization}", e.g. "a refund request") and fit templates and headers to your texts.',
        "# Check it with: synthrr tasks --task THIS_FILE",
        f"name: {_q(name)}",
        'kind: "topic"  # EDIT: topic, sentiment, intent, ... (free text)',
        'description: ""  # EDIT: one line shown by `synthrr tasks`',
        "labels:",
    ]
    for lab, n in counts.items():
        lines.append(f"  - name: {_q(lab)}  # {n} rows")
        lines.append(f"    verbalization: {_q(lab.replace('_', ' '))}  # EDIT")
    lines += [
        'context_header: "Document:"  # EDIT: header placed before a retrieved passage',
        'answer_prefix: "Text:"  # EDIT: what the model completes, e.g. "Ticket:"',
        "max_new_tokens: 128",
        "templates:  # EDIT: the instruction per method; placeholders {verbalization}, {label}",
    ]
    lines += [f"  {method}: {_q(template)}" for method, template in DEFAULT_TEMPLATES.items()]
    lines += [
        "data:",
        f"  file: {_q(data_file)}  # relative to this file; split by content hash, stratified by label",
        f"  text_column: {_q(text)}",
        f"  label_column: {_q(label)}",
        "  test_fraction: 0.2",
        "  validation_fraction: 0.1",
    ]
    return "\n".join(lines) + "\n"


def default_name(data: Path) -> str:
    """The data file's name without its data suffixes (``tickets.csv`` -> ``tickets``)."""
    name = data.name
    while Path(name).suffix.lower() in DATA_SUFFIXES:
        name = name[: -len(Path(name).suffix)]
    return name or "task"


def _out_path(data: Path, out: str | Path | None, force: bool) -> Path:
    path = Path(out).expanduser() if out is not None else Path(f"{default_name(data)}.yaml")
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"--out {path}: a task file's name must end in .yaml or .yml")
    if path.is_dir():
        raise InputError(path, "is a folder; give --out a file name ending in .yaml")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it, or --out OTHER.yaml")
    return path


def _relative(data: Path, out: Path) -> str:
    try:
        return Path(os.path.relpath(data.resolve(), out.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows)
        return data.resolve().as_posix()


def new_task(
    data: str | Path,
    out: str | Path | None = None,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    name: str | None = None,
    force: bool = False,
) -> NewTask:
    """Write a task YAML for the labelled ``data`` file (CSV, TSV, JSONL or Parquet) at ``out``
    (default ``<file stem>.yaml`` in the current folder), after checking the task loads."""
    src = Path(data).expanduser()
    df = read_table(src)
    if len(df) == 0:
        raise InputError(src, "no data rows (a header only?); a task needs labelled examples")
    path = _out_path(src, out, force)
    text, label, guessed = guess_columns(df, text_column, label_column, src)
    counts = label_counts(df, label, src)
    task_name = name or default_name(src)
    path.parent.mkdir(parents=True, exist_ok=True)  # the data file is found relative to it
    rel = _relative(src, path)
    body = render_yaml(task_name, src.name, rel, text, label, counts)
    task = _check(path, body)  # every problem (a bad row, a label without train rows) before writing
    with atomic_open(path) as fh:
        fh.write(body if body.endswith("\n") else body + "\n")
    parse_task_file(path)  # and the file as written reads back
    splits = {s: task.label_counts(s) for s in task.split_names()}
    per_label = default_per_label(task)
    short = {lab: n for lab, n in splits["train"].items() if n < per_label}
    return NewTask(path, task_name, rel, len(df), text, label, guessed, counts, splits, per_label, short)


def _check(path: Path, body: str) -> Task:
    """The task ``body`` would be at ``path``, loaded from memory with all its data (errors name ``path``)."""
    try:
        config = TaskFile.model_validate(yaml.safe_load(body))
    except ValidationError as e:
        raise config_error(e, source=str(path)) from None
    task = CustomTask(path, config)
    task.split_sizes()
    return task
