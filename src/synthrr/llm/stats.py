"""Accounting of LLM use: counters that add up across calls, shards and processes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(slots=True)
class Stats:
    """LLM usage of a run (or a shard of one); ``a + b`` merges two records.

    ``calls`` counts completions the engine generated and ``cache_hits`` those served from the
    cache, so ``calls + cache_hits`` is every completion returned. ``prompt_tokens`` are the
    prompt tokens the engine processed (once per call, or once per request for backends that
    sample ``n`` natively) and ``completion_tokens`` the tokens it generated; cached answers add
    to neither. ``seconds`` is wall time spent waiting on the engine.

    ``cached_prompt_tokens``, ``cached_completion_tokens`` and ``cached_seconds`` are what the
    answers served from the cache cost when the engine generated them (seconds only for answers
    cached since they were recorded), so a resumed or replayed run still accounts for the LLM use
    its data took: :attr:`run_tokens` and :attr:`run_seconds`.
    """

    requests: int = 0
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost: float = 0.0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0
    cached_seconds: float = 0.0

    def __add__(self, other: Stats) -> Stats:
        if not isinstance(other, Stats):
            return NotImplemented
        return Stats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Stats) -> Stats:
        """What happened between two snapshots of one running record (``after - before``)."""
        if not isinstance(other, Stats):
            return NotImplemented
        return Stats(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def __radd__(self, other: object) -> Stats:
        """Lets ``sum(stats_list)`` start from 0."""
        if other == 0:
            return Stats() + self
        return NotImplemented

    @property
    def completions(self) -> int:
        return self.calls + self.cache_hits

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def run_tokens(self) -> int:
        """Prompt plus completion tokens of every answer, those replayed from the cache included."""
        return self.total_tokens + self.cached_prompt_tokens + self.cached_completion_tokens

    @property
    def run_seconds(self) -> float:
        """Engine seconds of every answer: this run's plus what cached answers took when generated."""
        return self.seconds + self.cached_seconds

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.completions if self.completions else 0.0

    @property
    def tokens_per_s(self) -> float:
        """Generated (completion) tokens per second of engine time."""
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def total_tokens_per_s(self) -> float:
        """Prompt plus completion tokens per second of engine time."""
        return self.total_tokens / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["cost"] = round(self.cost, 6)
        d["cached_seconds"] = round(self.cached_seconds, 3)
        d.update(
            completions=self.completions,
            hit_rate=round(self.hit_rate, 4),
            tokens_per_s=round(self.tokens_per_s, 2),
            total_tokens_per_s=round(self.total_tokens_per_s, 2),
        )
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def summary(self) -> str:
        """One line for logs and the end of a run."""
        line = (
            f"{self.requests} requests, {self.calls} engine calls, {self.cache_hits} cache hits "
            f"({self.hit_rate:.0%}), {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens "
            f"in {self.seconds:.1f} s ({self.tokens_per_s:.1f} tokens/s)"
        )
        return line + (f", cost {self.cost:.4f}" if self.cost else "")
