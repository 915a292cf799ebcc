"""Exceptions that reach the user as one readable line.

Every error a user can cause (bad config, bad file, unknown name, missing extra) is a
:class:`SynthrrError`. The CLI prints ``str(err)`` and exits with ``err.exit_code`` (2 for
usage and input errors), never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def _rebuild(cls: type[SynthrrError], message: str, state: dict[str, object]) -> SynthrrError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class SynthrrError(Exception):
    """Base class: a message for the user and a process exit code.

    Picklable whatever a subclass's ``__init__`` takes (type, message and fields travel), so an
    error raised in a worker process reaches the driver as itself.
    """

    exit_code: int = 1

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class UsageError(SynthrrError):
    """Bad configuration, flags or names: the user must change how synthrr is called."""

    exit_code = 2


class InputError(UsageError):
    """A user-supplied file is missing or malformed. Names the file and, when known, the line."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.detail = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ConfigError(UsageError):
    """A config value is invalid. Names the dotted field path."""

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        self.field = field
        self.detail = message
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}config field '{field}': {message}")


class UnknownNameError(UsageError):
    """A task / corpus / retriever / backend name that is not registered. Lists the known ones."""

    def __init__(self, kind: str, name: str, known: Iterable[str], plural: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        kinds = plural or f"{kind}s"
        super().__init__(f"unknown {kind} '{name}'; known {kinds}: {', '.join(self.known) or '(none)'}")


class MissingExtraError(UsageError):
    """An optional dependency is not installed. Names the extra to install."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"{what} needs the optional dependency '{module}', which is not installed; "
            f"install it with: pip install 'synthrr[{extra}]'"
        )


class DataUnavailableError(UsageError):
    """A dataset or model that must be fetched from a hub is not reachable (e.g. offline)."""


class BackendError(SynthrrError):
    """An LLM backend failed. ``transient`` errors may be retried; permanent ones are not."""

    def __init__(self, backend: str, message: str, *, transient: bool = False, config: bool = False) -> None:
        self.backend = backend
        self.transient = transient
        self.exit_code = 2 if config else 1
        super().__init__(f"LLM backend '{backend}': {message}")


class BudgetExceededError(SynthrrError):
    """A run stopped cleanly because the next request would exceed the configured budget."""

    exit_code = 3
