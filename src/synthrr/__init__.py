"""synthrr: retrieval-augmented synthetic data for text classification (SynthesizRR).

Public API (each name is imported from its module on first use, so ``import synthrr`` stays quick;
heavy engines load only inside the functions that need them; see docs/python.md)::

    import synthrr

    run = synthrr.generate(task="imdb", method="synthesizrr", n=100)   # -> SynthesisResult
    run.to_pandas(); run.to_hf()                                      # DataFrame / datasets.Dataset
    synthrr.plan(task="imdb", n=100)                                  # -> Plan (a dry run)
    synthrr.evaluate(run); synthrr.compare([run, other])              # -> RunMetrics / Comparison
    task = synthrr.make_task(rows, labels=[...]); corpus = synthrr.make_corpus(texts)

    from synthrr import RunConfig, get_task, get_corpus, get_retriever
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synthrr.core import log as _log  # noqa: F401  (installs the handler of the synthrr logger)
from synthrr.version import __version__

if TYPE_CHECKING:
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
    from synthrr.api.inputs import make_corpus, make_task
    from synthrr.config import RunConfig
    from synthrr.core.errors import ConfigError, SynthrrError
    from synthrr.core.records import Example, Hit, Passage
    from synthrr.run.plan import Plan
    from synthrr.stages.evaluate import RunMetrics

#: public name -> "module" or "module:attribute" it comes from (imported when first used)
_EXPORTS: dict[str, str] = {
    "Comparison": "synthrr.api",
    "SynthesisResult": "synthrr.api",
    "compare": "synthrr.api",
    "evaluate": "synthrr.api",
    "generate": "synthrr.api",
    "get_corpus": "synthrr.api",
    "get_retriever": "synthrr.api",
    "get_task": "synthrr.api",
    "load": "synthrr.api",
    "plan": "synthrr.api",
    "build_config": "synthrr.api:build",
    "RunConfig": "synthrr.config",
    "ConfigError": "synthrr.core.errors",
    "SynthrrError": "synthrr.core.errors",
    "make_corpus": "synthrr.api.inputs",
    "make_task": "synthrr.api.inputs",
    "Example": "synthrr.core.records",
    "Hit": "synthrr.core.records",
    "Passage": "synthrr.core.records",
    "RunMetrics": "synthrr.stages.evaluate",
    "Plan": "synthrr.run.plan",
}

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
    """A public name, imported from its module when first used (then kept as a module attribute)."""
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'synthrr' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
