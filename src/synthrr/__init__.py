"""synthrr: retrieval-augmented synthetic data for text classification (SynthesizRR).

Public API (heavy dependencies are imported lazily inside the functions that need them)::

    from synthrr import RunConfig, get_task, get_corpus, get_retriever
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from synthrr.config import RunConfig
from synthrr.errors import SynthrrError
from synthrr.records import Example, Hit, Passage

try:
    __version__ = version("synthrr")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "Example",
    "Hit",
    "Passage",
    "RunConfig",
    "SynthrrError",
    "__version__",
    "get_corpus",
    "get_retriever",
    "get_task",
]


def get_task(name: str) -> Any:
    """A task by built-in name or custom task YAML path (see :mod:`synthrr.tasks`)."""
    from synthrr.tasks import get_task as _get

    return _get(name)


def get_corpus(name: str, **kwargs: Any) -> Any:
    """An ingested corpus by built-in name or path (see :mod:`synthrr.corpus`)."""
    from synthrr.corpus import get_corpus as _get

    return _get(name, **kwargs)


def get_retriever(name: str, **options: Any) -> Any:
    """A retriever by registered name (see :mod:`synthrr.retrieval`)."""
    from synthrr.retrieval import get_retriever as _get

    return _get(name, **options)
