"""The backoff schedule of the openai backend, tested without sleeping."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from synthrr.core.errors import BackendError
from synthrr.llm.backends.openai.backend import OpenAIBackend, OpenAIOptions
from synthrr.llm.backends.openai.retry import RetryPolicy, is_retryable_status, parse_retry_after
from synthrr.llm.base import LLMRequest, Sampling


def test_retryable_statuses() -> None:
    for code in (408, 409, 425, 429, 500, 502, 503, 504, 599):
        assert is_retryable_status(code)
    for code in (200, 400, 401, 403, 404, 413, 422):
        assert not is_retryable_status(code)


def test_parse_retry_after_seconds_date_and_ms() -> None:
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after": " 1.5 "}) == 1.5
    assert parse_retry_after({"Retry-After": "-4"}) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=now.timestamp) == pytest.approx(42.0)
    earlier = format_datetime(now - timedelta(seconds=42), usegmt=True)
    assert parse_retry_after({"Retry-After": earlier}, now=now.timestamp) == 0.0


def test_full_jitter_is_bounded_by_a_capped_exponential() -> None:
    policy = RetryPolicy(max_retries=5, base=0.5, cap=4.0, rng=lambda: 1.0)
    assert [policy.delay(a) for a in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert RetryPolicy(base=0.5, cap=4.0, rng=lambda: 0.0).delay(3) == 0.0
    rng = random.Random(7)
    jittered = RetryPolicy(base=0.5, cap=4.0, rng=rng.random)
    draws = [jittered.delay(a) for a in range(200) for _ in range(5)]
    assert all(0.0 <= d <= 4.0 for d in draws)
    assert len(set(draws)) > 100  # really random, not a fixed schedule
    assert policy.delay(1000) == 4.0  # no overflow for absurd attempt numbers


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, rng=lambda: 1.0)
    assert policy.delay(0, retry_after=0.0) == 0.0
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(4, retry_after=60.0) == 4.0


def test_retry_count_is_bounded() -> None:
    policy = RetryPolicy(max_retries=2)
    assert [policy.should_retry(a) for a in range(4)] == [True, True, False, False]


def _ok(text: str = "hi") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "choices": [{"index": 0, "message": {"content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1},
        },
    )


def _backend(handler, sleeps: list[float], **opts: object) -> OpenAIBackend:
    options = OpenAIOptions(base_url="http://127.0.0.1:9/v1", model="m", **opts)  # type: ignore[arg-type]
    return OpenAIBackend(options, transport=httpx.MockTransport(handler), sleep=sleeps.append, rng=lambda: 0.5)


REQ = LLMRequest(messages=({"role": "user", "content": "x"},), sampling=Sampling(max_tokens=4))


def test_backend_follows_the_schedule() -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "slow down"}}),
        httpx.Response(503, json={"error": {"message": "busy"}}),
        httpx.Response(502, headers={"Retry-After": "0"}, text="bad gateway"),
        _ok(),
    ]
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return answers[len(calls) - 1]

    sleeps: list[float] = []
    with _backend(handler, sleeps, backoff_base=1.0, backoff_max=5.0) as be:
        [(i, resp)] = list(be.generate([REQ]))
    assert i == 0 and resp.completions[0].text == "hi"
    assert len(calls) == 4
    # Retry-After 7 capped at 5; then jitter 0.5 * 1.0 * 2**1; then Retry-After 0.
    assert sleeps == [5.0, 1.0, 0.0]


def test_backend_gives_up_after_max_retries() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500, json={"error": {"message": "kaput"}})

    sleeps: list[float] = []
    with (
        _backend(handler, sleeps, max_retries=3, backoff_base=0.1, backoff_max=1.0) as be,
        pytest.raises(BackendError) as info,
    ):
        list(be.generate([REQ]))
    assert calls == 4 and len(sleeps) == 3
    assert all(0.0 <= s <= 1.0 for s in sleeps)
    err = info.value
    assert err.transient and err.exit_code == 1
    assert "HTTP 500" in str(err) and "after 4 attempts" in str(err) and "kaput" in str(err)


def test_timeouts_and_dropped_connections_are_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        if calls == 2:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if calls == 3:
            raise httpx.ConnectError("[Errno 104] Connection reset by peer", request=request)
        return _ok()

    sleeps: list[float] = []
    with _backend(handler, sleeps) as be:
        [(_, resp)] = list(be.generate([REQ]))
        assert resp.completions[0].text == "hi"
    assert calls == 4 and len(sleeps) == 3


def test_max_retries_zero_means_one_attempt() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, json={"error": {"message": "rate limited"}})

    sleeps: list[float] = []
    with _backend(handler, sleeps, max_retries=0) as be, pytest.raises(BackendError, match="max_concurrency"):
        list(be.generate([REQ]))
    assert calls == 1 and sleeps == []
