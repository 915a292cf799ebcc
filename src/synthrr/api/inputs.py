"""Tasks and corpora from data in memory: a list of dicts, a pandas DataFrame, a Hugging Face
``datasets.Dataset`` (or ``DatasetDict``), or any iterable of texts.

A run must be reproducible and resumable from its run directory alone, so in-memory data is
written once to a content-addressed folder under ``$SYNTHRR_HOME/inputs/`` (the same data gives
the same folder) as an ordinary custom task file or JSONL corpus, and runs refer to that path.
:func:`make_task` returns a :class:`TaskRef`, which is accepted wherever a task name or path is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from synthrr.api.arguments import ROWS, check_labels, check_name, check_rows, is_rows, shown
from synthrr.core.errors import ConfigError, UsageError
from synthrr.core.io import atomic_open
from synthrr.core.paths import safe_name, subdir
from synthrr.core.text import stable_hash
from synthrr.tasks import get_task

if TYPE_CHECKING:
    from synthrr.tasks.base import Task

SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class TaskRef:
    """A task written by :func:`make_task`: its YAML file, name and labels.

    Use it wherever a task name or path is accepted (``generate(task=ref)``, ``get_task(ref)``);
    ``str(ref)`` and ``os.fspath(ref)`` are the task file's path.
    """

    path: Path
    name: str
    labels: tuple[str, ...]

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def load(self) -> Task:
        """The task itself (:func:`synthrr.tasks.get_task` of the file)."""
        return get_task(self.path)


def _rows(data: Any, text_column: str, label_column: str | None, what: str) -> list[dict[str, Any]]:
    """Rows of ``data`` as dicts with ``text`` (and ``label``): ClassLabel ids become their names."""
    if isinstance(data, str | bytes):
        raise UsageError(
            f"{what}: a single string is not a list of texts; pass a list (e.g. [text]), a DataFrame or a "
            "datasets.Dataset (a file is used by its path: task='file.yaml', corpus='file.csv')"
        )
    names: Sequence[str] | None = None
    features = getattr(data, "features", None)
    if features is not None and label_column and label_column in features:
        names = getattr(features[label_column], "names", None)  # datasets.ClassLabel
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        data = data.to_dict(orient="records")
    if not is_rows(data):
        raise UsageError(f"{what}: expected {ROWS}; got {shown(data)}")
    out = []
    for i, row in enumerate(data):
        if isinstance(row, str):
            row = {text_column: row}
        if not isinstance(row, Mapping):
            raise ConfigError(what, f"row {i} is a {type(row).__name__}, not a mapping or a text")
        text = row.get(text_column)
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(what, f"row {i} has no text in column '{text_column}'")
        item: dict[str, Any] = {"text": text}
        if label_column:
            if label_column not in row or row[label_column] is None:
                raise ConfigError(what, f"row {i} has no label in column '{label_column}'")
            label = row[label_column]
            item["label"] = names[int(label)] if names is not None else str(label)
        out.append(item)
    if not out:
        raise ConfigError(what, "no rows")
    return out


def _splits(data: Any) -> dict[str, Any]:
    """``{split: rows}`` from one table (train) or a mapping / DatasetDict of splits."""
    if isinstance(data, Mapping) and data and all(isinstance(k, str) for k in data):
        unknown = sorted(set(data) - set(SPLIT_NAMES))
        if unknown:
            raise ConfigError("task data", f"unknown split(s) {', '.join(unknown)}; use {', '.join(SPLIT_NAMES)}")
        if "train" not in data:
            raise ConfigError("task data", "a 'train' split is required")
        return dict(data)
    return {"train": data}


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with atomic_open(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _folder(kind: str, name: str, payload: Any) -> Path:
    digest = stable_hash(json.dumps(payload, sort_keys=True, ensure_ascii=False), size=8)
    folder = subdir("inputs") / kind / f"{safe_name(name, kind)}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_labels(splits: Mapping[str, list[dict[str, Any]]], labels: Iterable[str], label_column: str) -> None:
    """Every label asked for has train rows, and every row's label is one of them."""
    found = Counter(r["label"] for r in splits["train"])
    asked = list(labels)
    shown = ", ".join(f"{lab} ({n})" for lab, n in sorted(found.items()))
    missing = [lab for lab in asked if lab not in found]
    if missing:
        raise UsageError(
            f"make_task: label(s) {', '.join(map(repr, missing))} have no rows in the train split "
            f"(column '{label_column}'); labels found: {shown}; add rows for them or leave them out of labels="
        )
    for split, rows in splits.items():
        extra = sorted({r["label"] for r in rows} - set(asked))
        if extra:
            raise UsageError(
                f"make_task: the {split} rows have label(s) {', '.join(map(repr, extra))} (column "
                f"'{label_column}') that labels= does not list ({', '.join(asked)}); "
                "add them to labels= or drop those rows"
            )


