"""Token buckets and the adaptive concurrency limit (synthrr.llm.backends.openai.ratelimit), on a fake clock."""

from __future__ import annotations

import threading

import pytest

from synthrr.llm.backends.openai.ratelimit import AdaptiveLimit, Cancelled, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_allows_a_ten_second_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(60, clock=clock, sleep=clock.sleep)  # 1 per second, burst of 10
    for _ in range(10):
        assert bucket.acquire() == 0.0
    assert clock.now == 0.0
    for _ in range(5):
        bucket.acquire()
    assert clock.now == pytest.approx(5.0) and bucket.waited == pytest.approx(5.0)


def test_a_request_larger_than_the_bucket_waits_for_a_full_one() -> None:
    clock = Clock()
    bucket = TokenBucket(6000, clock=clock, sleep=clock.sleep)  # tokens: capacity 1000
    bucket.acquire(900)
    bucket.acquire(5000)  # capped at the capacity: waits until the bucket is full again
    assert clock.now == pytest.approx(9.0)


def test_bucket_wait_is_cut_short_by_stop() -> None:
    bucket = TokenBucket(6)  # capacity 1, one per 10 s
    bucket.acquire()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        bucket.acquire(1, stop)


def test_adaptive_limit_halves_on_throttle_once_per_wave_and_grows_back() -> None:
    limit = AdaptiveLimit(8)
    epochs = [limit.acquire() for _ in range(8)]
    limit.release(epochs[0], throttled=True)
    assert limit.limit == 4 and limit.lowest == 4
    limit.release(epochs[1], throttled=True)  # sent in the same wave: not halved again
    assert limit.limit == 4 and limit.throttles == 2
    for e in epochs[2:]:
        limit.release(e, ok=True)
    assert limit.in_flight == 0 and limit.limit == 5  # 4 successes in a row at limit 4: +1
    e = limit.acquire()
    limit.release(e, throttled=True)
    assert limit.limit == 2


def test_fixed_limit_never_moves() -> None:
    limit = AdaptiveLimit(3, adaptive=False)
    limit.release(limit.acquire(), throttled=True)
    assert limit.limit == 3 and limit.throttles == 1
