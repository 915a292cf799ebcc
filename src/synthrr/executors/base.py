"""The executor protocol and the one shard body every executor runs.

A *shard* is a contiguous slice of one round's LLM requests with a deterministic id
(``rRRR-NNNNN``: round, index). :func:`run_shard` is the shard body: answer the requests through
an :class:`~synthrr.llm.client.LLMClient` (cache, accounting), then write the shard's output,
its stats and, last, its completion marker, each atomically::

    RUN_DIR/shards/outputs/rRRR-NNNNN.jsonl      one LLMResponse per request, in order
    RUN_DIR/shards/stats/rRRR-NNNNN.json         the shard's StageStats (they add up with ``+``)
    RUN_DIR/shards/completions/rRRR-NNNNN        the marker: a digest of the shard's requests

:meth:`Executor.map_shards` skips every shard whose marker exists and matches its requests, so a
rerun after a failure replays finished shards from disk without touching an engine. Executors
only *schedule* the pending shards (:meth:`Executor._schedule`); they never copy the body.
"""

from __future__ import annotations

import json
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.core.errors import BudgetExceededError
from synthrr.core.io import atomic_open, write_json
from synthrr.core.resources import Closeable
from synthrr.core.text import stable_hash
from synthrr.llm.base import Completion, LLMRequest, LLMResponse
from synthrr.llm.cache.store import canonical_json
from synthrr.llm.stats import Stats
from synthrr.run.manifest import StageStats
from synthrr.run.rundir import read_json_or_empty

if TYPE_CHECKING:
    from synthrr.config import LLMConfig, RayConfig
    from synthrr.llm.client import LLMClient


@dataclass(slots=True)
class Shard:
    """A slice of one round's requests; ``id`` is stable across runs of the same config."""

    id: str
    requests: list[LLMRequest]

    @property
    def digest(self) -> str:
        """Hash of the requests (prompt, sampling, n): a marker only counts for the same work."""
        payload = [
            {"prompt": r.prompt_payload(), "sampling": r.sampling.key_params(), "n": r.sampling.n}
            for r in self.requests
        ]
        return stable_hash(canonical_json(payload), size=16)


@dataclass(slots=True)
class ShardResult:
    """What a shard produced. ``responses[i]`` is ``None`` where a budget stop left it unanswered."""

    shard_id: str
    responses: list[LLMResponse | None]
    stats: StageStats = field(default_factory=StageStats)  # counts shards and skips; LLM use
    skipped: bool = False  # replayed from a completion marker, no engine or cache touched
    budget_error: str | None = None  # set when the budget stopped this shard (no marker written)
    worker: str = ""  # host:pid that ran the shard ("" when replayed from disk)


def make_shards(round_no: int, requests: Sequence[LLMRequest], shard_size: int | None) -> list[Shard]:
    """Cut a round's requests into contiguous shards of about ``shard_size`` (``None``: one shard).

    A shard never splits a prefix group (``LLMRequest.group``): it ends at the first group boundary
    at or after ``shard_size`` requests, so each worker holds whole groups and reuses their prefix.
    """
    reqs = list(requests)
    size = shard_size or max(1, len(reqs))
    cuts, start = [], 0
    for i in range(1, len(reqs) + 1):
        at_boundary = i == len(reqs) or reqs[i].group is None or reqs[i].group != reqs[i - 1].group
        if i - start >= size and at_boundary:
            cuts.append((start, i))
            start = i
    if start < len(reqs):
        cuts.append((start, len(reqs)))
    return [Shard(f"r{round_no:03d}-{k:05d}", reqs[a:b]) for k, (a, b) in enumerate(cuts)]


