"""Custom tasks from a YAML file: a :class:`TaskSpec` plus a ``data:`` section.

See ``docs/tasks.md`` for the format and ``tests/data/tasks/support_tickets.yaml`` for an
example. Every problem is one clear error: :class:`~synthrr.core.errors.ConfigError` naming the
field and the YAML file, or :class:`~synthrr.core.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import csv
import functools
import math
from collections import Counter
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synthrr.core import hf_datasets as hf
from synthrr.core.errors import TEXT_COLUMNS, ConfigError, InputError, config_error, guess_column
from synthrr.core.io import open_text, read_table, read_yaml_mapping, table_format
from synthrr.core.paths import name_problem
from synthrr.core.records import Example
from synthrr.core.text import normalize_whitespace
from synthrr.tasks.base import SplitTask, Task, TaskSpec
from synthrr.tasks.splits import SPLITS, dedupe, example_id, hash_split

#: Instruction templates a custom task gets for the methods it does not define.
DEFAULT_TEMPLATES = {
    "synthesizrr": "Write a text about {verbalization}. Use details from the text above. Write two or three sentences.",
    "fewgen": "Write a text about {verbalization}. Write two or three sentences.",
    "zerogen": "Write a text about {verbalization}. Write two or three sentences.",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitFiles(_Strict):
    """One data file per split; paths are relative to the task YAML."""

    train: str = Field(min_length=1)
    validation: str | None = None
    test: str | None = None


class HubData(_Strict):
    """A task's data from a Hugging Face Hub dataset (or a local dataset folder), read with ``datasets``."""

    name: str = Field(min_length=1, description="owner/name on the Hub, or a local dataset folder")
    config: str | None = Field(None, description="the dataset's configuration (subset), if it has several")
    revision: str | None = Field(None, description="a branch, tag or commit of the dataset")
    splits: dict[str, str] = Field(
        default_factory=lambda: {"train": "train", "test": "test"}, description="our split -> the dataset's split"
    )

    @field_validator("splits")
    @classmethod
    def _known_splits(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(SPLITS))
        if unknown:
            raise ValueError(f"unknown split(s) {', '.join(unknown)}; use {', '.join(SPLITS)}")
        if "train" not in v:
            raise ValueError("a 'train' split is required")
        return v


