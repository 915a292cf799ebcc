"""A deterministic, scriptable LLM for tests and offline runs (``--llm fake``).

Answers come from, in order: a ``respond`` callable given to the constructor, the ``responses``
option (exact prompt -> text, where the prompt is the completion text or the last message's
content), or the ``default`` template. The default template, ``{rewrite}``, answers with words of
the prompt itself (:func:`rewrite`): a reshuffled draw of its demonstrations' words, so with the
default settings a plumbing check's answers pass every filter, the label verifier included (the
demonstrations are examples of the requested label) and the run meets its quota. Every request is
appended to ``history``; ``calls`` counts generated completions. Token counts use
:func:`synthrr.core.text.count_tokens`. A request with ``Sampling.logprobs`` gets :func:`fake_logprob`
of each text: a pseudo log-probability for tests.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from pydantic import Field

from synthrr.core.errors import BackendError
from synthrr.core.text import count_tokens, stable_hash
from synthrr.llm.base import BackendOptions, Capabilities, Completion, LLMBackend, LLMRequest, LLMResponse

Responder = Callable[[LLMRequest, int], str]


class FakeOptions(BackendOptions):
    model: str = Field("fake", description="model identity reported to the cache")
    responses: dict[str, str] = Field(default_factory=dict, description="exact prompt -> answer")
    default: str = Field(
        "{rewrite}",
        description="answer for other prompts; {rewrite} (the prompt's demonstrations' words, reshuffled per "
        "sample), {prompt} (first 60 chars), {n} (sample index), {h} (hash)",
    )
    delay: float = Field(0.0, ge=0, le=60, description="seconds to sleep per completion")
    n_ctx: int = Field(100_000, ge=1, description="prompts longer than this many tokens are rejected")
    call_log: str | None = Field(
        None, description="file that gets one line (the prompt's hash) per answered request: engine calls, counted"
    )


class FakeLLM(LLMBackend):
    name = "fake"
    Options = FakeOptions
    capabilities = Capabilities(chat=True, completion=True, native_n=False, concurrent=False, logprobs=True)
    options: FakeOptions

    def __init__(self, options: FakeOptions | None = None, *, respond: Responder | None = None) -> None:
        super().__init__(options or FakeOptions())
        self.respond = respond
        self.history: list[LLMRequest] = []
        self.calls = 0
        self._lock = threading.Lock()

    def model_identity(self) -> str:
        return f"fake:{self.options.model}"

    @staticmethod
    def prompt_of(request: LLMRequest) -> str:
        """The text a response is looked up by: the completion text or the last message's content."""
        if request.messages is not None:
            return request.messages[-1].get("content", "") if request.messages else ""
        return request.text or ""

    def _answer(self, request: LLMRequest, sample: int) -> str:
        if self.respond is not None:
            return self.respond(request, sample)
        prompt = self.prompt_of(request)
        if prompt in self.options.responses:
            return self.options.responses[prompt]
        seed = request.sampling.seed + sample
        template = self.options.default
        return template.format(
            prompt=prompt[:60],
            n=seed,
            h=stable_hash(prompt, str(seed), size=4),
            rewrite=rewrite(request, seed) if "{rewrite}" in template else "",
        )

    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        for i, req in enumerate(requests):
            prompt_tokens = count_tokens(_full_text(req))
            if prompt_tokens > self.options.n_ctx:
                raise BackendError(
                    self.name,
                    f"prompt of {prompt_tokens} tokens exceeds the context of {self.options.n_ctx} tokens",
                    config=True,
                )
            t0 = time.perf_counter()
            completions = []
            for j in range(req.sampling.n):
                if self.options.delay:
                    time.sleep(self.options.delay)
                text = self._answer(req, j)
                tokens = text.split()
                finish: Literal["stop", "length"] = "length" if len(tokens) > req.sampling.max_tokens else "stop"
                text = " ".join(tokens[: req.sampling.max_tokens]) if finish == "length" else text
                for stop in req.sampling.stop:
                    if stop and stop in text:
                        text, finish = text[: text.index(stop)], "stop"
                logprob = fake_logprob(text) if req.sampling.logprobs else None
                completions.append(Completion(text, finish, count_tokens(text), logprob))
            with self._lock:
                self.history.append(req)
                self.calls += req.sampling.n
                if self.options.call_log:
                    with open(self.options.call_log, "a", encoding="utf-8") as log:
                        log.write(stable_hash(_full_text(req), str(req.sampling.seed), size=8) + "\n")
            yield i, LLMResponse(tuple(completions), prompt_tokens=prompt_tokens, seconds=time.perf_counter() - t0)


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def rewrite(request: LLMRequest, seed: int) -> str:
    """A made-up answer from the prompt's own words, the same for the same prompt and ``seed``.

    Words come from the demonstrations' answers (the assistant turns of a chat prompt: examples of
    the requested label), else from the last turn or the completion text. The answer is a draw of
    them as long as an average demonstration (8 to 60 words), in an order of its own: it shares the
    label's vocabulary (the verifier agrees) but not its word sequences (the copy filters and dedup
    keep it)."""
    demos = [m.get("content", "") for m in request.messages or () if m.get("role") == "assistant"]
    sources = demos or [FakeLLM.prompt_of(request)]
    pool = [w for text in sources for w in _WORD.findall(text)]
    if not pool:
        return f"answer {seed}"
    size = max(8, min(60, len(pool) // len(sources)))
    rng = random.Random(stable_hash(_full_text(request), str(seed)))
    picked = rng.sample(pool, size) if size <= len(pool) else rng.choices(pool, k=size)
    text = " ".join(picked)
    return f"{text[:1].upper()}{text[1:]}."


def fake_logprob(text: str) -> float:
    """A deterministic pseudo mean log-probability of ``text``, in [-4, -0.5] (from its hash)."""
    unit = int(stable_hash(text, size=4), 16) / 0xFFFFFFFF
    return -4.0 + 3.5 * unit


def _full_text(request: LLMRequest) -> str:
    if request.messages is None:
        return request.text or ""
    return "\n".join(m.get("content", "") for m in request.messages)
