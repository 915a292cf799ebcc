"""The openai backend against httpx.MockTransport: bodies, parsing, errors, secrets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from synthrr.core.errors import BackendError, ConfigError
from synthrr.llm import BACKENDS
from synthrr.llm.backends.openai.backend import OpenAIBackend, OpenAIOptions
from synthrr.llm.backends.openai.wire import map_finish_reason
from synthrr.llm.base import LLMRequest, Sampling
from synthrr.llm.logprobs import mean_logprob

BASE = "http://127.0.0.1:9/v1"
ENV = "SYNTHRR_TEST_OPENAI_KEY"
SECRET = "sk-test-SECRET-0123456789abcdef"
CHAT = LLMRequest(messages=({"role": "user", "content": "Write a headline."},), sampling=Sampling(max_tokens=8))
TEXT = LLMRequest(text="Once upon a time", sampling=Sampling(max_tokens=8, temperature=0.5, stop=("\n",)))

Handler = Callable[[httpx.Request], httpx.Response]


def chat_answer(*texts: str, usage: dict | None = None, reason: str = "stop") -> dict:
    return {
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": reason}
            for i, t in enumerate(texts)
        ],
        "usage": usage if usage is not None else {"prompt_tokens": 11, "completion_tokens": 3 * len(texts)},
    }


def make(handler: Handler, **opts: object) -> OpenAIBackend:
    options = OpenAIOptions(base_url=BASE, api_key_env=ENV, **opts)  # type: ignore[arg-type]
    return OpenAIBackend(options, transport=httpx.MockTransport(handler), sleep=lambda s: None, rng=lambda: 0.0)


class Recorder:
    """A handler that records requests and answers from a function."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        return self.answer(request)

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.content]


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, SECRET)


# ---- options -----------------------------------------------------------------------------------
def test_registered_and_capabilities() -> None:
    assert BACKENDS.get("openai") is OpenAIBackend
    caps = OpenAIBackend.capabilities
    assert caps.chat and caps.completion and caps.concurrent and caps.logprobs and not caps.native_n


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"llm\.options\.base_url"):
        OpenAIBackend.from_options({})
    with pytest.raises(ConfigError, match=r"llm\.options\.api_key.*unknown option"):
        OpenAIBackend.from_options({"base_url": BASE, "api_key": SECRET})
    with pytest.raises(ConfigError, match="http") as info:
        OpenAIBackend.from_options({"base_url": "127.0.0.1:8000/v1"})
    with pytest.raises(ConfigError, match="NAME of an environment variable") as info:
        OpenAIBackend.from_options({"base_url": BASE, "api_key_env": SECRET})
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError, match="stream"):
        OpenAIBackend.from_options({"base_url": BASE, "extra_body": {"stream": True}})
    with pytest.raises(ConfigError, match="max_concurrency"):
        OpenAIBackend.from_options({"base_url": BASE, "max_concurrency": 0})
    be = OpenAIBackend.from_options({"base_url": BASE + "/", "model": "m"})
    assert be.base_url == BASE and be.model_identity() == f"openai:{BASE}:m"
    be.close()


# ---- requests ----------------------------------------------------------------------------------
def test_chat_body_headers_and_parsing(keyed: None) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json=chat_answer("Big news")))
    with make(rec, model="served", organization="org-1", extra_body={"top_k": 40}) as be:
        [(i, resp)] = list(be.generate([CHAT]))
    assert i == 0
    assert resp.completions[0].text == "Big news" and resp.completions[0].finish_reason == "stop"
    assert resp.prompt_tokens == 11 and resp.completion_tokens == 3 and resp.seconds >= 0
    [req] = rec.requests
    assert req.method == "POST" and str(req.url) == f"{BASE}/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["openai-organization"] == "org-1"
    body = rec.bodies()[0]
    assert body == {
        "model": "served",
        "messages": [{"role": "user", "content": "Write a headline."}],
        "temperature": 0.95,
        "top_p": 0.9,
        "max_tokens": 8,
        "seed": 0,
        "n": 1,
        "top_k": 40,
    }


