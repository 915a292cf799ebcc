"""synthrr: retrieval-augmented synthetic data for text classification (SynthesizRR).

Public API (heavy dependencies are imported lazily inside the functions that need them; see
docs/python.md)::

    import synthrr

    run = synthrr.generate(task="imdb", method="synthesizrr", n=100)   # -> SynthesisResult
    run.to_pandas(); run.to_hf()                                      # DataFrame / datasets.Dataset
    synthrr.plan(task="imdb", n=100)                                  # -> Plan (a dry run)
    synthrr.evaluate(run); synthrr.compare([run, other])              # -> RunMetrics / Comparison
    task = synthrr.make_task(rows, labels=[...]); corpus = synthrr.make_corpus(texts)

    from synthrr import RunConfig, get_task, get_corpus, get_retriever
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthrr.api import (
    Comparison,
    SynthesisResult,
    compare,
    evaluate,
    generate,
    get_corpus,
    get_retriever,
    get_task,
    load,
    plan,
)
from synthrr.api import build as build_config
from synthrr.config import RunConfig
from synthrr.errors import ConfigError, SynthrrError
from synthrr.inputs import make_corpus, make_task
from synthrr.records import Example, Hit, Passage
from synthrr.version import __version__

if TYPE_CHECKING:
    from synthrr.stages.evaluate import RunMetrics
    from synthrr.stages.plan import Plan

__all__ = [
    "Comparison",
    "ConfigError",
    "Example",
    "Hit",
    "Passage",
    "Plan",
    "RunConfig",
    "RunMetrics",
    "SynthesisResult",
    "SynthrrError",
    "__version__",
    "build_config",
    "compare",
    "evaluate",
    "generate",
    "get_corpus",
    "get_retriever",
    "get_task",
    "load",
    "make_corpus",
    "make_task",
    "plan",
]


def __getattr__(name: str) -> Any:
    """``synthrr.Plan`` and ``synthrr.RunMetrics``, imported when first used."""
    if name == "Plan":
        from synthrr.stages.plan import Plan

        return Plan
    if name == "RunMetrics":
        from synthrr.stages.evaluate import RunMetrics

        return RunMetrics
    raise AttributeError(f"module 'synthrr' has no attribute {name!r}")
