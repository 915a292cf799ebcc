"""Values for the run config from outside: ``--set KEY=VALUE`` items, dotted overrides applied to a
config's dict, ``${NAME}`` in path settings, and the explicit ``null``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from synthrr.core.errors import ConfigError, did_you_mean
from synthrr.core.redact import expand_env


class _Null:
    """``--set KEY=null``: set the field to ``None`` (its default meaning), unlike a ``None``
    override, which means "not given" and leaves the field as it is."""

    def __repr__(self) -> str:
        return "null"


#: the value ``parse_set_option`` gives for ``KEY=null`` (or ``~``)
NULL: Any = _Null()


def expand_path_env(value: Any) -> Any:
    """A path setting with each ``${NAME}`` replaced by the environment variable NAME; an unset
    one is a ``ValueError`` naming it (never a folder literally named ``${NAME}``)."""
    if not isinstance(value, str | Path) or "${" not in str(value):
        return value
    try:
        return expand_env(str(value), "path")
    except ValueError as e:
        raise ValueError(f"{str(e).split(': ', 1)[1]}; set it or write the path out") from None


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """``data`` (a config's nested dict) with dotted-key ``overrides`` set in place; ``None`` values are
    skipped, :data:`NULL` sets ``None``, an empty string or a key below a non-section is a
    :class:`ConfigError` naming the key."""
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            raise ConfigError(key, f"empty value; give one (e.g. {key}=VALUE) or null for its default", source=source)
        node = data
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                head = ".".join(parts[:i])
                sections = [f"{head}.{k}" if head else k for k, v in node.items() if isinstance(v, dict)]
                hint = did_you_mean(".".join(parts[: i + 1]), sections)
                raise ConfigError(key, f"'{part}' is not a config section{hint}", source=source)
            node = child
        node[parts[-1]] = None if value is NULL else value
    return data


def parse_set_option(item: str) -> tuple[str, Any]:
    """Parse ``key=value`` from ``--set``; the value is read as YAML (numbers, lists, booleans).
    An empty value is an error naming the key (it would otherwise drop an explicit flag);
    ``key=null`` is :data:`NULL`: the field set to ``None``."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(item, "expected KEY=VALUE, e.g. retrieval.k=20")
    key = key.strip()
    if not raw.strip():
        raise ConfigError(
            key, f"empty value in --set {item!r}; give one (e.g. {key}=VALUE) or {key}=null for its default"
        )
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key, NULL if value is None else value