def make_task(
    data: Any,
    *,
    name: str = "custom",
    labels: Sequence[str] | Mapping[str, str] | None = None,
    text_column: str = "text",
    label_column: str = "label",
    description: str = "",
    kind: str = "topic",
    context_header: str = "Document:",
    answer_prefix: str = "Text:",
    templates: Mapping[str, str] | None = None,
    max_new_tokens: int = 128,
) -> TaskRef:
    """A custom task from labelled data in memory; returns a :class:`TaskRef` (use it as ``task``).

    ``data``: the train split (list of dicts, DataFrame, ``datasets.Dataset``), or a mapping /
    ``DatasetDict`` of ``train`` / ``validation`` / ``test``. ``labels``: names in order, or
    ``{name: verbalization}`` (how prompts describe a label; default: its name); default: every label
    in the train split, sorted. Each label must have train rows. The other fields are those of a
    task YAML (docs/tasks.md). Problems raise a :class:`~synthrr.core.errors.UsageError` at once.
    """
    check_rows("make_task", "data", data)
    check_name("make_task", "name", name)
    splits = {s: _rows(d, text_column, label_column, f"task data ({s})") for s, d in _splits(data).items()}
    if labels is None:
        labels = sorted({r["label"] for r in splits["train"]})
    elif isinstance(labels, str):
        raise UsageError(f"make_task: labels={labels!r} is a single string; give a list of label names")
    check_labels("make_task", labels)
    verbal = dict(labels) if isinstance(labels, Mapping) else {lab: lab for lab in labels}
    _check_labels(splits, verbal, label_column)
    spec = {
        "name": name,
        "kind": kind,
        "description": description,
        "labels": [{"name": k, "verbalization": v} for k, v in verbal.items()],
        "context_header": context_header,
        "answer_prefix": answer_prefix,
        "max_new_tokens": max_new_tokens,
        "templates": dict(templates or {}),
        "data": {"splits": {s: f"{s}.jsonl" for s in splits}},
    }
    folder = _folder("tasks", name, {"spec": spec, "splits": splits})
    for split, rows in splits.items():
        _write_jsonl(folder / f"{split}.jsonl", rows)

    path = folder / "task.yaml"
    with atomic_open(path) as fh:
        fh.write(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    ref = TaskRef(path=path, name=name, labels=tuple(verbal))
    ref.load().split_sizes()  # every other problem (too few labels, a bad template) is reported now
    return ref


def make_corpus(texts: Any, *, name: str = "corpus", text_column: str = "text") -> Path:
    """A corpus from texts in memory (an iterable of strings or dicts, a DataFrame, a
    ``datasets.Dataset`` and its ``text_column``); returns the JSONL file's path (use it as ``corpus``)."""
    check_rows("make_corpus", "texts", texts)
    check_name("make_corpus", "name", name)
    rows = _rows(texts, text_column, None, "corpus texts")
    folder = _folder("corpora", name, rows)
    path = folder / "corpus.jsonl"
    _write_jsonl(path, ({"id": f"{name}-{i}", "text": r["text"]} for i, r in enumerate(rows)))
    return path
