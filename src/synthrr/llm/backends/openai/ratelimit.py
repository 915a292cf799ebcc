"""Client-side limits for hosted APIs: requests and tokens per minute (token buckets) and a
concurrency limit that adapts to the server's 429s (additive increase, multiplicative decrease).

A provider that answers 429 after a burst is better served by fewer requests in flight than by
retrying harder: each 429 halves the allowed concurrency (once per wave of requests), and every
``limit`` successes in a row raise it by one again, up to ``max_concurrency``. The buckets refill
continuously and hold at most 10 seconds of their rate, so a run starts without a one-minute burst.
All waits can be cut short by a stop event. Clocks and sleeps are injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BURST_SECONDS = 10.0


class Cancelled(Exception):
    """A wait was cut short by the stop event."""


def _wait(seconds: float, stop: threading.Event | None, sleep: Callable[[float], None]) -> None:
    if stop is not None:
        if stop.wait(seconds):
            raise Cancelled
    else:
        sleep(seconds)


class TokenBucket:
    """``per_minute`` units per minute; :meth:`acquire` blocks until ``amount`` units are available."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute * BURST_SECONDS / 60.0)
        self._level = self.capacity
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, all threads together

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._last) * self.rate)
        self._last = now

    def acquire(self, amount: float = 1.0, stop: threading.Event | None = None) -> float:
        """Take ``amount`` units (at most the capacity: one huge request waits for a full bucket);
        returns the seconds waited."""
        amount = min(amount, self.capacity)
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._level >= amount:
                    self._level -= amount
                    self.waited += waited
                    return waited
                need = (amount - self._level) / self.rate
            _wait(need, stop, self._sleep)
            waited += need


class AdaptiveLimit:
    """At most ``limit`` requests in flight; ``limit`` halves on a throttle and grows back on success."""

    def __init__(self, maximum: int, *, adaptive: bool = True) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.adaptive = adaptive
        self.in_flight = 0
        self.throttles = 0
        self.lowest = maximum
        self._streak = 0
        self._epoch = 0  # bumped on each decrease: throttles of requests sent before it are not counted twice
        self._cond = threading.Condition()

    def acquire(self, stop: threading.Event | None = None) -> int:
        """Wait for a free slot; returns the epoch to hand back to :meth:`release`."""
        with self._cond:
            while self.in_flight >= self.limit:
                if stop is not None and stop.is_set():
                    raise Cancelled
                self._cond.wait(0.1)
            self.in_flight += 1
            return self._epoch

    def release(self, epoch: int, *, throttled: bool = False, ok: bool = False) -> None:
        with self._cond:
            self.in_flight -= 1
            if throttled:
                self.throttles += 1
                self._streak = 0
                if self.adaptive and epoch == self._epoch:
                    self.limit = max(1, self.limit // 2)
                    self.lowest = min(self.lowest, self.limit)
                    self._epoch += 1
            elif ok and self.adaptive and self.limit < self.maximum:
                self._streak += 1
                if self._streak >= self.limit:
                    self.limit += 1
                    self._streak = 0
            self._cond.notify_all()