class DataSpec(_Strict):
    """Where a custom task's labelled data lives and how to read it."""

    text_column: str = Field("text", min_length=1)
    label_column: str = Field("label", min_length=1)
    label_map: dict[str, str] | None = Field(None, description="raw label value -> label name")
    splits: SplitFiles | None = None
    file: str | None = Field(None, description="one file, split like the built-ins (see docs/tasks.md)")
    hub: HubData | None = Field(None, description="a Hugging Face Hub dataset instead of files")
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0, description="with `file`: share of each label in test")
    validation_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="with `file`: share in validation")

    @field_validator("label_map", mode="before")
    @classmethod
    def _keys_as_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {raw_label(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if sum(x is not None for x in (self.splits, self.file, self.hub)) != 1:
            raise ValueError(
                "give exactly one of 'splits' (a file per split), 'file' (one file to split) or 'hub' (a dataset)"
            )
        if self.test_fraction + self.validation_fraction >= 1.0:
            raise ValueError("test_fraction + validation_fraction must be below 1")
        return self


class TaskFile(TaskSpec):
    """The whole custom-task YAML: the spec fields plus ``data``."""

    data: DataSpec

    @field_validator("name")
    @classmethod
    def _one_word(cls, name: str) -> str:
        """A task's name becomes part of its run folders: a path in it is refused, not followed."""
        problem = name_problem(name)
        if problem:
            raise ValueError(problem)
        return name


def raw_label(value: Any) -> str:
    """A raw label value as a string: ``1``, ``1.0`` and ``"1"`` agree; booleans are ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return raw_label(value.item())
    return str(value).strip()


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_task_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "task file")


def parse_task_file(path: Path) -> TaskFile:
    """Read and validate a custom-task YAML (no data is read)."""
    try:
        config = TaskFile.model_validate(read_task_yaml(path))
    except ValidationError as e:
        raise config_error(e, source=str(path), model=TaskFile) from None
    if config.data.label_map:
        unknown = sorted({v for v in config.data.label_map.values() if v not in config.label_names})
        if unknown:
            raise ConfigError(
                "data.label_map",
                f"maps to undefined label(s) {', '.join(map(repr, unknown))}; labels: {', '.join(config.label_names)}",
                source=str(path),
            )
    return config


class CustomTask(SplitTask):
    """A task defined by a YAML file; its data is read on first use and cached."""

    def __init__(self, path: Path, config: TaskFile) -> None:
        spec_fields = config.model_dump(exclude={"data"})
        if "default" not in spec_fields["templates"]:  # a user's `default` serves the other methods
            spec_fields["templates"] = {**DEFAULT_TEMPLATES, **spec_fields["templates"]}
        spec = TaskSpec.model_validate(spec_fields)
        self.path = path
        self.data = config.data
        if config.data.splits is not None:
            splits = tuple(s for s in SPLITS if getattr(config.data.splits, s) is not None)
        elif config.data.hub is not None:
            splits = tuple(s for s in SPLITS if s in config.data.hub.splits)
        else:
            splits = SPLITS
        super().__init__(spec, f"custom task file {path}", functools.cache(self._load_all), splits)

    def _resolve(self, rel: str, field: str) -> Path:
        p = Path(rel).expanduser()
        p = p if p.is_absolute() else self.path.parent / p
        if not p.exists():
            raise InputError(p, f"data file not found (field '{field}' of {self.path})")
        if p.is_dir():
            raise InputError(p, f"expected a data file, found a folder (field '{field}' of {self.path})")
        table_format(p)  # unsupported extension -> InputError naming the file
        return p

    def _load_all(self) -> dict[str, list[Example]]:
        """Every split, read and checked: each label must have train rows (else seeds cannot be drawn)."""
        d = self.data
        if d.hub is not None:
            hub = {split: dedupe(self._from_hub(d.hub, split)) for split in self.split_names()}
            return self._check_train(hub, f"hub:{d.hub.name}", "data.hub")
        if d.splits is not None:
            out: dict[str, list[Example]] = {}
            for split in self.split_names():
                path = self._resolve(getattr(d.splits, split), f"data.splits.{split}")
                out[split] = dedupe(self._read(path))
            return self._check_train(out, self._resolve(d.splits.train, "data.splits.train"), "data.splits.train")
        assert d.file is not None
        path = self._resolve(d.file, "data.file")
        examples = self._read(path)
        try:
            parts = hash_split(examples, self.spec.label_names, test=d.test_fraction, validation=d.validation_fraction)
        except ValueError as e:  # not reachable with fractions below 1, kept for safety
            raise InputError(path, str(e)) from None
        return self._check_train(parts, path, "data.file")

    def _check_train(self, splits: dict[str, list[Example]], where: Path | str, field: str) -> dict[str, list[Example]]:
        """``splits``, if every label has train rows; else the error naming the labels, the file and the fix."""
        counts = Counter(ex.label for ex in splits["train"])
        empty = [lab for lab in self.spec.label_names if not counts[lab]]
        if not empty:
            return splits
        names = ", ".join(map(repr, empty))
        elsewhere = sum(1 for s, rows in splits.items() if s != "train" for ex in rows if ex.label in empty)
        note = ""
        if elsewhere and field == "data.file":
            note = (
                f" (their {elsewhere} row(s) went to validation/test: lower data.test_fraction / validation_fraction)"
            )
        raise InputError(
            where,
            f"label(s) {names} of task '{self.name}' have no train rows (column '{self.data.label_column}', "
            f"field '{field}' of {self.path}){note}; add rows with these labels or remove them from `labels:`",
        )

    def _from_hub(self, hub: HubData, split: str) -> list[Example]:
        where = f"hub:{hub.name}" + (f" ({hub.config})" if hub.config else "") + f"[{hub.splits[split]}]"
        ds = hf.load_split(f"task '{self.name}'", hub.name, hub.splits[split], config=hub.config, revision=hub.revision)
        columns = [self.data.text_column, self.data.label_column]
        return self._examples(hf.column_frame(ds, columns, f"{where} (task file {self.path})"), where)

    def _read(self, path: Path) -> list[Example]:
        d = self.data
        try:
            df = read_table(path)
        except InputError as e:
            if e.line is None and e.detail.startswith("malformed"):
                _raise_bad_record(path)  # pandas counts records, not lines: name the exact line
            raise
        found = [str(c) for c in df.columns]
        for key, column, usual in (("text_column", d.text_column, TEXT_COLUMNS), ("label_column", d.label_column, ())):
            if column not in found:
                fix = guess_column(column, found, usual) or "COLUMN"
                raise InputError(
                    path,
                    f"no column '{column}'; columns found: {', '.join(map(repr, found[:20]))}; "
                    f"set data.{key}: {fix} in {self.path}",
                )
        return self._examples(df, path)

    def _examples(self, df: Any, path: Path | str) -> list[Example]:
        """Validated examples from a table with the task's text and label columns (``path`` names it in errors)."""
        d = self.data
        if len(df) == 0:
            raise InputError(path, "no data rows (a header only?); a task file needs labelled examples")
        labels = set(self.spec.label_names)
        out = []
        for i, (raw_text, raw_lab) in enumerate(zip(df[d.text_column], df[d.label_column], strict=True)):
            if _is_missing(raw_lab) or raw_label(raw_lab) == "":
                _row_error(path, i, f"empty value in column '{d.label_column}'")
            value = raw_label(raw_lab)
            if d.label_map is not None:
                if value not in d.label_map:
                    _row_error(
                        path, i,
                        f"label value {value!r} (column '{d.label_column}') is not in data.label_map; "
                        f"mapped values: {', '.join(d.label_map)}",
                    )  # fmt: skip
                label = d.label_map[value]
            elif value in labels:
                label = value
            else:
                _row_error(
                    path, i,
                    f"label {value!r} (column '{d.label_column}') is not defined by task '{self.name}'; "
                    f"known labels: {', '.join(self.spec.label_names)}",
                )  # fmt: skip
            text = "" if _is_missing(raw_text) else normalize_whitespace(_as_text(raw_text, path, i, d.text_column))
            if not text:
                _row_error(path, i, f"empty value in column '{d.text_column}'")
            out.append(Example(id=example_id(self.name, text), text=text, label=label))
        return out


def _as_text(value: Any, path: Path | str, row: int, column: str) -> str:
    """A text cell as a string: numbers are their digits; an object, a list or bytes is an error
    naming the row and the column (its ``str()`` would be synthesised from as if it were the text)."""
    if isinstance(value, str):
        return value
    kind = None
    if isinstance(value, dict):
        inner = [str(k) for k, v in value.items() if isinstance(v, str)]
        fields = f" (its text fields: {', '.join(map(repr, inner[:5]))})" if inner else ""
        kind = f"an object{fields}, not a text; flatten it so that column '{column}' holds the text"
    elif isinstance(value, list | tuple) or getattr(value, "ndim", 0) > 0:
        kind = f"a list, not a text; give one text per row in column '{column}'"
    elif isinstance(value, bytes | bytearray):
        kind = f"bytes, not a text; store column '{column}' as text (UTF-8 strings)"
    if kind:
        _row_error(path, row, f"column '{column}' (data.text_column) holds {kind}")
    return str(value)


def _row_error(path: Path | str, row: int, message: str) -> NoReturn:
    """Raise an InputError for 0-based data row ``row``, naming the line where it starts (in a file)."""
    line = data_line(path, row) if isinstance(path, Path) else None
    raise InputError(path, f"data row {row + 1}: {message}", line=line)


def _raise_bad_record(path: Path) -> None:
    """For a CSV/TSV pandas could not parse, raise an InputError at the first record whose field
    count differs from the header's (if there is one; otherwise return)."""
    fmt = table_format(path)
    if fmt not in ("csv", "tsv"):
        return
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter="," if fmt == "csv" else "\t")
        start, expected = 1, None
        try:
            for record in reader:
                if record:
                    if expected is None:
                        expected = len(record)
                    elif len(record) != expected:
                        hint = "; is a quote unterminated?" if any("\n" in f for f in record) else ""
                        raise InputError(
                            path,
                            f"malformed {fmt.upper()}: expected {expected} fields (as in the header), "
                            f"found {len(record)}{hint}",
                            line=start,
                        )
                start = reader.line_num + 1
        except csv.Error as e:
            raise InputError(path, f"malformed {fmt.upper()}: {e}", line=start) from None


def data_line(path: Path, row: int) -> int | None:
    """The 1-based file line where data row ``row`` (0-based, header excluded) starts; None for Parquet."""
    fmt = table_format(path)
    if fmt == "parquet":
        return None
    with open_text(path) as fh:
        if fmt == "jsonl":
            seen = -1
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    seen += 1
                    if seen == row:
                        return lineno
            return None
        reader = csv.reader(fh, delimiter="," if fmt == "csv" else "\t")
        start, seen = 1, -2  # the header is record -1
        for record in reader:
            if record:  # pandas skips blank lines
                seen += 1
                if seen == row:
                    return start
            start = reader.line_num + 1
    return None


def load_custom_task(path: str | Path) -> Task:
    """A custom task from its YAML file. The spec is validated now; data is read on first use."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(p, "task file not found")
    if p.is_dir():
        raise InputError(p, "expected a task YAML file, found a folder")
    return CustomTask(p, parse_task_file(p))
