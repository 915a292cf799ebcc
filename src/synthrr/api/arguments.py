"""Type checks at the Python API boundary (:mod:`synthrr.api`, :mod:`synthrr.api.inputs`).

A value of the wrong type (``generate(task=123)``, ``generate(overrides="synthesis.n=6")``,
``make_corpus(None)``, ``evaluate(None)``) is a :class:`~synthrr.core.errors.UsageError` that names the
function, the parameter, what it takes and what it got, instead of a ``TypeError`` raised
somewhere inside that names none of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from synthrr.config import RunConfig
from synthrr.core.errors import UsageError
from synthrr.core.paths import name_problem

#: what a parameter holding labelled rows or texts accepts, for the messages below
ROWS = "a list of dicts or texts, a pandas DataFrame or a datasets.Dataset"
#: what a run parameter accepts
RUN = "a SynthesisResult or a run directory (a str or a Path)"


def shown(value: Any, width: int = 60) -> str:
    """``value``'s type and a short repr (``int 123``), for a message."""
    text = repr(value)
    text = text if len(text) <= width else text[: width - 3] + "..."
    return f"{type(value).__name__} {text}"


def bad_argument(func: str, param: str, accepts: str, value: Any) -> UsageError:
    """The error for ``func(param=value)`` when ``param`` takes only ``accepts``."""
    return UsageError(f"{func}(): {param}= takes {accepts}; got {shown(value)}")


def is_path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike)


def is_rows(value: Any) -> bool:
    """Whether ``value`` can be read as rows (a table, a dataset, a mapping of splits or any
    iterable but a string)."""
    if isinstance(value, str | bytes) or value is None:
        return False
    return isinstance(value, Iterable) or hasattr(value, "to_dict") or hasattr(value, "features")


def check_rows(func: str, param: str, value: Any) -> None:
    """Data in memory: rows, a table, a dataset or a mapping of splits (a string is refused by the
    reader itself, with the hint that a file goes by its path)."""
    if not (isinstance(value, str) or is_rows(value)):
        raise bad_argument(func, param, ROWS, value)


def check_config(func: str, config: Any) -> None:
    """``config``: a RunConfig, a YAML path, a mapping of fields or None."""
    if not (config is None or isinstance(config, RunConfig | Mapping) or is_path(config)):
        raise bad_argument(func, "config", "a RunConfig, a config YAML path or a dict of config fields", config)


def check_overrides(func: str, overrides: Any) -> None:
    """``overrides``: a mapping of dotted config keys (strings) to values, or None."""
    example = "a dict of dotted config keys to values, e.g. {'synthesis.n': 6}"
    if overrides is None:
        return
    if not isinstance(overrides, Mapping):
        raise bad_argument(func, "overrides", example, overrides)
    for key in overrides:
        if not isinstance(key, str) or not key.strip():
            raise bad_argument(func, "overrides", example + " (each key a non-empty string)", key)


def check_source(func: str, param: str, value: Any, what: str) -> None:
    """A task or corpus: a name or path (str / PathLike), or data in memory; ``what`` says which names."""
    if value is None or is_path(value) or is_rows(value):
        return
    raise bad_argument(func, param, f"{what}, or {ROWS}", value)


def check_path(func: str, param: str, value: Any) -> None:
    """A folder or file parameter: a str or a Path (or None)."""
    if value is not None and not is_path(value):
        raise bad_argument(func, param, "a folder path (a str or a Path)", value)


def check_run(func: str, run: Any, param: str = "run") -> None:
    """A run: a SynthesisResult or a run directory."""
    if not (is_path(run) or hasattr(run, "run_dir")):
        raise bad_argument(func, param, RUN, run)


def check_runs(func: str, runs: Any) -> None:
    """A list of runs (not one run directory given as a string)."""
    if is_path(runs) or not isinstance(runs, Iterable):
        raise bad_argument(func, "runs", f"a list of runs, each {RUN}", runs)
    for run in runs:
        check_run(func, run, "runs")


def check_labels(func: str, labels: Any) -> None:
    """``labels``: label names in order (a list of strings) or ``{name: verbalization}``, or None."""
    accepts = "a list of label names or a dict {name: verbalization}"
    if labels is None:
        return
    if isinstance(labels, str | bytes) or not isinstance(labels, Iterable):
        raise bad_argument(func, "labels", accepts, labels)
    items = list(labels.items()) if isinstance(labels, Mapping) else [(lab, lab) for lab in labels]
    for name, verbal in items:
        if not isinstance(name, str) or not name.strip() or not isinstance(verbal, str):
            raise bad_argument(func, "labels", accepts + " (each a non-empty string)", name)


def check_name(func: str, param: str, name: Any) -> None:
    """A name the user chose (``make_task(name=...)``): a string that is one word, not a path."""
    if not isinstance(name, str) or not name.strip():
        raise bad_argument(func, param, "a non-empty string such as 'support_tickets'", name)
    problem = name_problem(name)
    if problem:
        raise UsageError(f"{func}(): {param}={name!r} {problem}")