class ShardStore:
    """Paths and (de)serialisation of shard outputs, stats and completion markers."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def marker(self, shard_id: str) -> Path:
        return self.root / "completions" / shard_id

    def output(self, shard_id: str) -> Path:
        return self.root / "outputs" / f"{shard_id}.jsonl"

    def stats_path(self, shard_id: str) -> Path:
        return self.root / "stats" / f"{shard_id}.json"

    def is_done(self, shard: Shard) -> bool:
        m = self.marker(shard.id)
        return m.is_file() and m.read_text(encoding="utf-8").strip() == shard.digest and self.output(shard.id).is_file()

    def write(self, shard: Shard, responses: Sequence[LLMResponse], stats: StageStats) -> None:
        with atomic_open(self.output(shard.id)) as fh:
            for r in responses:
                fh.write(json.dumps(_response_to_dict(r), ensure_ascii=False) + "\n")
        write_json(self.stats_path(shard.id), stats.to_dict())
        with atomic_open(self.marker(shard.id)) as fh:  # last: the shard counts as done only now
            fh.write(shard.digest + "\n")

    def load(self, shard: Shard) -> ShardResult:
        """A finished shard replayed from disk; its stats count every completion as a cache hit, at
        the tokens and engine seconds the shard's own stats recorded when it ran."""
        lines = self.output(shard.id).read_text(encoding="utf-8").splitlines()
        responses: list[LLMResponse | None] = [_response_from_dict(json.loads(line)) for line in lines]
        hits = sum(len(r.completions) for r in responses if r is not None)
        was = StageStats.from_dict(read_json_or_empty(self.stats_path(shard.id))).llm
        llm = Stats(
            requests=len(responses),
            cache_hits=hits,
            cached_prompt_tokens=was.prompt_tokens + was.cached_prompt_tokens,
            cached_completion_tokens=was.completion_tokens + was.cached_completion_tokens,
            cached_seconds=was.seconds + was.cached_seconds,
        )
        return ShardResult(shard.id, responses, _shard_stats(llm, skipped=True), skipped=True)


def _shard_stats(llm: Stats, *, skipped: bool = False) -> StageStats:
    return StageStats(counts={"shards": 1, "shards_skipped": int(skipped)}, llm=llm)


def run_shard(client: LLMClient, shard: Shard, store: ShardStore) -> ShardResult:
    """The shard body, the same on every executor: generate, then output + stats + marker."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        responses = client.generate(shard.requests)
    except BudgetExceededError as e:
        partial: list[LLMResponse | None] = list(getattr(e, "responses", [None] * len(shard.requests)))
        stats = _shard_stats(client.last_stats)
        return ShardResult(shard.id, partial, stats, budget_error=str(e), worker=worker)
    stats = _shard_stats(client.last_stats)
    store.write(shard, responses, stats)
    return ShardResult(shard.id, list(responses), stats, worker=worker)


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """What an executor may need of the run besides its shard store and in-process client: the Ray
    settings, the LLM config workers build their own clients from, engine threads, shard size."""

    ray: RayConfig
    llm: LLMConfig
    threads: int | None = None
    shard_size: int | None = None


class Executor(Closeable, ABC):
    """Runs shards somewhere. Subclasses only schedule: :meth:`_schedule` the pending shards, and say
    how a round is cut (:meth:`shard_size`)."""

    name: str = "base"

    def __init__(self, store: ShardStore, shard_size: int | None = None) -> None:
        self.store = store
        self.configured_shard_size = shard_size

    @classmethod
    @abstractmethod
    def create(cls, store: ShardStore, client: LLMClient, settings: ExecutorSettings) -> Executor:
        """The executor, from what :func:`synthrr.executors.make_executor` knows of the run."""

    def shard_size(self, n: int) -> int | None:
        """Requests per shard for a round of ``n`` requests: the configured size, else ``None`` (one
        shard); an executor with several workers may spread a round over them instead."""
        return self.configured_shard_size

    def map_shards(self, shards: Sequence[Shard]) -> Iterator[ShardResult]:
        """Yield one result per shard, in the order given; finished shards are replayed from disk."""
        pending = [s for s in shards if not self.store.is_done(s)]
        todo = {id(s) for s in pending}
        fresh = self._schedule(list(pending)) if pending else iter(())
        for shard in shards:
            yield next(fresh) if id(shard) in todo else self.store.load(shard)

    @abstractmethod
    def _schedule(self, shards: list[Shard]) -> Iterator[ShardResult]:
        """Run :func:`run_shard` on each shard (anywhere); yield results in the given order."""


def _response_to_dict(r: LLMResponse) -> dict[str, object]:
    return {
        "completions": [c.to_dict() for c in r.completions],
        "prompt_tokens": r.prompt_tokens,
        "cached": r.cached,
        "seconds": r.seconds,
    }


def _response_from_dict(d: dict[str, object]) -> LLMResponse:
    comps = tuple(Completion.from_dict(c) for c in d["completions"])  # type: ignore[attr-defined]
    return LLMResponse(
        completions=comps,
        prompt_tokens=int(d["prompt_tokens"]),  # type: ignore[call-overload]
        cached=True,
        seconds=0.0,
    )
