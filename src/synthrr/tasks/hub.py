"""Tasks whose data comes from the Hugging Face Hub, via the optional ``datasets`` library.

They need network access (or a warm Hugging Face cache). Listing them never loads data;
loading them offline raises one :class:`~synthrr.core.errors.DataUnavailableError`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from synthrr.core.errors import require
from synthrr.core.hf_datasets import unavailable
from synthrr.core.records import Example
from synthrr.core.text import normalize_whitespace
from synthrr.tasks.base import Task, TaskSpec
from synthrr.tasks.specs import builtin_spec
from synthrr.tasks.splits import dedupe, example_id


@dataclass(frozen=True)
class HubSource:
    """Where a hub task's data lives and how to read it.

    ``datasets`` lists ``(path, config)`` candidates tried in order; ``splits`` maps our split
    names to the hub's; ``label_ids`` maps the hub's integer labels to our label names.
    """

    datasets: tuple[tuple[str, str | None], ...]
    splits: tuple[tuple[str, str], ...]
    text_column: str
    label_column: str
    label_ids: tuple[str, ...]

    @property
    def display(self) -> str:
        path, config = self.datasets[0]
        return f"{path}" + (f" ({config})" if config else "")


SOURCES: dict[str, HubSource] = {
    "ag_news": HubSource(
        datasets=(("fancyzhx/ag_news", None), ("ag_news", None)),
        splits=(("train", "train"), ("test", "test")),
        text_column="text",
        label_column="label",
        label_ids=("world", "sports", "business", "sci_tech"),
    ),
    "sst2": HubSource(
        # The GLUE test labels are hidden (-1), so the labelled validation split serves as test.
        datasets=(("stanfordnlp/sst2", None), ("nyu-mll/glue", "sst2")),
        splits=(("train", "train"), ("test", "validation")),
        text_column="sentence",
        label_column="label",
        label_ids=("negative", "positive"),
    ),
    "imdb_hub": HubSource(
        datasets=(("stanfordnlp/imdb", None), ("imdb", None)),
        splits=(("train", "train"), ("test", "test")),
        text_column="text",
        label_column="label",
        label_ids=("negative", "positive"),
    ),
}


class HubTask(Task):
    """A task loaded from the Hugging Face Hub on first use."""

    online = True

    def __init__(self, spec: TaskSpec, hub: HubSource) -> None:
        self.spec = spec
        self.hub = hub
        self.source = f"Hugging Face Hub: {hub.display}"

    def split_names(self) -> list[str]:
        return [ours for ours, _ in self.hub.splits]

    def load_split(self, split: str) -> list[Example]:
        self.check_split(split)
        return _load_hub_split(self.name, split)


def _load_dataset(task: str, hub: HubSource, hub_split: str) -> Any:
    datasets = require(f"task '{task}'", "datasets", "datasets")
    causes: list[BaseException] = []
    for path, config in hub.datasets:
        try:
            return datasets.load_dataset(path, config, split=hub_split)
        except Exception as e:  # offline: ConnectionError, OSError, DatasetNotFoundError, ...
            causes.append(e)
    raise unavailable(f"task '{task}'", hub.display, causes[0])


@functools.cache
def _load_hub_split(task: str, split: str) -> list[Example]:
    hub = SOURCES[task]
    hub_split = dict(hub.splits)[split]
    ds = _load_dataset(task, hub, hub_split)
    examples = []
    for raw, label in zip(ds[hub.text_column], ds[hub.label_column], strict=True):
        text = normalize_whitespace(str(raw).replace("<br />", " "))
        if text and 0 <= int(label) < len(hub.label_ids):  # -1 = hidden label
            examples.append(Example(id=example_id(task, text), text=text, label=hub.label_ids[int(label)]))
    return dedupe(examples)


def ag_news() -> Task:
    return HubTask(builtin_spec("ag_news"), SOURCES["ag_news"])


def sst2() -> Task:
    return HubTask(
        builtin_spec(
            "rotten_tomatoes",
            name="sst2",
            description="SST-2 (Socher et al. 2013), binary sentence polarity from the Hugging Face Hub; "
            "the GLUE validation split serves as test.",
        ),
        SOURCES["sst2"],
    )


def imdb_hub() -> Task:
    return HubTask(
        builtin_spec(
            "imdb",
            name="imdb_hub",
            description="IMDb movie-review sentiment with the official train/test splits (25k/25k) "
            "from the Hugging Face Hub.",
        ),
        SOURCES["imdb_hub"],
    )