def test_completion_form_and_no_key_means_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    answer = {"choices": [{"index": 0, "text": " there was", "finish_reason": "length"}], "usage": {}}
    rec = Recorder(lambda r: httpx.Response(200, json=answer))
    with make(rec, model="m", max_tokens_field="max_completion_tokens") as be:
        [(_, resp)] = list(be.generate([TEXT]))
        assert be.estimated_usage == 1  # usage present but empty: estimated and counted
    assert resp.completions[0].text == " there was" and resp.completions[0].finish_reason == "length"
    assert resp.prompt_tokens == 4 and resp.completions[0].completion_tokens == 3
    [req] = rec.requests
    assert str(req.url) == f"{BASE}/completions" and "authorization" not in req.headers
    body = rec.bodies()[0]
    assert body["prompt"] == "Once upon a time" and body["stop"] == ["\n"] and body["max_completion_tokens"] == 8
    assert "max_tokens" not in body and body["temperature"] == 0.5


def test_n_samples_are_separate_seeded_requests() -> None:
    def answer(r: httpx.Request) -> httpx.Response:
        seed = json.loads(r.content)["seed"]
        return httpx.Response(200, json=chat_answer(f"s{seed}", usage={"prompt_tokens": 10, "completion_tokens": 2}))

    rec = Recorder(answer)
    req = LLMRequest(messages=CHAT.messages, sampling=Sampling(max_tokens=8, seed=100, n=3))
    with make(rec, model="m") as be:
        [(_, resp)] = list(be.generate([req]))
    assert sorted(b["seed"] for b in rec.bodies()) == [100, 101, 102]
    assert all(b["n"] == 1 for b in rec.bodies())
    assert [c.text for c in resp.completions] == ["s100", "s101", "s102"]  # in sample order
    assert resp.prompt_tokens == 10 and resp.completion_tokens == 6  # prompt length, not a sum


def test_native_n_is_one_request() -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 9}
    rec = Recorder(lambda r: httpx.Response(200, json=chat_answer("aaaa", "bbbbbbbb", usage=usage)))
    req = LLMRequest(messages=CHAT.messages, sampling=Sampling(max_tokens=8, seed=5, n=2))
    with make(rec, model="m", native_n=True) as be:
        assert be.capabilities.native_n
        [(_, resp)] = list(be.generate([req]))
    [body] = rec.bodies()
    assert body["n"] == 2 and body["seed"] == 5
    assert [c.text for c in resp.completions] == ["aaaa", "bbbbbbbb"]
    assert resp.prompt_tokens == 10 and resp.completion_tokens == 9


# ---- log-probabilities -------------------------------------------------------------------------
def _token(logprob: float) -> dict:
    return {"token": "t", "logprob": logprob, "top_logprobs": [{"token": "t", "logprob": logprob}]}


def test_chat_logprobs_are_asked_for_and_averaged() -> None:
    answer = chat_answer("Big news", "Old news")
    answer["choices"][0]["logprobs"] = {"content": [_token(-1.0), _token(-2.0)]}
    answer["choices"][1]["logprobs"] = None  # a server that ignored the request for this choice
    rec = Recorder(lambda r: httpx.Response(200, json=answer))
    req = LLMRequest(messages=CHAT.messages, sampling=Sampling(max_tokens=8, n=2, logprobs=True))
    with make(rec, model="m", native_n=True) as be:
        assert be.capabilities.native_n and be.capabilities.logprobs
        [(_, resp)] = list(be.generate([req]))
    [body] = rec.bodies()
    assert body["logprobs"] is True and body["top_logprobs"] == 1  # llama.cpp sends none for 0
    assert [c.logprob for c in resp.completions] == [-1.5, None]


@pytest.mark.parametrize(
    ("logprobs", "expect"),
    [
        ({"tokens": ["a", "b"], "token_logprobs": [-0.5, -1.5], "top_logprobs": None}, -1.0),  # legacy shape
        ({"token_logprobs": [None, -3.0, -1.0]}, -2.0),  # an echoed first prompt token has null
        ({"content": [_token(-0.25), _token(-0.75)]}, -0.5),  # llama.cpp answers completions so
        (None, None),
        ({"content": []}, None),
    ],
)
def test_completion_logprobs_in_either_shape(logprobs: object, expect: float | None) -> None:
    answer = {"choices": [{"index": 0, "text": " there", "finish_reason": "stop", "logprobs": logprobs}]}
    rec = Recorder(lambda r: httpx.Response(200, json=answer | {"usage": {"prompt_tokens": 4, "completion_tokens": 2}}))
    req = LLMRequest(text="Once upon a time", sampling=Sampling(max_tokens=8, logprobs=True))
    with make(rec, model="m") as be:
        [(_, resp)] = list(be.generate([req]))
    body = rec.bodies()[0]
    assert body["logprobs"] == 1 and "top_logprobs" not in body
    assert resp.completions[0].text == " there" and resp.completions[0].logprob == expect


