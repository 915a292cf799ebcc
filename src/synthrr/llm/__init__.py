"""LLM layer: backends registered by name, one cache, one accounting path.

Built-in backends are imported lazily; third-party ones register through the
``synthrr.llm_backends`` entry-point group. Every call goes through :class:`LLMClient`
(cache + budget + accounting); build one from a config with :func:`make_client`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synthrr.core.registry import Registry
from synthrr.llm.base import (
    BackendOptions,
    Capabilities,
    Completion,
    LLMBackend,
    LLMRequest,
    LLMResponse,
    Sampling,
)

if TYPE_CHECKING:
    from synthrr.llm.cache.store import LLMCache
    from synthrr.llm.client import LLMClient, make_client
    from synthrr.llm.stats import Stats

BACKENDS: Registry[type[LLMBackend]] = Registry(
    "LLM backend",
    "synthrr.llm_backends",
    {
        "llamacpp": "synthrr.llm.backends.llamacpp:LlamaCppBackend",
        "transformers": "synthrr.llm.backends.transformers:TransformersBackend",
        "openai": "synthrr.llm.backends.openai.backend:OpenAIBackend",
        "fake": "synthrr.llm.backends.fake:FakeLLM",
    },
)

_LAZY = {
    "LLMClient": "synthrr.llm.client",
    "make_client": "synthrr.llm.client",
    "LLMCache": "synthrr.llm.cache.store",
    "Stats": "synthrr.llm.stats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synthrr.llm' has no attribute {name!r}")

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BACKENDS",
    "BackendOptions",
    "Capabilities",
    "Completion",
    "LLMBackend",
    "LLMCache",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "Sampling",
    "Stats",
    "make_client",
]
