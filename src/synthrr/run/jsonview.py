"""Typed results that also read as their JSON form.

A stage returns a dataclass (fields a reader can see and type-check) that is at the same time a
read-only mapping of the JSON it writes, so ``result["students"]["tfidf"]`` works as on the file
and code written against the file keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any


class JsonView(Mapping[str, Any]):
    """Mixin for dataclasses: a read-only mapping of :meth:`to_dict` (nested dataclasses as dicts)."""

    def to_dict(self) -> dict[str, Any]:
        assert is_dataclass(self)
        return asdict(self)

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return _plain(getattr(self, key))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> tuple[str, ...]:
        assert is_dataclass(self)
        return tuple(f.name for f in fields(self))


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
