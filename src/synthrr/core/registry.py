"""Name -> implementation registries for the pluggable concerns.

Built-ins are listed as lazy ``"module:attr"`` strings, so importing synthrr never imports
torch, faiss or an LLM engine. Third-party plugins register through the entry-point group of
the registry (e.g. ``synthrr.retrievers``); the same lookup serves both.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from synthrr.core.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A registry of implementations of one concern, looked up by name."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.group = group
        self._lazy: dict[str, str] = dict(builtins or {})
        self._loaded: dict[str, T] = {}
        self._scanned = False

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@RETRIEVERS.register("mine")`` on a class."""

        def deco(obj: T) -> T:
            self._loaded[name] = obj
            return obj

        return deco

    def _scan_entry_points(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for ep in entry_points(group=self.group):
            self._lazy.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._scan_entry_points()
        return sorted(set(self._lazy) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        if name in self._loaded:
            return self._loaded[name]
        self._scan_entry_points()
        target = self._lazy.get(name)
        if target is None:
            raise UnknownNameError(self.kind, name, self.names())
        module, _, attr = target.partition(":")
        obj: T = getattr(importlib.import_module(module), attr)
        self._loaded[name] = obj
        return obj
