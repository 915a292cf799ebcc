"""Tasks and corpora from data in memory: a list of dicts, a pandas DataFrame, a Hugging Face
``datasets.Dataset`` (or ``DatasetDict``), or any iterable of texts.

A run must be reproducible and resumable from its run directory alone, so in-memory data is
written once to a content-addressed folder under ``$SYNTHRR_HOME/inputs/`` (the same data gives
the same folder) as an ordinary custom task file or JSONL corpus, and runs refer to that path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from synthrr.errors import ConfigError
from synthrr.text import stable_hash

SPLIT_NAMES = ("train", "validation", "test")


def _rows(data: Any, text_column: str, label_column: str | None, what: str) -> list[dict[str, Any]]:
    """Rows of ``data`` as dicts with ``text`` (and ``label``): ClassLabel ids become their names."""
    names: Sequence[str] | None = None
    features = getattr(data, "features", None)
    if features is not None and label_column and label_column in features:
        names = getattr(features[label_column], "names", None)  # datasets.ClassLabel
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        data = data.to_dict(orient="records")
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
    from synthrr.io import atomic_open

    with atomic_open(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _folder(kind: str, name: str, payload: Any) -> Path:
    from synthrr.paths import subdir

    digest = stable_hash(json.dumps(payload, sort_keys=True, ensure_ascii=False), size=8)
    folder = subdir("inputs") / kind / f"{name}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
) -> Path:
    """A custom task from labelled data in memory; returns the task file's path (use it as ``task``).

    ``data``: the train split (list of dicts, DataFrame, ``datasets.Dataset``), or a mapping /
    ``DatasetDict`` of ``train`` / ``validation`` / ``test``. ``labels``: names in order, or
    ``{name: verbalization}`` (how prompts describe a label; default: its name); default: every label
    in the train split, sorted. The other fields are those of a task YAML (docs/tasks.md).
    """
    splits = {s: _rows(d, text_column, label_column, f"task data ({s})") for s, d in _splits(data).items()}
    if labels is None:
        labels = sorted({r["label"] for r in splits["train"]})
    verbal = dict(labels) if isinstance(labels, Mapping) else {lab: lab for lab in labels}
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
    import yaml

    from synthrr.io import atomic_open

    path = folder / "task.yaml"
    with atomic_open(path) as fh:
        fh.write(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    from synthrr.tasks import get_task

    get_task(str(path))  # every problem (an unknown label, too few rows) is reported now, by the task loader
    return path


def make_corpus(texts: Any, *, name: str = "corpus", text_column: str = "text") -> Path:
    """A corpus from texts in memory (an iterable of strings or dicts, a DataFrame, a
    ``datasets.Dataset`` and its ``text_column``); returns the JSONL file's path (use it as ``corpus``)."""
    rows = _rows(texts, text_column, None, "corpus texts")
    folder = _folder("corpora", name, rows)
    path = folder / "corpus.jsonl"
    _write_jsonl(path, ({"id": f"{name}-{i}", "text": r["text"]} for i, r in enumerate(rows)))
    return path
