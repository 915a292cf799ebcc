"""The openai backend against a REAL OpenAI-compatible server (llama.cpp via xllamacpp, SmolLM2).

The server requires an API key, so the same server checks success with the right key, 401
with a wrong or missing one, and (behind the fault-injecting proxy) the retry path.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.fault_proxy import FaultProxy, drop, status
from support.servers import SERVED_MODEL, LlamaServer, llama_openai_server
from synthrr.core.errors import BackendError
from synthrr.llm.backends.openai.backend import OpenAIBackend
from synthrr.llm.base import LLMRequest, Sampling

pytestmark = pytest.mark.e2e

ENV = "SYNTHRR_E2E_OPENAI_KEY"
KEY = "sk-e2e-right-key-5f3a9c"
WRONG = "sk-e2e-WRONG-key-77b1de"
FAST = {"max_retries": 3, "backoff_base": 0.01, "backoff_max": 0.1, "timeout": 60.0, "api_key_env": ENV}


def chat(content: str, max_tokens: int = 8, **kw: object) -> LLMRequest:
    return LLMRequest(messages=({"role": "user", "content": content},), sampling=Sampling(max_tokens=max_tokens, **kw))


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    with llama_openai_server(api_key=KEY, n_parallel=2, n_ctx=1024, threads=1) as srv:
        yield srv


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, KEY)


def backend(base_url: str, **opts: object) -> OpenAIBackend:
    return OpenAIBackend.from_options({"base_url": base_url} | FAST | opts)  # type: ignore[return-value]


def test_chat_and_completion_return_text_and_usage(server: LlamaServer, keyed: None) -> None:
    with backend(server.base_url) as be:
        assert be.model_identity() == f"openai:{server.base_url}:{SERVED_MODEL}"  # asked of /v1/models
        reqs = [
            chat("Write a short sports headline.", seed=1),
            LLMRequest(text="The stock market", sampling=Sampling(max_tokens=8)),
        ]
        got = dict(be.generate(reqs))
        assert be.estimated_usage == 0
    assert sorted(got) == [0, 1]
    for resp in got.values():
        [c] = resp.completions
        assert c.text.strip() and c.finish_reason in ("stop", "length")
        assert resp.prompt_tokens > 0 and 0 < c.completion_tokens <= 8


def test_concurrent_requests_and_seeded_samples(server: LlamaServer, keyed: None) -> None:
    reqs = [chat(f"Name a fruit number {i}.") for i in range(4)]
    reqs.append(chat("Say hello.", n=2, seed=7))
    with backend(server.base_url, max_concurrency=4) as be:
        got = dict(be.generate(reqs))
    assert sorted(got) == [0, 1, 2, 3, 4]
    assert all(len(got[i].completions) == 1 for i in range(4))
    assert len(got[4].completions) == 2 and all(c.completion_tokens > 0 for c in got[4].completions)


def test_logprobs_from_the_real_server_are_its_per_token_means(server: LlamaServer, keyed: None) -> None:
    """Both endpoints: the mean equals one computed here from the server's own per-token answer to
    the same greedy request (llama.cpp answers completions in the chat shape), and a greedy text is
    likelier than hot samples of the same prompt."""
    greedy = chat("Write one sentence about a dog.", max_tokens=24, temperature=0.0, logprobs=True)
    text = LLMRequest(text="The stock market today", sampling=Sampling(max_tokens=12, temperature=0.0, logprobs=True))
    hot = chat("Write one sentence about a dog.", max_tokens=24, temperature=1.8, top_p=1.0, n=3, seed=3, logprobs=True)
    with backend(server.base_url) as be:
        got = dict(be.generate([greedy, text, hot]))
    direct = [  # the same greedy requests, asking for three alternatives per token
        ("chat/completions", {"messages": list(greedy.messages or ()), "max_tokens": 24, "top_logprobs": 3}),
        ("completions", {"prompt": text.text, "max_tokens": 12}),
    ]
    for i, (path, fields) in enumerate(direct):
        body = {"model": SERVED_MODEL, "temperature": 0.0, "logprobs": 3 if i else True} | fields
        answer = httpx.post(f"{server.base_url}/{path}", json=body, headers={"Authorization": f"Bearer {KEY}"})
        choice = answer.json()["choices"][0]
        [c] = got[i].completions
        assert c.text == (choice["text"] if i else choice["message"]["content"]) and c.logprob is not None
        per_token = [t["logprob"] for t in choice["logprobs"]["content"]]
        assert math.isclose(c.logprob, statistics.fmean(per_token), abs_tol=1e-4) and c.logprob < 0
    hot_lps = [h.logprob for h in got[2].completions]
    best = got[0].completions[0].logprob
    assert best is not None and all(lp is not None and best > lp for lp in hot_lps), (best, hot_lps)


@pytest.mark.parametrize("key", [WRONG, None], ids=["wrong-key", "no-key"])
def test_bad_or_missing_key_is_an_exit_2_error_without_the_key(
    server: LlamaServer, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, key)
    with FaultProxy(server.root) as proxy:
        be = backend(f"{proxy.url}/v1", model=SERVED_MODEL)
        with pytest.raises(BackendError) as info:
            list(be.generate([chat("hi")]))
        assert len(proxy.attempts) == 1  # no retries on 401
    err = info.value
    msg = str(err)
    assert err.exit_code == 2 and "HTTP 401" in msg and f"${ENV}" in msg and "bad or missing API key" in msg
    assert proxy.url in msg and "Invalid API Key" in msg
    for text in (msg, repr(err), repr(be), be.model_identity()):
        assert WRONG not in text and KEY not in text
    be.close()


def test_unknown_endpoint_fails_fast(server: LlamaServer, keyed: None) -> None:
    with FaultProxy(server.root) as proxy:
        with backend(f"{proxy.url}/not-the-api/v1", model=SERVED_MODEL) as be, pytest.raises(BackendError) as info:
            list(be.generate([chat("hi")]))
        assert len(proxy.attempts) == 1
    assert info.value.exit_code == 2 and "HTTP 404" in str(info.value) and "not found" in str(info.value)


def test_prompt_longer_than_context_is_named(server: LlamaServer, keyed: None) -> None:
    long = "word " * 900  # > 512 tokens, the per-slot context (1024 / 2 slots)
    with backend(server.base_url, model=SERVED_MODEL) as be, pytest.raises(BackendError) as info:
        list(be.generate([chat(long)]))
    assert info.value.exit_code == 2 and "prompt longer than the model's context" in str(info.value)


def test_retries_through_a_faulty_proxy(server: LlamaServer, keyed: None) -> None:
    script = [status(429, retry_after="0", message="slow down"), drop(), status(503, message="loading")]
    with FaultProxy(server.root, script) as proxy:
        with backend(f"{proxy.url}/v1", model=SERVED_MODEL) as be:
            [(_, resp)] = list(be.generate([chat("Write a headline.", seed=3)]))
        assert resp.completions[0].text.strip() and resp.prompt_tokens > 0
        assert len(proxy.attempts) == 4  # 429, dropped, 503, then forwarded to the real server
        assert all(a.authorization == f"Bearer {KEY}" for a in proxy.attempts)
        assert all(a.body["seed"] == 3 for a in proxy.attempts)


def test_through_the_client_with_cache(server: LlamaServer, keyed: None, tmp_path: Path) -> None:
    from synthrr.config import LLMConfig
    from synthrr.llm.client import make_client

    with FaultProxy(server.root) as proxy:
        cfg = LLMConfig(backend="openai", options={"base_url": f"{proxy.url}/v1"} | FAST)
        reqs = [chat("Say hi.", n=2, seed=11), chat("Say bye.")]
        with make_client(cfg, cache_path=tmp_path / "llm.sqlite") as client:
            first = client.generate(reqs)
            sent = len(proxy.attempts)
            again = client.generate(reqs)
        assert sent == 4  # GET /models, then n=2 as two seeded requests, then one more
        assert len(proxy.attempts) == sent  # the second pass is served from the cache
        assert sorted(a.body["seed"] for a in proxy.attempts if a.body) == [0, 11, 12]
    assert [len(r.completions) for r in first] == [2, 1]
    assert [c.text for r in again for c in r.completions] == [c.text for r in first for c in r.completions]
    assert all(r.cached for r in again)


def test_per_minute_limits_against_the_real_server(server: LlamaServer, keyed: None) -> None:
    """12 requests at 60 per minute (a burst of 10, then one a second) take at least 2 s; a token
    limit of 600 per minute (bursts of 100) admits these ~30-token requests 3 at a time."""
    import time

    reqs = [chat(f"Say the number {i}.", max_tokens=4, seed=i) for i in range(12)]
    with backend(server.base_url, requests_per_minute=60) as be:
        started = time.monotonic()
        got = dict(be.generate(reqs))
        elapsed = time.monotonic() - started
        assert len(got) == 12 and elapsed >= 1.99 and be.throttling["rate_wait_s"] > 0
    with backend(server.base_url, tokens_per_minute=600) as be:
        got = dict(be.generate(reqs[:6]))
        assert len(got) == 6 and be.throttling["rate_wait_s"] > 0 and be.throttling["throttles"] == 0
