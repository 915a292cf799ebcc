"""The LLM backend protocol.

A backend is a small plugin class: a registered ``name``, capability flags, a pydantic
``Options`` model (unknown options rejected) and one batched method, :meth:`LLMBackend.generate`.
Everything else (the content-addressed cache, accounting, budget, progress, retries of whole
requests) lives outside backends in :mod:`synthrr.llm.client`, so a new backend is one file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class BackendOptions(BaseModel):
    """Base for each backend's options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(slots=True, frozen=True)
class Sampling:
    """Decoding parameters for one request (see :class:`synthrr.config.SamplingConfig`)."""

    temperature: float = 0.95
    top_p: float = 0.9
    max_tokens: int = 128
    stop: tuple[str, ...] = ()
    seed: int = 0
    n: int = 1


@dataclass(slots=True, frozen=True)
class LLMRequest:
    """One prompt: chat ``messages`` or a raw completion ``text`` (exactly one of them)."""

    messages: tuple[Message, ...] | None = None
    text: str | None = None
    sampling: Sampling = field(default_factory=Sampling)

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.text is None):
            raise ValueError("LLMRequest needs exactly one of messages or text")

    @property
    def form(self) -> Literal["chat", "completion"]:
        return "chat" if self.messages is not None else "completion"


FinishReason = Literal["stop", "length", "error"]


@dataclass(slots=True, frozen=True)
class Completion:
    """One sampled completion."""

    text: str
    finish_reason: FinishReason
    completion_tokens: int


@dataclass(slots=True, frozen=True)
class LLMResponse:
    """The answer to one :class:`LLMRequest`: ``n`` completions plus usage."""

    completions: tuple[Completion, ...]
    prompt_tokens: int
    cached: bool = False
    seconds: float = 0.0

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.completions)


class Capabilities(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat: bool = True
    completion: bool = True
    native_n: bool = Field(False, description="samples n completions in one call")
    concurrent: bool = Field(False, description="benefits from several requests in flight")


class LLMBackend(ABC):
    """One LLM engine. Construct with validated options; call :meth:`generate` with a batch."""

    name: ClassVar[str]
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, options: BackendOptions) -> None:
        self.options = options

    @classmethod
    def from_options(cls, options: dict[str, Any] | None = None) -> LLMBackend:
        """Validate a plain dict of options (raising a ConfigError naming the field) and construct."""
        from pydantic import ValidationError

        from synthrr.errors import ConfigError

        try:
            opts = cls.Options.model_validate(options or {})
        except ValidationError as e:
            first = e.errors()[0]
            loc = "llm.options." + ".".join(str(x) for x in first["loc"])
            msg = "unknown option" if first["type"] == "extra_forbidden" else first["msg"]
            raise ConfigError(loc, f"{msg} (backend '{cls.name}')") from None
        return cls(opts)

    @abstractmethod
    def model_identity(self) -> str:
        """A stable identity of the model for cache keys: a content hash for local files,
        the served model name (and base URL) for servers. Never contains secrets."""

    @abstractmethod
    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        """Answer a batch. Yields ``(index_in_batch, response)`` as each finishes (any order)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