def test_logprobs_missing_or_unasked_are_none() -> None:
    """No ``logprobs`` field in the answer is no error; log-probabilities not asked for are not read."""
    for asked in (True, False):
        answer = chat_answer("Big news")
        if not asked:
            answer["choices"][0]["logprobs"] = {"content": [_token(-1.0)]}
        rec = Recorder(lambda r, a=answer: httpx.Response(200, json=a))
        req = LLMRequest(messages=CHAT.messages, sampling=Sampling(max_tokens=8, logprobs=asked))
        with make(rec, model="m") as be:
            [(_, resp)] = list(be.generate([req]))
        assert resp.completions[0].text == "Big news" and resp.completions[0].logprob is None
        assert ("logprobs" in rec.bodies()[0]) is asked


def test_mean_logprob_rejects_malformed_values() -> None:
    assert mean_logprob({"content": [{"logprob": -1.0}, {"token": "no logprob"}]}) is None
    assert mean_logprob({"content": [{"logprob": "-1"}]}) is None
    assert mean_logprob({"content": [{"logprob": True}]}) is None
    assert mean_logprob({"content": [{"logprob": float("-inf")}]}) is None  # the cache stores finite numbers only
    assert mean_logprob({"token_logprobs": "x"}) is None and mean_logprob([]) is None
    assert mean_logprob({"content": [{"logprob": -2}, {"logprob": -1.0}]}) == -1.5


def test_model_is_discovered_from_models_endpoint() -> None:
    def answer(r: httpx.Request) -> httpx.Response:
        if r.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": [{"id": "first"}, {"id": "second"}]})
        return httpx.Response(200, json=chat_answer("ok"))

    rec = Recorder(answer)
    with make(rec) as be:
        assert be.model_identity() == f"openai:{BASE}:first" and be.model_label() == "first"
        list(be.generate([CHAT]))
    assert [r.method for r in rec.requests] == ["GET", "POST"]  # /models asked once
    assert rec.bodies()[0]["model"] == "first"


def test_empty_model_list_is_a_config_error() -> None:
    with make(lambda r: httpx.Response(200, json={"data": []})) as be, pytest.raises(BackendError) as info:
        be.model_identity()
    assert info.value.exit_code == 2 and "llm.options.model" in str(info.value)


def test_finish_reasons() -> None:
    assert [map_finish_reason(r) for r in ("stop", "length", None, "eos", "tool_calls", "content_filter", "x")] == [
        "stop",
        "length",
        "stop",
        "stop",
        "stop",
        "error",
        "error",
    ]


def test_batch_yields_every_index_with_bounded_concurrency() -> None:
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def answer(r: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json=chat_answer(json.loads(r.content)["messages"][0]["content"]))

    reqs = [LLMRequest(messages=({"role": "user", "content": f"p{i}"},)) for i in range(8)]
    with make(answer, model="m", max_concurrency=3) as be:
        got = dict(be.generate(reqs))
    assert sorted(got) == list(range(8))
    assert all(got[i].completions[0].text == f"p{i}" for i in range(8))
    assert 1 < state["peak"] <= 3


# ---- errors ----------------------------------------------------------------------------------
def _fails(status: int, body: object, **opts: object) -> tuple[BackendError, OpenAIBackend, int]:
    calls = []

    def answer(r: httpx.Request) -> httpx.Response:
        calls.append(r)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    be = make(answer, **({"model": "m"} | opts))
    with pytest.raises(BackendError) as info:
        list(be.generate([CHAT]))
    return info.value, be, len(calls)


def test_bad_key_fails_fast_without_leaking_it(keyed: None) -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error"}}
    err, be, calls = _fails(401, echo)
    msg = str(err)
    assert calls == 1 and err.exit_code == 2 and not err.transient
    assert "'openai'" in msg and BASE in msg and "HTTP 401" in msg and f"${ENV}" in msg
    assert "bad or missing API key" in msg and "Incorrect API key provided" in msg
    for text in (msg, repr(err), repr(be), be.model_identity(), repr(be.options), str(be.options.model_dump())):
        assert SECRET not in text
    be.close()


