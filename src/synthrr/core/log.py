"""One voice for what synthrr tells you while it works: the ``synthrr`` logger, one progress switch.

* :data:`logger` is the one logger; modules log through ``logging.getLogger(__name__)``, children
  of ``synthrr`` that propagate to it. Warnings (``logger.warning``) are always shown, one line each.
* One process-wide switch says whether progress is shown: :func:`progress_enabled`, set for a block
  by :func:`progress_switch` (``progress=False`` in Python and ``-q/--quiet`` on the command line
  enter it once, at the entry point). Off, it also silences the bars that ``datasets``,
  ``transformers`` and ``huggingface_hub`` draw (:func:`quiet`).
* :func:`progress` is the one way to draw a bar (tqdm, with rate and ETA) and :func:`step` the one
  way to print a step line (INFO on the ``synthrr.progress`` logger); both follow the switch.
* The handler installed on the ``synthrr`` logger writes the bare message to the stderr current at
  that moment (so captured streams capture it), like Python's last-resort handler: only when no
  handler of the application would take the record. The command line owns its stderr
  (:func:`command_voice`): every record is written there, warnings as ``warning: ...``.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from importlib.util import find_spec
from types import TracebackType
from typing import Any, Protocol, Self, cast

#: the one logger of the library (its modules log through children named after them)
logger = logging.getLogger("synthrr")
#: the step lines, at INFO (the only records below WARNING shown without configuring logging)
step_logger = logging.getLogger("synthrr.progress")

_switch = {"on": True}
_switch_lock = threading.Lock()


def progress_enabled() -> bool:
    """Whether bars and step lines are shown (process-wide; on unless switched off)."""
    return _switch["on"]


def set_progress(enabled: bool) -> bool:
    """Switch progress on or off for the rest of the process (a worker's, say); returns the old state.
    Prefer :func:`progress_switch`, which restores it."""
    with _switch_lock:
        was, _switch["on"] = _switch["on"], enabled
    return was


@contextmanager
def progress_switch(enabled: bool) -> Iterator[None]:
    """Within the block progress is ``enabled``; off, the bars of ``datasets``, ``transformers`` and
    ``huggingface_hub`` are off too. The previous state comes back afterwards."""
    was = set_progress(enabled)
    try:
        with quiet(not enabled):
            yield
    finally:
        set_progress(was)


class Bar(Protocol):
    """What call sites use of a bar: tqdm's, or the silent stand-in when progress is off."""

    def update(self, n: float = 1) -> Any: ...

    def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **kwargs: Any) -> None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class _Silent:
    """A bar that draws nothing: iterates its iterable and ignores updates."""

    def __init__(self, iterable: Iterable[Any] | None) -> None:
        self._iterable = iterable if iterable is not None else ()

    def update(self, n: float = 1) -> None:
        return None

    def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **kwargs: Any) -> None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterable)


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: float | None = None,
    desc: str | None = None,
    unit: str = "it",
    **options: Any,
) -> Bar:
    """A tqdm bar on stderr (rate and ETA) when progress is on, else a silent stand-in with the same
    methods; ``options`` go to tqdm (``initial``, ``unit_scale``, ``mininterval``, ...)."""
    if not progress_enabled():
        return _Silent(iterable)
    from tqdm.auto import tqdm

    return cast(Bar, tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, **options))


def step(message: str, *args: object) -> None:
    """One step line (INFO on ``synthrr.progress``), shown only while progress is on."""
    if progress_enabled():
        step_logger.info(message, *args)


class _Voice(logging.Handler):
    """The records of the ``synthrr`` logger as bare lines on the current stderr."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.command = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.command and _heard_elsewhere(record, self):
            return
        try:
            text = record.getMessage()
            if self.command and record.levelno >= logging.WARNING:
                text = f"{record.levelname.lower()}: {text}"
            stream = sys.stderr
            stream.write(text + "\n")
            stream.flush()
        except Exception:  # a logging handler must not raise
            self.handleError(record)


def _heard_elsewhere(record: logging.LogRecord, me: logging.Handler) -> bool:
    """Whether a handler other than ``me`` takes ``record`` on its way up (the application's own)."""
    node: logging.Logger | None = logging.getLogger(record.name)
    while node is not None:
        if any(h is not me and record.levelno >= h.level for h in node.handlers):
            return True
        node = node.parent if node.propagate else None
    return False


def _install() -> _Voice:
    for h in logger.handlers:
        if isinstance(h, _Voice):
            return h
    voice = _Voice()
    logger.addHandler(voice)
    if step_logger.level == logging.NOTSET:
        step_logger.setLevel(logging.INFO)  # other synthrr loggers keep the root's level (WARNING)
    return voice


_VOICE = _install()


def command_voice() -> Callable[[], None]:
    """The command line speaks: every record on stderr, warnings as ``warning: ...``; returns the undo."""
    _VOICE.command = True

    def undo() -> None:
        _VOICE.command = False

    return undo


@contextmanager
def _switched_off(is_on: Callable[[], bool], off: Callable[[], None], on: Callable[[], None]) -> Iterator[None]:
    """A library's bars off within the block, back on afterwards if they were on before."""
    was = is_on()
    off()
    try:
        yield
    finally:
        if was:
            on()


def _datasets_bars() -> AbstractContextManager[None]:
    import datasets

    return _switched_off(
        datasets.is_progress_bar_enabled, datasets.disable_progress_bars, datasets.enable_progress_bars
    )


def _transformers_bars() -> AbstractContextManager[None]:
    from transformers.utils import logging as hf_logging

    return _switched_off(
        hf_logging.is_progress_bar_enabled, hf_logging.disable_progress_bar, hf_logging.enable_progress_bar
    )


def _hub_bars() -> AbstractContextManager[None]:
    hub = importlib.import_module("huggingface_hub.utils")  # (its switches are not re-exported for mypy)
    return _switched_off(
        lambda: not hub.are_progress_bars_disabled(), hub.disable_progress_bars, hub.enable_progress_bars
    )


#: module that draws bars -> the switch that silences them; a module is only switched when it is
#: already imported (or installed and ``load`` is set), so a quiet block never imports torch
_LIBRARIES: dict[str, Callable[[], AbstractContextManager[None]]] = {
    "datasets": _datasets_bars,
    "transformers": _transformers_bars,
    "huggingface_hub": _hub_bars,
}


def quiet(enabled: bool = True, *, load: bool = False) -> AbstractContextManager[None]:
    """Within the block, the progress bars of ``datasets``, ``transformers`` and ``huggingface_hub``
    are off (``enabled=False``: a no-op, so ``with quiet(not progress):`` reads naturally).

    Only libraries already imported are switched, unless ``load`` (then every installed one is):
    call it after importing the library whose bars you mean to silence."""
    return _quiet(enabled, load)


@contextmanager
def _quiet(enabled: bool, load: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    with ExitStack() as stack:
        for module, switch in _LIBRARIES.items():
            if module in sys.modules or (load and _installed(module)):
                stack.enter_context(switch())
        yield


def _installed(module: str) -> bool:
    return find_spec(module) is not None


__all__ = [
    "Bar",
    "command_voice",
    "logger",
    "progress",
    "progress_enabled",
    "progress_switch",
    "quiet",
    "set_progress",
    "step",
]
