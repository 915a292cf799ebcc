"""Retry policy for HTTP backends: which failures to retry and how long to wait.

Exponential backoff with *full jitter* (a uniform draw in ``[0, min(cap, base * 2**attempt)]``),
except that a server's ``Retry-After`` (seconds or an HTTP date; also ``retry-after-ms``) is
honoured exactly, capped at ``cap``. The random source and the clock are injectable so the
schedule can be tested without sleeping.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# Statuses worth another try: request timeout, conflict (OpenAI uses it for transient lock
# contention), too early, rate limit, and every 5xx.
RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 409, 425, 429})


def is_retryable_status(status: int) -> bool:
    """True for statuses that may succeed on a later attempt (408, 409, 425, 429, 5xx)."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def parse_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asks us to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date. Returns ``None`` when absent or
    unparseable; a date in the past gives ``0.0``.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


@dataclass(slots=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter.

    ``max_retries`` is the number of *extra* attempts after the first one. ``delay(attempt)``
    is the wait before retry number ``attempt + 1`` (attempt counts from 0).
    """

    max_retries: int = 5
    base: float = 0.5
    cap: float = 30.0
    rng: Callable[[], float] = field(default=random.random)

    def should_retry(self, attempt: int) -> bool:
        """Whether a failed attempt number ``attempt`` (0-based) may be followed by another."""
        return attempt < self.max_retries

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the jittered wait after failed attempt ``attempt``."""
        # 2**attempt overflows float for absurd attempt counts; the cap makes that moot.
        return min(self.cap, self.base * (2.0 ** min(attempt, 60)))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt``; ``retry_after`` wins when given."""
        if retry_after is not None:
            return min(self.cap, max(0.0, retry_after))
        return self.rng() * self.ceiling(attempt)
