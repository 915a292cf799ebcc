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
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthrr.core.errors import parse_options

if TYPE_CHECKING:
    from synthrr.config import SamplingConfig

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class BackendOptions(BaseModel):
    """Base for each backend's options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(slots=True, frozen=True)
class Sampling:
    """Decoding parameters for one request (see :class:`synthrr.config.SamplingConfig`).

    Completion ``j`` of a request (``0 <= j < n``) is sampled with seed ``seed + j``, so asking for
    samples ``[s, s + k)`` of a prompt is the same as asking for ``n=k`` with ``seed=seed + s``.
    The client relies on this to cache every sample separately and to fetch only missing ones.

    ``logprobs`` asks for each completion's mean token log-probability (:attr:`Completion.logprob`);
    methods set it, not the user's config, and it enters the cache key only when true.
    """

    temperature: float = 0.95
    top_p: float = 0.9
    max_tokens: int = 128
    stop: tuple[str, ...] = ()
    seed: int = 0
    n: int = 1
    logprobs: bool = False

    @classmethod
    def from_config(cls, cfg: SamplingConfig, default_max_tokens: int = 128) -> Sampling:
        """From the run config; ``max_tokens`` falls back to ``default_max_tokens`` (the task's)."""
        return cls(
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens or default_max_tokens,
            stop=tuple(cfg.stop),
            seed=cfg.seed,
            n=cfg.n,
        )

    def key_params(self) -> dict[str, Any]:
        """The parameters that identify a sample in the cache (everything except ``n``).
        ``logprobs`` appears only when true, so keys of requests without it never change."""
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": list(self.stop),
            "seed": self.seed,
        }
        if self.logprobs:
            params["logprobs"] = True
        return params


@dataclass(slots=True, frozen=True)
class LLMRequest:
    """One prompt: chat ``messages`` or a raw completion ``text`` (exactly one of them).

    ``group`` is a scheduling hint, not part of the prompt or its cache key: requests of one group
    share a prompt prefix (e.g. the same demonstrations), so they are sent back to back and, where
    the engine has slots, to the one slot whose KV cache holds that prefix.
    """

    messages: tuple[Message, ...] | None = None
    text: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.text is None):
            raise ValueError("LLMRequest needs exactly one of messages or text")

    @property
    def form(self) -> Literal["chat", "completion"]:
        return "chat" if self.messages is not None else "completion"

    def prompt_payload(self) -> dict[str, Any]:
        """The prompt as plain JSON: ``{"messages": [...]}`` or ``{"text": "..."}``."""
        if self.messages is not None:
            return {"messages": [dict(m) for m in self.messages]}
        return {"text": self.text}

    @classmethod
    def chat(cls, *messages: Message | str, sampling: Sampling | None = None) -> LLMRequest:
        """Convenience: plain strings become ``user`` messages."""
        msgs = tuple({"role": "user", "content": m} if isinstance(m, str) else dict(m) for m in messages)
        return cls(messages=msgs, sampling=sampling or Sampling())

    @classmethod
    def completion(cls, text: str, sampling: Sampling | None = None) -> LLMRequest:
        return cls(text=text, sampling=sampling or Sampling())


FinishReason = Literal["stop", "length", "error"]


@dataclass(slots=True, frozen=True)
class Completion:
    """One sampled completion.

    ``logprob`` is the mean natural-log probability per generated token of the sampled tokens under
    the model's own distribution (before temperature or top-p); ``None`` unless the request asked
    for it (``Sampling.logprobs``) and the engine reported it.
    """

    text: str
    finish_reason: FinishReason
    completion_tokens: int
    logprob: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON fields (the cache's and the executors' shard files); ``logprob`` only when set,
        so what was written before log-probabilities existed is unchanged."""
        d: dict[str, Any] = {"text": self.text, "finish_reason": self.finish_reason}
        d["completion_tokens"] = self.completion_tokens
        if self.logprob is not None:
            d["logprob"] = self.logprob
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Completion:
        """From :meth:`to_dict`'s fields (other keys ignored; a missing ``logprob`` is ``None``)."""
        lp = d.get("logprob")
        return cls(d["text"], d["finish_reason"], d["completion_tokens"], None if lp is None else float(lp))


@dataclass(slots=True, frozen=True)
class LLMResponse:
    """The answer to one :class:`LLMRequest`: ``n`` completions plus usage.

    ``prompt_tokens`` is the prompt's length in tokens as the model saw it (chat template
    included); ``cached`` is true when every completion came from the cache; ``seconds`` is the
    engine time spent on this response (0 for cached ones).
    """

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
    logprobs: bool = Field(False, description="can report a completion's mean token log-probability")


class LLMBackend(ABC):
    """One LLM engine. Construct with validated options; call :meth:`generate` with a batch."""

    name: ClassVar[str]
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: the option that ``llm.model`` sets: the model file, folder, hub id or server-side name
    model_option: ClassVar[str] = "model"

    def __init__(self, options: BackendOptions) -> None:
        self.options = options

    @classmethod
    def from_options(cls, options: dict[str, Any] | None = None) -> LLMBackend:
        """Validate a plain dict of options (raising a ConfigError naming the field) and construct."""
        return cls(parse_options(cls.Options, options or {}, prefix="llm.options.", owner=f"backend '{cls.name}'"))

    @abstractmethod
    def model_identity(self) -> str:
        """A stable identity of the model for cache keys: a content hash for local files,
        the served model name (and base URL) for servers. Never contains secrets."""

    def model_label(self) -> str:
        """A short human-readable model name for ``synthrr cache stats`` and reports."""
        return self.model_identity()

    @abstractmethod
    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        """Answer a batch. Yields ``(index_in_batch, response)`` as each finishes (any order).

        Each response holds ``request.sampling.n`` completions, completion ``j`` sampled with seed
        ``sampling.seed + j`` where the engine supports seeds. ``prompt_tokens`` is the length of
        the prompt as the model saw it. Failures raise :class:`synthrr.core.errors.BackendError`
        (``config=True`` for problems the user must fix); transient faults are retried inside the
        backend, never by the caller. If the caller stops iterating, pending work is cancelled.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
