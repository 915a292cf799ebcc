"""Task specification: labels with verbalisations, prompt pieces and data splits.

A task is a :class:`TaskSpec` (pure data, validated, YAML round-trip) plus a :class:`Task`
that can load its splits as :class:`~synthrr.records.Example` lists.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthrr.records import Example


class LabelSpec(BaseModel):
    """One class: its name as it appears in the data and how prompts describe it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    verbalization: str = Field(min_length=1, description="phrase used in prompts, e.g. 'a positive review'")


class TaskSpec(BaseModel):
    """Everything prompts and loaders need to know about a classification task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    kind: str = Field("topic", description="topic, sentiment, ... (free text)")
    description: str = ""
    labels: tuple[LabelSpec, ...] = Field(min_length=2)
    context_header: str = Field("Document:", description="header placed before a retrieved passage")
    answer_prefix: str = Field("Text:", description="prefix the model completes, e.g. 'Review:'")
    max_new_tokens: int = Field(128, ge=1, le=8192)
    # method name -> instruction template; placeholders: {label}, {verbalization}, {context_header}
    templates: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_labels(self) -> TaskSpec:
        names = [lab.name for lab in self.labels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate label name(s): {', '.join(dupes)}")
        return self

    @property
    def label_names(self) -> list[str]:
        return [lab.name for lab in self.labels]

    def verbalization(self, label: str) -> str:
        for lab in self.labels:
            if lab.name == label:
                return lab.verbalization
        raise KeyError(label)

    @property
    def is_binary(self) -> bool:
        return len(self.labels) == 2


class Task(ABC):
    """A task spec plus access to its labelled splits."""

    spec: TaskSpec
    source: str = ""  # where the data comes from, for `synthrr tasks`

    @property
    def name(self) -> str:
        return self.spec.name

    @abstractmethod
    def split_names(self) -> list[str]:
        """Names of the available splits (e.g. ``train``, ``validation``, ``test``)."""

    @abstractmethod
    def load_split(self, split: str) -> list[Example]:
        """All examples of one split, with stable ids; labels are validated against the spec."""

    def split_sizes(self) -> dict[str, int]:
        return {s: len(self.load_split(s)) for s in self.split_names()}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.spec.kind, "labels": self.spec.label_names, "source": self.source}
