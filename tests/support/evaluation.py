"""Evaluation settings for tests, in the keyword form the tests read best."""

from __future__ import annotations

from typing import Any

from synthrr.config import RunConfig


def eval_settings(**settings: Any) -> RunConfig:
    """A :class:`RunConfig` with these ``eval`` settings (``student="tfidf"`` for one student,
    ``student=None`` for none), validated like a config file."""
    if "student" in settings:
        one = settings.pop("student")
        settings["students"] = [] if one is None else [one]
    return RunConfig.from_dict({"eval": settings}, source="evaluation settings")
