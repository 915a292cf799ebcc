"""The openai backend over real loopback sockets, against a scripted fault-injecting stub."""

from __future__ import annotations

import time

import pytest

from support.fault_proxy import FaultProxy, closed_port, drop, hang, reply, status
from synthrr.core.errors import BackendError
from synthrr.llm.backends.openai.backend import OpenAIBackend
from synthrr.llm.base import LLMRequest, Sampling

REQ = LLMRequest(messages=({"role": "user", "content": "hi"},), sampling=Sampling(max_tokens=8))
OK = reply(
    200,
    {
        "choices": [{"index": 0, "message": {"content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    },
)
FAST = {"model": "m", "max_retries": 3, "backoff_base": 0.01, "backoff_max": 0.05, "api_key_env": "SYNTHRR_NO_KEY"}


def backend(url: str, **opts: object) -> OpenAIBackend:
    return OpenAIBackend.from_options({"base_url": f"{url}/v1"} | FAST | opts)  # type: ignore[return-value]


def test_unreachable_server_is_a_clear_config_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    t0 = time.perf_counter()
    with backend(url, max_retries=2) as be, pytest.raises(BackendError) as info:
        list(be.generate([REQ]))
    err = info.value
    assert err.exit_code == 2 and not err.transient
    assert f"cannot reach {url}/v1" in str(err) and "is the server running?" in str(err) and "3 attempts" in str(err)
    assert time.perf_counter() - t0 < 5


def test_dropped_connection_and_429_then_success() -> None:
    with FaultProxy(None, [drop(), status(429, retry_after="0"), drop()], default=OK) as stub:
        with backend(stub.url) as be:
            [(_, resp)] = list(be.generate([REQ]))
        assert resp.completions[0].text == "hello"
        assert len(stub.attempts) == 4
        assert {a.path for a in stub.attempts} == {"/v1/chat/completions"}


def test_timeout_is_retried() -> None:
    with FaultProxy(None, [hang(1.0)], default=OK) as stub:
        with backend(stub.url, timeout=0.3) as be:
            [(_, resp)] = list(be.generate([REQ]))
        assert resp.completions[0].text == "hello" and len(stub.attempts) == 2


def test_persistent_5xx_gives_a_transient_error_after_bounded_attempts() -> None:
    with FaultProxy(None, default=status(503, message="overloaded")) as stub:
        with backend(stub.url, max_retries=2) as be, pytest.raises(BackendError) as info:
            list(be.generate([REQ]))
        assert len(stub.attempts) == 3
    assert info.value.transient and "HTTP 503" in str(info.value) and "overloaded" in str(info.value)


def test_non_json_answer_is_malformed_not_retried() -> None:
    with FaultProxy(None, default=reply(200, "<html>captive portal</html>", {"Content-Type": "text/html"})) as stub:
        with backend(stub.url) as be, pytest.raises(BackendError, match=r"malformed response.*not JSON"):
            list(be.generate([REQ]))
        assert len(stub.attempts) == 1
