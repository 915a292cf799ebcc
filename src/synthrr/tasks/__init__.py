"""Classification tasks: built-in offline tasks, Hugging Face Hub tasks and custom YAML tasks.

::

    from synthrr.tasks import get_task, list_tasks
    task = get_task("imdb")                  # or "ag_news", or "path/to/task.yaml"
    train = task.load_split("train")         # list[Example]

Built-ins are registered lazily (nothing is imported or read until a task is asked for);
third-party tasks register through the ``synthrr.tasks`` entry-point group, whose value is a
:class:`Task` subclass, a :class:`Task` instance or a zero-argument factory returning one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from synthrr.core.errors import UsageError
from synthrr.core.registry import Registry
from synthrr.tasks.base import LabelSpec, SplitTask, Task, TaskSpec
from synthrr.tasks.custom import load_custom_task

TASKS: Registry[Any] = Registry(
    "task",
    "synthrr.tasks",
    {
        "imdb": "synthrr.tasks.builtin:imdb",
        "rotten_tomatoes": "synthrr.tasks.builtin:rotten_tomatoes",
        "bbc_news": "synthrr.tasks.builtin:bbc_news",
        "ag_news": "synthrr.tasks.hub:ag_news",
        "sst2": "synthrr.tasks.hub:sst2",
        "imdb_hub": "synthrr.tasks.hub:imdb_hub",
    },
)

#: Built-in tasks whose data ships in registry packages (no network needed).
OFFLINE_TASKS = ("imdb", "rotten_tomatoes", "bbc_news")
TASK_FILE_SUFFIXES = (".yaml", ".yml")


def list_tasks() -> list[str]:
    """Names of all registered tasks (built-in, hub and plugins), sorted."""
    return TASKS.names()


def is_task_path(name_or_path: str | os.PathLike[str]) -> bool:
    """True if the argument names a task YAML file rather than a registered task."""
    if isinstance(name_or_path, os.PathLike):
        return True
    s = str(name_or_path)
    return s.lower().endswith(TASK_FILE_SUFFIXES) or "/" in s or "\\" in s


def get_task(name_or_path: str | os.PathLike[str] | Task) -> Task:
    """A task by registered name (``imdb``, ``ag_news``, ...) or by the path of a task YAML (a
    ``str``, a ``Path`` or what :func:`synthrr.make_task` returns).

    Unknown names raise :class:`~synthrr.core.errors.UnknownNameError` listing the known ones; a
    missing or invalid YAML raises :class:`~synthrr.core.errors.InputError` / ``ConfigError``.
    """
    if isinstance(name_or_path, Task):
        return name_or_path
    if is_task_path(name_or_path):
        return load_custom_task(os.fspath(name_or_path))
    obj = TASKS.get(str(name_or_path))
    return _as_task(obj, str(name_or_path))


def _as_task(obj: Any, name: str) -> Task:
    if isinstance(obj, Task):
        return obj
    if callable(obj):  # a Task subclass or a factory
        task = obj()
        if isinstance(task, Task):
            return task
    raise UsageError(f"task '{name}' is registered as {obj!r}, which is not a Task or a factory of one")


def register_task(name: str, factory: Callable[[], Task] | Task) -> None:
    """Register a task in-process (plugins can use the ``synthrr.tasks`` entry-point group instead)."""
    TASKS.register(name)(factory)


__all__ = [
    "OFFLINE_TASKS",
    "TASKS",
    "LabelSpec",
    "SplitTask",
    "Task",
    "TaskSpec",
    "get_task",
    "list_tasks",
    "register_task",
]
