"""One switch for progress output: ``progress=False`` in Python, ``--quiet`` on the command line.

synthrr's own bars and step lines follow the ``progress`` argument of each stage. Libraries draw
bars of their own (``datasets`` when a table is converted or cast, ``transformers`` and
``huggingface_hub`` when a model loads); :func:`quiet` switches those off for the length of a
block and restores them afterwards, and :func:`honours_progress` applies it to a function called
with ``progress=False``. Warnings are not progress: they are still shown (one line each, through
the ``synthrr`` logger).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from importlib.util import find_spec
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


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


def honours_progress(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function that takes ``progress``: called with ``progress=False``, library bars
    are off while it runs (its own bars already follow the argument)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with quiet(kwargs.get("progress", True) is False):
            return func(*args, **kwargs)

    return wrapper
