"""Exceptions that reach the user as one readable line.

Every error a user can cause (bad config, bad file, unknown name, missing extra) is a
:class:`SynthrrError`. The CLI prints ``str(err)`` and exits with ``err.exit_code`` (2 for
usage and input errors), never a traceback.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    M = TypeVar("M", bound=BaseModel)


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


def close_matches(name: str, known: Iterable[str], aliases: dict[str, str] | None = None) -> list[str]:
    """The known names that ``name`` is probably a typo of (``imbd`` -> ``imdb``), best first;
    ``aliases`` maps words other tools use to ours (``topk`` -> ``k``)."""
    choices = list(known)
    alias = (aliases or {}).get(name.lower())
    found = [alias] if alias in choices else []
    folded = {c.lower(): c for c in choices}
    found += [folded[m] for m in difflib.get_close_matches(name.lower(), list(folded), n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))


#: column names that usually hold the text, in order of preference (for the fix a missing text column's error
#: suggests, and the column `tasks new` takes when --text-column is not given)
TEXT_COLUMNS = (
    "text", "body", "content", "message", "sentence", "review", "document", "passage", "utterance", "comment",
)  # fmt: skip


def guess_column(wanted: str, found: Iterable[str], usual: Iterable[str] = TEXT_COLUMNS) -> str | None:
    """The column of ``found`` a user most likely meant instead of the missing ``wanted``: a close
    spelling, else the first with a ``usual`` name; ``None`` when nothing stands out."""
    columns = list(found)
    likely = close_matches(wanted, columns) + [c for c in columns if c.lower() in set(usual)]
    return likely[0] if likely else None


def suggestion(matches: list[str]) -> str:
    """``" (did you mean 'a' or 'b'?)"``, or ``""`` when there is nothing to suggest."""
    return " (did you mean " + " or ".join(f"'{m}'" for m in matches) + "?)" if matches else ""


def did_you_mean(name: str, known: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """``" (did you mean 'imdb'?)"`` for a probable typo of a known name, else ``""``."""
    return suggestion(close_matches(name, known, aliases))


class UnknownNameError(UsageError):
    """A task / corpus / retriever / backend name that is not registered. Suggests the closest
    known names (``did you mean 'imdb'?``) and lists them all."""

    def __init__(self, kind: str, name: str, known: Iterable[str], plural: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        kinds = plural or f"{kind}s"
        hint = did_you_mean(name, self.known)
        super().__init__(f"unknown {kind} '{name}'{hint}; known {kinds}: {', '.join(self.known) or '(none)'}")


class MissingExtraError(UsageError):
    """An optional dependency is not installed. Names the extra to install."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"{what} needs the optional dependency '{module}', which is not installed; "
            f"install it with: pip install 'synthrr[{extra}]'"
        )


def config_error(
    err: ValidationError,
    *,
    prefix: str = "",
    source: str | None = None,
    unknown: str = "unknown key",
    note: str = "",
    show_input: bool = True,
    model: type[BaseModel] | None = None,
) -> ConfigError:
    """One :class:`ConfigError` from a pydantic ``ValidationError``: the first error's dotted field
    (after ``prefix``), a plain message (``unknown`` for a key the model does not have, with the
    closest keys of ``model`` when given), the value given (unless ``show_input`` is off: backend
    options may hold secrets), how many more errors there are, and ``note`` (e.g. the known options)."""
    first = err.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    loc = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "(top level)")
    if first["type"] == "extra_forbidden":
        msg = unknown + (_key_hint(model, first["loc"], prefix) if model is not None else "")
    elif first["type"] == "missing":
        msg = "required field is missing"
    else:
        msg = first["msg"].removeprefix("Value error, ")
        if show_input and "input" in first and not isinstance(first["input"], dict | list):
            msg += f" (got {first['input']!r})"
    more = len(err.errors()) - 1
    if more:
        msg += f" (and {more} more error{'s' if more > 1 else ''})"
    if note:
        msg += f" ({note})"
    return ConfigError(loc, msg, source=source)


#: words other tools use for a config key, mapped to ours (for "did you mean")
KEY_ALIASES = {"topk": "k", "top_k": "k", "top-k": "k", "num_seeds": "per_label", "seeds_per_label": "per_label"}


def _key_hint(model: type[BaseModel], loc: tuple[int | str, ...], prefix: str) -> str:
    """``" (did you mean 'retrieval.k'?)"`` for an unknown key at ``loc`` of ``model`` (nested
    sections followed), or ``""``."""
    section: type[BaseModel] = model
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        sub = field.annotation if field is not None else None
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            return ""
        section = sub
    head = prefix + "".join(f"{p}." for p in loc[:-1])
    matches = close_matches(str(loc[-1]), section.model_fields, KEY_ALIASES)
    return suggestion([head + m for m in matches])


def require(what: str, extra: str, *modules: str) -> Any:
    """Import ``modules`` (dotted names) for ``what``; the first one missing raises a
    :class:`MissingExtraError` naming ``extra``. Returns the module, or a tuple of them."""
    loaded = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as e:
            raise MissingExtraError(what, extra, e.name or name) from None
    return loaded[0] if len(loaded) == 1 else tuple(loaded)


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


def parse_options(
    model: type[M],
    options: dict[str, Any],
    *,
    prefix: str,
    owner: str,
    list_known: bool = False,
    show_input: bool = False,
) -> M:
    """A plugin's options (an LLM backend's, a retriever's, a student's, a method's) validated by
    its ``model``; else the :class:`ConfigError` naming the option under ``prefix``, with ``owner``
    (e.g. "retriever 'dense'") and, with ``list_known``, the options it has. Values are not shown
    unless ``show_input`` (options may hold secrets)."""
    try:
        return model.model_validate(options)
    except ValidationError as e:
        note = f"{owner} options: {', '.join(model.model_fields) or 'none'}" if list_known else owner
        raise config_error(
            e, prefix=prefix, unknown="unknown option", show_input=show_input, note=note, model=model
        ) from None
