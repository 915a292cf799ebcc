"""The built-in task specs: one YAML file per spec under ``synthrr/tasks/specs/``.

The YAML files are the single source of truth for labels, verbalisations and prompt
templates of the built-in tasks; they hold exactly the fields of :class:`TaskSpec`.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from synthrr.tasks.base import TaskSpec


@functools.cache
def _load(stem: str) -> TaskSpec:
    text = resources.files("synthrr.tasks.specs").joinpath(f"{stem}.yaml").read_text(encoding="utf-8")
    return TaskSpec.model_validate(yaml.safe_load(text))


def builtin_spec(stem: str, **update: Any) -> TaskSpec:
    """The spec in ``specs/<stem>.yaml``, with fields replaced by ``update`` (e.g. another name)."""
    spec = _load(stem)
    if not update:
        return spec
    return TaskSpec.model_validate({**spec.model_dump(), **update})


def spec_stems() -> list[str]:
    """Names of the packaged spec files (without ``.yaml``)."""
    folder = resources.files("synthrr.tasks.specs")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
