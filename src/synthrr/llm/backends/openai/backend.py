"""The ``openai`` backend: any OpenAI-compatible HTTP server.

Works with vLLM, Ollama, llama.cpp's ``llama-server``, LM Studio, TGI and hosted APIs. Chat
requests go to ``POST {base_url}/chat/completions``, completion requests to
``POST {base_url}/completions``. Requests run on a bounded thread pool (``max_concurrency``
in flight); :meth:`OpenAIBackend.generate` yields each answer as soon as it is complete.

The API key is read from the environment variable named by ``api_key_env`` and only ever
placed in the ``Authorization`` header: it is not part of the options, the model identity,
reprs, log lines or error messages (server messages are redacted before they are shown).

Sampling ``n > 1`` is sent as ``n`` separate requests with seeds ``seed + i`` (sample ``i``
of a prompt always uses ``seed + i``, as everywhere in synthrr), unless ``native_n`` is set,
in which case one request asks for ``n`` choices. ``Sampling.logprobs`` asks for the sampled
tokens' log-probabilities; a server that ignores the request yields ``Completion.logprob = None``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from synthrr.core.errors import BackendError, ConfigError, require
from synthrr.core.redact import expand_env, join_url, redact_url, scrub, url_secrets
from synthrr.llm.backends.openai.options import OpenAIOptions
from synthrr.llm.backends.openai.ratelimit import AdaptiveLimit, Cancelled, TokenBucket
from synthrr.llm.backends.openai.retry import RetryPolicy, is_retryable_status, parse_retry_after
from synthrr.llm.backends.openai.wire import (
    NAME,
    exhausted_error,
    malformed,
    parse_answer,
    permanent_error,
    server_message,
)
from synthrr.llm.base import (
    BackendOptions,
    Capabilities,
    Completion,
    LLMBackend,
    LLMRequest,
    LLMResponse,
)
from synthrr.llm.logprobs import request_fields
from synthrr.llm.projection import estimate_prompt_tokens
from synthrr.version import __version__

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

DEFAULT_COMPLETION_ESTIMATE = 256  # tokens assumed for a request without max_tokens (per-minute limits)


class _Cancelled(Exception):
    """The batch was abandoned (another request failed or the consumer stopped)."""


@dataclass(slots=True)
class _Part:
    """The answer to one HTTP request: one or (with native n) several completions."""

    completions: list[Completion]
    prompt_tokens: int
    started: float
    finished: float


class OpenAIBackend(LLMBackend):
    """A client of an OpenAI-compatible server (``backend: openai``)."""

    name: ClassVar[str] = NAME
    Options: ClassVar[type[BackendOptions]] = OpenAIOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        chat=True, completion=True, native_n=False, concurrent=True, logprobs=True
    )

    def __init__(
        self,
        options: BackendOptions,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        """``transport``, ``sleep`` and ``rng`` are test hooks (an ``httpx.MockTransport``, a
        fake sleep, a fixed jitter draw)."""
        if not isinstance(options, OpenAIOptions):
            raise TypeError("OpenAIBackend needs OpenAIOptions; use OpenAIBackend.from_options({...})")
        super().__init__(options)
        self._httpx = httpx = require("the 'openai' LLM backend", "openai", "httpx")
        self.opts: OpenAIOptions = options
        try:  # ${NAME} placeholders name secrets kept in the environment
            self.base_url = expand_env(options.base_url, "llm.options.base_url")
        except ValueError as e:
            raise ConfigError("llm.options.base_url", str(e).split(": ", 1)[1]) from None
        self._shown_base = redact_url(options.base_url)
        self._api_key = os.environ.get(options.api_key_env) or None
        self._secrets = [*url_secrets(self.base_url), *([self._api_key] if self._api_key else [])]
        self._model = options.model
        self._model_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._sleep = sleep
        self._warned_usage = False
        self._usage_lock = threading.Lock()
        self.estimated_usage = 0  # responses whose token counts were estimated (server sent no usage)
        self.policy = RetryPolicy(
            max_retries=options.max_retries,
            base=options.backoff_base,
            cap=options.backoff_max,
            **({"rng": rng} if rng is not None else {}),
        )
        self._limit = AdaptiveLimit(options.max_concurrency, adaptive=options.adaptive_concurrency)
        self._buckets = [
            (TokenBucket(per_minute), per_request)
            for per_minute, per_request in ((options.requests_per_minute, False), (options.tokens_per_minute, True))
            if per_minute is not None
        ]
        if options.native_n:
            self.capabilities = self.capabilities.model_copy(update={"native_n": True})  # type: ignore[misc]

        headers = {"User-Agent": f"synthrr/{__version__}", "Accept": "application/json"}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if options.organization:
            headers["OpenAI-Organization"] = options.organization
        n = options.max_concurrency
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(options.timeout, connect=min(options.timeout, 10.0)),
            limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
            transport=transport,
            follow_redirects=False,
        )
        self._closed = False

    # ---- identity -------------------------------------------------------------------------
    @property
    def model(self) -> str:
        """The served model name, asked of the server (GET /models) when not configured."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    self._model = self._discover_model()
        return self._model

    def model_identity(self) -> str:
        return f"openai:{self._shown_base}:{self.model}"

    def model_label(self) -> str:
        return self.model

    def __repr__(self) -> str:
        key = "set" if self._api_key is not None else "unset"
        return (
            f"OpenAIBackend(base_url={self._shown_base!r}, model={self._model!r}, "
            f"api_key_env={self.opts.api_key_env!r} ({key}), max_concurrency={self.opts.max_concurrency})"
        )

    def _discover_model(self) -> str:
        data = self._call("GET", "/models", None, None)
        models = data.get("data")
        if isinstance(models, list):
            for entry in models:
                model = entry.get("id") if isinstance(entry, dict) else None
                if isinstance(model, str) and model:
                    return model
            raise BackendError(
                NAME,
                f"{join_url(self._shown_base, '/models')} lists no models; "
                "set llm.options.model to the served model name",
                config=True,
            )
        raise malformed(join_url(self._shown_base, "/models"), "no 'data' list of models")

    # ---- generation -------------------------------------------------------------------------
    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        reqs = list(requests)
        if not reqs:
            return
        self._check_open()
        model = self.model
        pool = self._executor()
        stop = threading.Event()
        futures: dict[Future[_Part], tuple[int, int]] = {}
        parts: dict[int, list[_Part | None]] = {}
        try:
            for i, req in enumerate(reqs):
                n = req.sampling.n
                samples: list[int | None] = [None] if (n == 1 or self.opts.native_n) else list(range(n))
                parts[i] = [None] * len(samples)
                for slot, sample in enumerate(samples):
                    fut = pool.submit(self._one, req, sample, model, stop)
                    futures[fut] = (i, slot)
            for fut in as_completed(futures):
                i, slot = futures[fut]
                got = parts[i]
                got[slot] = fut.result()  # a BackendError ends the batch (finally cancels the rest)
                if all(p is not None for p in got):
                    done = [p for p in got if p is not None]
                    del parts[i]
                    yield i, self._combine(done)
        finally:
            stop.set()
            for fut in futures:
                fut.cancel()

    def _combine(self, done: list[_Part]) -> LLMResponse:
        completions = tuple(c for p in done for c in p.completions)
        # The prompt's length as the model saw it (the same for every sample); the client counts
        # it once per request sent (n times unless native_n).
        prompt_tokens = max(p.prompt_tokens for p in done)
        seconds = max(p.finished for p in done) - min(p.started for p in done)
        return LLMResponse(completions=completions, prompt_tokens=prompt_tokens, seconds=max(0.0, seconds))

    def _one(self, req: LLMRequest, sample: int | None, model: str, stop: threading.Event) -> _Part:
        s = req.sampling
        body: dict[str, Any] = {"model": model}
        if req.messages is not None:
            path = "/chat/completions"
            body["messages"] = [dict(m) for m in req.messages]
        else:
            path = "/completions"
            body["prompt"] = req.text
        body["temperature"] = s.temperature
        body["top_p"] = s.top_p
        body[self.opts.max_tokens_field] = s.max_tokens
        body["seed"] = s.seed + (sample or 0)
        n = s.n if sample is None else 1
        body["n"] = n
        if s.stop:
            body["stop"] = list(s.stop)
        if s.logprobs:
            body.update(request_fields(chat=req.messages is not None))
        body.update(self.opts.extra_body)
        started = time.perf_counter()
        tokens = estimate_prompt_tokens(req) + (s.max_tokens or DEFAULT_COMPLETION_ESTIMATE) * n
        data = self._call("POST", path, body, stop, tokens)
        completions, prompt_tokens = self._parse(data, req, n, join_url(self._shown_base, path))
        return _Part(completions, prompt_tokens, started, time.perf_counter())

    def _parse(self, data: dict[str, Any], req: LLMRequest, n: int, url: str) -> tuple[list[Completion], int]:
        completions, prompt_tokens, estimated = parse_answer(data, req, url)
        if estimated:
            self._mark_estimated()
        return completions, prompt_tokens

    def _mark_estimated(self) -> None:
        with self._usage_lock:
            self.estimated_usage += 1
            first, self._warned_usage = not self._warned_usage, True
        if first:
            logger.warning(
                "openai: %s reports no token usage; synthrr estimates it (4 characters a token), "
                "so token budgets and costs are approximate",
                self._shown_base,
            )

    # ---- HTTP with retries ------------------------------------------------------------------
    def _send(
        self, method: str, url: str, body: dict[str, Any] | None, tokens: int, stop: threading.Event | None
    ) -> Any:
        """One HTTP request under the concurrency and per-minute limits, which learn from its status."""
        try:
            epoch = self._limit.acquire(stop)
        except Cancelled:
            raise _Cancelled from None
        status: int | None = None
        try:
            for bucket, per_request in self._buckets:
                bucket.acquire(float(tokens) if per_request else 1.0, stop)
            resp = self._http.request(method, url, json=body)
            status = resp.status_code
            return resp
        except Cancelled:
            raise _Cancelled from None
        finally:
            self._limit.release(epoch, throttled=status == 429, ok=status is not None and 200 <= status < 300)
            if status == 429 and self._limit.adaptive:
                logger.info("openai: HTTP 429; at most %d request(s) in flight now", self._limit.limit)

    @property
    def throttling(self) -> dict[str, float]:
        """HTTP 429s seen, the concurrency limit now and at its lowest, seconds waited for the per-minute limits."""
        return {
            "throttles": self._limit.throttles,
            "concurrency_limit": self._limit.limit,
            "lowest_concurrency_limit": self._limit.lowest,
            "rate_wait_s": sum(b.waited for b, _ in self._buckets),
        }

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None, stop: threading.Event | None, tokens: int = 0
    ) -> Any:
        """One API call with bounded retries; returns the decoded JSON object."""
        httpx = self._httpx
        url = join_url(self.base_url, path)
        shown = join_url(self._shown_base, path)
        attempt = 0
        while True:
            if stop is not None and stop.is_set():
                raise _Cancelled
            retry_after: float | None = None
            status: int | None = None
            try:
                resp = self._send(method, url, body, tokens, stop)
            except httpx.TimeoutException as e:
                kind, detail = "timeout", type(e).__name__
            except httpx.ConnectError as e:
                kind, detail = "connect", self._redact(str(e)) or type(e).__name__
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError) as e:
                kind, detail = "dropped", self._redact(str(e)) or type(e).__name__
            except httpx.TransportError as e:
                kind, detail = "transport", self._redact(str(e)) or type(e).__name__
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    return self._decode(resp, shown)
                if not is_retryable_status(status):
                    raise permanent_error(
                        resp,
                        shown,
                        path,
                        self._server_message(resp),
                        api_key_env=self.opts.api_key_env,
                        key_set=self._api_key is not None,
                        model=self._model,
                    )
                kind, detail = "status", self._server_message(resp)
                retry_after = parse_retry_after(resp.headers)
            if not self.policy.should_retry(attempt):
                raise exhausted_error(
                    kind, detail, status, shown, attempt + 1, base=self._shown_base, timeout=self.opts.timeout
                )
            delay = self.policy.delay(attempt, retry_after)
            what = f"HTTP {status}" if status is not None else f"{kind} ({detail})"
            logger.info(
                "openai: %s from %s; retry %d/%d in %.2fs", what, shown, attempt + 1, self.policy.max_retries, delay
            )
            self._wait(delay, stop)
            attempt += 1

    def _wait(self, seconds: float, stop: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif stop is not None:
            stop.wait(seconds)
        elif seconds > 0:
            time.sleep(seconds)

    def _decode(self, resp: httpx.Response, shown: str) -> dict[str, Any]:
        try:
            data = resp.json()
        except (ValueError, UnicodeDecodeError):
            snippet = self._redact(" ".join(resp.text[:120].split())) if resp.content else "(empty body)"
            raise malformed(shown, f"HTTP {resp.status_code} but the body is not JSON: {snippet!r}") from None
        if not isinstance(data, dict):
            raise malformed(shown, f"expected a JSON object, got {type(data).__name__}")
        return data

    def _server_message(self, resp: httpx.Response) -> str:
        return server_message(resp, self._redact)

    def _redact(self, text: str) -> str:
        return scrub(text, self._secrets)

    # ---- resources --------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.opts.max_concurrency, thread_name_prefix="synthrr-openai")
            return self._pool

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(NAME, "the backend is closed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()
