"""Datasets from the Hugging Face Hub (through the optional ``datasets`` library), for custom task
files (``data.hub``) and corpora (``hub:owner/name``). Offline, or for a name the Hub does not
have, loading raises one :class:`~synthrr.core.errors.DataUnavailableError` naming the dataset; a local
dataset folder (data files that ``datasets.load_dataset`` reads) works offline under the same name."""

from __future__ import annotations

from typing import Any

from synthrr.core.errors import DataUnavailableError, UsageError, require
from synthrr.core.text import normalize_whitespace

OFFLINE_BUILTINS = "imdb, rotten_tomatoes, bbc_news"


def unavailable(what: str, display: str, cause: BaseException) -> DataUnavailableError:
    """The one error for a hub dataset that could not be loaded."""
    reason = f"{type(cause).__name__}: {normalize_whitespace(str(cause))[:200]}"
    return DataUnavailableError(
        f"{what}: the dataset '{display}' needs network access to the Hugging Face Hub "
        f"(or a copy in the local Hugging Face cache) and could not be loaded ({reason}); "
        f"the offline built-in tasks are {OFFLINE_BUILTINS}"
    )


def load_split(what: str, name: str, split: str, *, config: str | None = None, revision: str | None = None) -> Any:
    """One split of a hub dataset (or a local dataset folder) as a ``datasets.Dataset``."""
    datasets = require(what, "datasets", "datasets")
    try:
        return datasets.load_dataset(name, config, split=split, revision=revision)
    except Exception as e:  # offline: ConnectionError, OSError, DatasetNotFoundError, ValueError for a bad split
        raise unavailable(what, name + (f" ({config})" if config else "") + f", split '{split}'", e) from None


def class_names(ds: Any, column: str) -> list[str] | None:
    """The names of a ``ClassLabel`` column, or None for any other column."""
    feature = getattr(ds, "features", {}).get(column)
    names = getattr(feature, "names", None)
    return list(names) if names else None


def column_frame(ds: Any, columns: list[str], what: str) -> Any:
    """The ``columns`` of ``ds`` as a DataFrame, ClassLabel ids turned into their names."""
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        found = ", ".join(map(repr, ds.column_names[:20]))
        raise UsageError(f"{what}: no column(s) {', '.join(map(repr, missing))}; found: {found}")
    frame = ds.select_columns(columns).to_pandas()
    for c in columns:
        names = class_names(ds, c)
        if names is not None:
            frame[c] = [names[int(v)] if v is not None and 0 <= int(v) < len(names) else None for v in frame[c]]
    return frame
