"""A real OpenAI-compatible server for tests: llama.cpp's HTTP server via xllamacpp.

``xllamacpp.Server(params)`` always starts llama.cpp's HTTP server on ``params.hostnames`` /
``params.port`` (0 = a random free port) next to the in-process engine; ``srv.listening_address``
is its root URL. It speaks ``/v1/chat/completions``, ``/v1/completions``, ``/v1/models`` and
``/health``, and checks ``Authorization: Bearer`` against ``params.api_keys`` when that is set.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

SERVED_MODEL = "smollm2-test"


@dataclass(frozen=True)
class LlamaServer:
    root: str  # http://127.0.0.1:PORT
    api_key: str | None
    model: str = SERVED_MODEL

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"


@contextmanager
def llama_openai_server(
    *, api_key: str | None = None, n_parallel: int = 2, n_ctx: int = 1024, threads: int = 1
) -> Iterator[LlamaServer]:
    """Start SmolLM2 behind llama.cpp's OpenAI-compatible server on 127.0.0.1; skip if unavailable."""
    xlc = pytest.importorskip("xllamacpp")
    from synthrr.core.assets import AssetMissingError, smollm2_gguf

    try:
        gguf = smollm2_gguf()
    except AssetMissingError as e:
        pytest.skip(str(e))
    p = xlc.CommonParams()
    p.model.path = str(gguf)
    p.n_ctx = n_ctx  # shared by the slots: each gets n_ctx / n_parallel
    p.n_parallel = n_parallel
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.hostnames = ["127.0.0.1"]
    p.port = 0
    p.model_alias = {SERVED_MODEL}  # a set of names; a plain str would become a set of characters
    if api_key is not None:
        p.api_keys = [api_key]
    srv = xlc.Server(p)
    try:
        root = str(srv.listening_address).rstrip("/")
        if not root.startswith("http"):
            root = f"http://{root}"
        deadline = time.monotonic() + 60
        while True:  # /health needs no key; 503 while the model loads
            try:
                if httpx.get(f"{root}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server at {root} not healthy after 60 s")
            time.sleep(0.05)
        yield LlamaServer(root=root, api_key=api_key)
    finally:
        del srv
        gc.collect()
