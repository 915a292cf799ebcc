"""Task specification: labels with verbalisations, prompt pieces and data splits.

A task is a :class:`TaskSpec` (pure data, validated, YAML round-trip) plus a :class:`Task`
that can load its splits as :class:`~synthrr.core.records.Example` lists.
"""

from __future__ import annotations

import string
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthrr.core.errors import UsageError
from synthrr.core.records import Example

#: Placeholders an instruction template may use (headers are filled in without their colon).
TEMPLATE_FIELDS = ("label", "verbalization", "context_header", "answer_prefix")


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
    # method name (or "default") -> instruction template; placeholders: see TEMPLATE_FIELDS
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _names_alone(cls, labels: Any) -> Any:
        """``labels: [spam, ham]`` is short for names that are their own verbalization."""
        if isinstance(labels, list | tuple):
            return [{"name": lab, "verbalization": lab} if isinstance(lab, str) else lab for lab in labels]
        return labels

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, labels: tuple[LabelSpec, ...]) -> tuple[LabelSpec, ...]:
        names = [lab.name for lab in labels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate label name(s): {', '.join(dupes)}")
        return labels

    @field_validator("templates")
    @classmethod
    def _known_placeholders(cls, templates: dict[str, str]) -> dict[str, str]:
        for method, template in templates.items():
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
            except ValueError as e:
                raise ValueError(f"template '{method}' is not a valid format string: {e}") from None
            unknown = sorted({f for f in fields if f not in TEMPLATE_FIELDS})
            if unknown:
                raise ValueError(
                    f"template '{method}' uses unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
                    f"allowed: {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}"
                )
            try:  # names alone miss format specs and conversions ('{verbalization:d}', '{label!z}')
                template.format(**dict.fromkeys(TEMPLATE_FIELDS, "x"))
            except (ValueError, IndexError, KeyError, TypeError, AttributeError) as e:
                raise ValueError(
                    f"template '{method}' cannot be filled in: {e}; write placeholders plainly, e.g. {{verbalization}}"
                ) from None
        return templates

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

    def instruction(self, method: str, label: str) -> str:
        """The instruction of ``method`` (else the ``default`` template) for ``label``, filled in."""
        template = self.templates.get(method) or self.templates.get("default")
        if template is None:
            known = ", ".join(sorted(self.templates)) or "(none)"
            raise UsageError(f"task '{self.name}' has no template for method '{method}'; it has: {known}")
        if label not in self.label_names:
            raise UsageError(f"task '{self.name}' has no label '{label}'; labels: {', '.join(self.label_names)}")
        return template.format(
            label=label,
            verbalization=self.verbalization(label),
            context_header=self.context_header.rstrip(":"),
            answer_prefix=self.answer_prefix.rstrip(":"),
        )


class Task(ABC):
    """A task spec plus access to its labelled splits."""

    spec: TaskSpec
    source: str = ""  # where the data comes from, for `synthrr tasks`
    online: bool = False  # True when the data comes from a hub (listing then never loads it)

    @property
    def name(self) -> str:
        return self.spec.name

    @abstractmethod
    def split_names(self) -> list[str]:
        """Names of the available splits (e.g. ``train``, ``validation``, ``test``)."""

    @abstractmethod
    def load_split(self, split: str) -> list[Example]:
        """All examples of one split, with stable ids; labels are validated against the spec."""

    def check_split(self, split: str) -> None:
        """Raise a :class:`UsageError` naming the known splits if ``split`` is not one of them."""
        if split not in self.split_names():
            raise UsageError(f"task '{self.name}' has no split '{split}'; its splits: {', '.join(self.split_names())}")

    def split_sizes(self) -> dict[str, int]:
        return {s: len(self.load_split(s)) for s in self.split_names()}

    def label_counts(self, split: str) -> dict[str, int]:
        """Examples per label in ``split``, in the order of the spec's labels."""
        counts = Counter(ex.label for ex in self.load_split(split))
        return {name: counts.get(name, 0) for name in self.spec.label_names}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.spec.kind,
            "labels": self.spec.label_names,
            "source": self.source,
            "online": self.online,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, source={self.source!r})"


class SplitTask(Task):
    """A task whose splits come from one loader returning ``{split: examples}``.

    The loader is called lazily, on the first :meth:`load_split`; callers cache it
    (built-ins use :func:`functools.lru_cache` at module level).
    """

    def __init__(
        self,
        spec: TaskSpec,
        source: str,
        loader: Callable[[], Mapping[str, list[Example]]],
        splits: tuple[str, ...] = ("train", "validation", "test"),
    ) -> None:
        self.spec = spec
        self.source = source
        self._loader = loader
        self._splits = splits

    def split_names(self) -> list[str]:
        return list(self._splits)

    def load_split(self, split: str) -> list[Example]:
        self.check_split(split)
        return self._loader()[split]


def default_per_label(task: Task) -> int:
    """100 seeds per label for binary tasks, 50 otherwise (as in the paper); the seeds
    drawn when ``seeds.per_label`` is not set."""
    return 100 if task.spec.is_binary else 50