def test_forbidden_and_unset_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    err, be, calls = _fails(403, {"error": "forbidden"})
    assert calls == 1 and err.exit_code == 2 and f"${ENV} is not set" in str(err)
    be.close()


@pytest.mark.parametrize(
    ("status", "body", "expect", "exit_code"),
    [
        (404, {"error": {"message": "The model `m` does not exist"}}, "model 'm' or endpoint not found", 2),
        (400, {"error": {"message": "This model's maximum context length is 2048 tokens"}}, "context", 2),
        (400, {"object": "error", "message": "Invalid 'temperature'"}, "request rejected", 2),
        (422, {"detail": [{"loc": ["body", "top_p"], "msg": "bad"}]}, "request rejected", 2),
        (413, "Payload Too Large", "request rejected", 2),
        (418, "teapot", "request failed", 1),
    ],
)
def test_permanent_errors_fail_fast(status: int, body: object, expect: str, exit_code: int) -> None:
    err, be, calls = _fails(status, body)
    assert calls == 1 and err.exit_code == exit_code and not err.transient
    assert expect in str(err) and f"HTTP {status}" in str(err) and f"{BASE}/chat/completions" in str(err)
    be.close()


def test_context_error_names_the_cause() -> None:
    err, be, _ = _fails(400, {"error": {"message": "request (2031 tokens) exceeds the available context size"}})
    assert "prompt longer than the model's context" in str(err)
    be.close()


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        ("<html>gateway page</html>", "not JSON"),
        ("", "empty body"),
        ({"id": "x", "object": "chat.completion"}, "no 'choices'"),
        ({"choices": []}, "no 'choices'"),
        ({"choices": [{"index": 0, "text": "wrong shape"}]}, "no 'message'"),
        ({"choices": [{"index": 0, "message": {"content": 42}}]}, "not a string"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_malformed_responses(body: object, expect: str) -> None:
    err, be, calls = _fails(200, body)
    assert calls == 1 and not err.transient and err.exit_code == 1
    assert "malformed response" in str(err) and expect in str(err)
    be.close()


def test_redirect_is_a_config_error() -> None:
    def answer(r: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://user:pw@example.test/v1/chat/completions"})

    with make(answer, model="m") as be, pytest.raises(BackendError) as info:
        list(be.generate([CHAT]))
    assert info.value.exit_code == 2 and "https://example.test/v1" in str(info.value) and "pw" not in str(info.value)


def test_userinfo_in_base_url_is_never_shown() -> None:
    be = OpenAIBackend.from_options({"base_url": "http://bob:hunter2@127.0.0.1:9/v1", "model": "m"})
    assert "hunter2" not in be.model_identity() and "hunter2" not in repr(be)
    assert be.model_identity() == "openai:http://127.0.0.1:9/v1:m"
    be.close()


def test_failure_stops_the_batch_and_close_is_final() -> None:
    def answer(r: httpx.Request) -> httpx.Response:
        if json.loads(r.content)["messages"][0]["content"] == "bad":
            return httpx.Response(400, json={"error": {"message": "nope"}})
        time.sleep(0.01)
        return httpx.Response(200, json=chat_answer("ok"))

    reqs = [LLMRequest(messages=({"role": "user", "content": c},)) for c in ("a", "bad", "b", "c")]
    be = make(answer, model="m", max_concurrency=1)
    with pytest.raises(BackendError, match="nope"):
        list(be.generate(reqs))
    be.close()
    be.close()
    with pytest.raises(BackendError, match="closed"):
        list(be.generate([CHAT]))
    assert list(be.generate([])) == []


def test_abandoned_batch_cancels_the_rest() -> None:
    rec = Recorder(lambda r: (time.sleep(0.02), httpx.Response(200, json=chat_answer("ok")))[1])
    reqs = [LLMRequest(messages=({"role": "user", "content": f"p{i}"},)) for i in range(20)]
    with make(rec, model="m", max_concurrency=2) as be:
        gen = be.generate(reqs)
        first = next(gen)
        gen.close()
        assert first[1].completions[0].text == "ok"
        time.sleep(0.1)
    assert len(rec.requests) < 20  # queued requests were cancelled, not sent
