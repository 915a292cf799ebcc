"""LLM layer: backends registered by name, one cache, one accounting path.

Built-in backends are imported lazily; third-party ones register through the
``synthrr.llm_backends`` entry-point group.
"""

from __future__ import annotations

from synthrr.llm.base import Completion, LLMBackend, LLMRequest, LLMResponse, Sampling
from synthrr.registry import Registry

BACKENDS: Registry[type[LLMBackend]] = Registry(
    "LLM backend",
    "synthrr.llm_backends",
    {
        "llamacpp": "synthrr.llm.llamacpp:LlamaCppBackend",
        "transformers": "synthrr.llm.hf:TransformersBackend",
        "openai": "synthrr.llm.openai_backend:OpenAIBackend",
        "fake": "synthrr.llm.fake:FakeLLM",
    },
)

__all__ = ["BACKENDS", "Completion", "LLMBackend", "LLMRequest", "LLMResponse", "Sampling"]
