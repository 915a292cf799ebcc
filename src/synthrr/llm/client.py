"""The one path every LLM call takes: cache lookup, budget, backend, cache write, accounting.

:class:`LLMClient` looks every (request, sample index) up in the :class:`~synthrr.llm.cache.store.LLMCache`,
sends only the misses to the backend in one batch (so a concurrent engine runs them side by
side), writes each answer to the cache the moment it arrives, keeps a :class:`Stats` record and
stops cleanly before a request could exceed the budget. Retries belong to backends; the client
never repeats a request.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.core.errors import BackendError, BudgetExceededError
from synthrr.core.log import progress, step
from synthrr.llm import BACKENDS
from synthrr.llm.base import LLMBackend, LLMRequest, LLMResponse
from synthrr.llm.cache.store import CacheEntry, CacheRow, LLMCache, cache_key
from synthrr.llm.projection import Projection, estimate_prompt_tokens
from synthrr.llm.stats import Stats

if TYPE_CHECKING:
    from synthrr.config import BudgetConfig, LLMConfig


def adjacent_groups(jobs: list[_Job]) -> list[_Job]:
    """Reorder jobs so those of one prefix group (``LLMRequest.group``) are adjacent, groups in
    order of first appearance, each keeping its own order: same-prefix requests go out back to back,
    which is what prompt caches (llama.cpp slots, vLLM's prefix caching) reuse."""
    first: dict[object, int] = {}
    keys = []
    for pos, job in enumerate(jobs):
        key = job.request.group if job.request.group is not None else pos
        keys.append(first.setdefault(key, pos))
    order = sorted(range(len(jobs)), key=keys.__getitem__)
    return [jobs[i] for i in order]


@dataclass(slots=True)
class _Group:
    """Requests with identical cache keys (duplicates in one batch are generated once)."""

    request: LLMRequest
    keys: list[str]
    members: list[int]
    samples: dict[int, CacheEntry] = field(default_factory=dict)
    seconds: float = 0.0
    fresh: bool = False

    def done(self) -> bool:
        return len(self.samples) == len(self.keys)

    def response(self) -> LLMResponse:
        entries = [self.samples[i] for i in range(len(self.keys))]
        return LLMResponse(
            completions=tuple(e.completion for e in entries),
            prompt_tokens=entries[0].prompt_tokens,
            cached=not self.fresh,
            seconds=self.seconds,
        )


@dataclass(slots=True, frozen=True)
class _Job:
    """A run of missing samples ``[start, start + calls)`` of one group, as a backend request."""

    group: _Group
    start: int
    request: LLMRequest
    calls: int
    prompt_estimate: int  # per engine call


class LLMClient:
    """Cache + budget + accounting around one backend. Not thread-safe; one client per worker."""

    def __init__(
        self,
        backend: LLMBackend,
        cache: LLMCache | None = None,
        *,
        price_in: float = 0.0,
        price_out: float = 0.0,
        budget: BudgetConfig | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.price_in = price_in
        self.price_out = price_out
        self.budget = budget
        self.log = log if log is not None else step
        self.stats = Stats()  # everything this client did
        self.last_stats = Stats()  # the most recent generate() call
        self.last_projection: Projection | None = None
        self._model: str | None = None
        self._label: str | None = None
        self._estimated = self._observed = 0  # prompt tokens, for calibrating estimates

    # ---- identity --------------------------------------------------------------------------
    @property
    def model(self) -> str:
        if self._model is None:
            self._model = self.backend.model_identity()
        return self._model

    @property
    def label(self) -> str:
        if self._label is None:
            self._label = self.backend.model_label()
        return self._label

    def cost_of(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_in + completion_tokens * self.price_out) / 1e6

    # ---- public API ------------------------------------------------------------------------
    def generate(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """Answer every request, in order. On a budget stop the error's ``responses`` attribute
        holds the answers so far (``None`` where unanswered); all of them are in the cache."""
        out: list[LLMResponse | None] = [None] * len(requests)
        try:
            for i, resp in self.iter_generate(requests):
                out[i] = resp
        except BudgetExceededError as e:
            e.responses = out  # type: ignore[attr-defined]
            raise
        return out  # type: ignore[return-value]

    def project(self, requests: Sequence[LLMRequest]) -> Projection:
        """What sending ``requests`` would cost (answers in the cache counted), without sending anything."""
        requests = list(requests)
        before = replace(self.stats)
        groups = self._lookup(requests)
        self.stats = before  # a projection is not a lookup: the tally stays as it was
        return self._project(requests, adjacent_groups([job for g in groups for job in self._jobs(g)]))

    def iter_generate(self, requests: Sequence[LLMRequest]) -> Iterator[tuple[int, LLMResponse]]:
        """Yield ``(index, response)`` as answers become available: cached ones first."""
        requests = list(requests)
        before = replace(self.stats)
        self.stats.requests += len(requests)
        groups = self._lookup(requests)
        jobs = adjacent_groups([job for g in groups for job in self._jobs(g)])
        n_done = sum(len(g.members) for g in groups if g.done())
        projection = self._project(requests, jobs)
        self.last_projection = projection
        if jobs:
            self.log(projection.format(f"{self.backend.name} ({self.label})"))
        bar = self._bar(len(requests), n_done) if jobs else None
        try:
            for g in groups:
                if g.done():
                    for i in g.members:
                        yield i, g.response()
            queue = deque(jobs)
            while queue:
                wave = self._admit(queue)
                if not wave:
                    raise BudgetExceededError(self._budget_message(queue))
                for g in self._run_wave(wave, bar):
                    for i in g.members:
                        yield i, g.response()
        finally:
            if bar is not None:
                bar.close()
            self.last_stats = self.stats - before
            if jobs:
                self.log(f"LLM {self.backend.name}: {self.last_stats.summary()}")

    def close(self) -> None:
        self.backend.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- steps -----------------------------------------------------------------------------
    def _lookup(self, requests: list[LLMRequest]) -> list[_Group]:
        by_keys: dict[tuple[str, ...], _Group] = {}
        for i, req in enumerate(requests):
            keys = [cache_key(self.backend.name, self.model, req, s) for s in range(req.sampling.n)]
            group = by_keys.get(tuple(keys))
            if group is None:
                by_keys[tuple(keys)] = _Group(request=req, keys=keys, members=[i])
            else:
                group.members.append(i)
        groups = list(by_keys.values())
        if self.cache is not None:
            found = self.cache.get_many([k for g in groups for k in g.keys])
            for g in groups:
                for s, k in enumerate(g.keys):
                    if k in found:
                        g.samples[s] = found[k]
        hits = sum(len(g.samples) * len(g.members) for g in groups)
        self.stats.cache_hits += hits
        self._count_cached(groups)
        return groups

    def _count_cached(self, groups: list[_Group]) -> None:
        """What the answers found in the cache cost when generated (once per distinct request)."""
        s, native = self.stats, self.backend.capabilities.native_n
        for g in groups:
            entries = list(g.samples.values())
            if entries:
                s.cached_prompt_tokens += entries[0].prompt_tokens * (1 if native else len(entries))
                s.cached_completion_tokens += sum(e.completion.completion_tokens for e in entries)
                s.cached_seconds += sum(e.seconds for e in entries)

    def _jobs(self, group: _Group) -> Iterator[_Job]:
        missing = [s for s in range(len(group.keys)) if s not in group.samples]
        est_prompt = estimate_prompt_tokens(group.request)
        while missing:
            start = end = missing.pop(0)
            while missing and missing[0] == end + 1:
                end = missing.pop(0)
            sampling = replace(group.request.sampling, seed=group.request.sampling.seed + start, n=end - start + 1)
            yield _Job(group, start, replace(group.request, sampling=sampling), end - start + 1, est_prompt)

    def _worst_case(self, job: _Job) -> tuple[int, int, int]:
        """(calls, prompt tokens, completion tokens) a job may use at most, by the current estimate."""
        scale = max(1.0, self._observed / self._estimated) if self._estimated else 1.0
        per_call = int(job.prompt_estimate * scale + 0.5)
        prompt = per_call * (1 if self.backend.capabilities.native_n else job.calls)
        return job.calls, prompt, job.request.sampling.max_tokens * job.calls

    def _project(self, requests: list[LLMRequest], jobs: list[_Job]) -> Projection:
        completions = sum(r.sampling.n for r in requests)
        calls, prompt, completion = (
            (sum(x) for x in zip(*map(self._worst_case, jobs), strict=True)) if jobs else (0, 0, 0)
        )
        cost = self.cost_of(prompt, completion)
        return Projection(
            requests=len(requests),
            completions=completions,
            cached=completions - calls,
            to_send=calls,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost=cost,
            over_budget=tuple(self._over_budget(calls, prompt + completion, cost)),
        )

    def _over_budget(self, calls: int, tokens: int, cost: float) -> list[str]:
        """The budget limits that ``calls`` / ``tokens`` / ``cost`` more would pass."""
        b, s = self.budget, self.stats
        over: list[str] = []
        if b is None:
            return over
        if b.max_calls is not None and s.calls + calls > b.max_calls:
            over.append(f"max_calls={b.max_calls}")
        if b.max_tokens is not None and s.total_tokens + tokens > b.max_tokens:
            over.append(f"max_tokens={b.max_tokens}")
        if b.max_cost is not None and s.cost + cost > b.max_cost:
            over.append(f"max_cost={b.max_cost}")
        return over

    def _admit(self, queue: deque[_Job]) -> list[_Job]:
        """Pop the longest prefix of jobs whose worst case fits in what is left of the budget."""
        wave: list[_Job] = []
        calls = prompt = completion = 0
        while queue:
            c, p, n = self._worst_case(queue[0])
            if self._over_budget(calls + c, prompt + p + completion + n, self.cost_of(prompt + p, completion + n)):
                break
            wave.append(queue.popleft())
            calls, prompt, completion = calls + c, prompt + p, completion + n
        return wave

    def _run_wave(self, wave: list[_Job], bar: _Bar | None) -> Iterator[_Group]:
        """Send one batch to the backend; cache, count and yield each group as it completes."""
        native = self.backend.capabilities.native_n
        it = self.backend.generate([j.request for j in wave])
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    k, resp = next(it)
                finally:
                    waited = time.perf_counter() - t0
                    self.stats.seconds += waited
                job = wave[k]
                if len(resp.completions) != job.calls:
                    raise BackendError(
                        self.backend.name,
                        f"malformed response: expected {job.calls} completions, got {len(resp.completions)}",
                    )
                self._record(job, resp, native, waited)
                if bar is not None:
                    bar.update(0 if not job.group.done() else len(job.group.members), self.stats)
                if job.group.done():
                    yield job.group
        except StopIteration:
            return
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def _record(self, job: _Job, resp: LLMResponse, native: bool, waited: float) -> None:
        """Cache and count one answer; ``waited``: the engine time it took, shared by its samples."""
        now = time.time()
        group = job.group
        rows = []
        share = waited / max(1, len(resp.completions))
        for j, comp in enumerate(resp.completions):
            entry = CacheEntry(completion=comp, prompt_tokens=resp.prompt_tokens, created=now, seconds=share)
            group.samples[job.start + j] = entry
            rows.append(
                CacheRow(group.keys[job.start + j], self.backend.name, self.model, self.label, job.start + j, entry)
            )
        if self.cache is not None:
            self.cache.put_many(rows)  # one commit per answered request: a crash loses nothing answered
        group.fresh = True
        group.seconds += resp.seconds
        self._estimated += job.prompt_estimate
        self._observed += resp.prompt_tokens
        prompt = resp.prompt_tokens * (1 if native else job.calls)
        completion = sum(c.completion_tokens for c in resp.completions)
        s = self.stats
        s.calls += job.calls
        s.prompt_tokens += prompt
        s.completion_tokens += completion
        s.cost += self.cost_of(prompt, completion)
        # duplicates of this request in the batch are answered by the same completions
        s.cache_hits += job.calls * (len(group.members) - 1)

    def _budget_message(self, queue: deque[_Job]) -> str:
        calls, prompt, completion = self._worst_case(queue[0])
        over = self._over_budget(calls, prompt + completion, self.cost_of(prompt, completion))
        left = sum(len(j.group.members) for j in {id(j.group): j for j in queue}.values())
        s = self.stats
        return (
            f"LLM budget reached: the next request would pass llm.budget {', '.join(over)} "
            f"(used {s.calls} calls, {s.total_tokens:,} tokens, cost {s.cost:.4f}); "
            f"{left} request(s) not sent. Everything answered is cached: raise the budget and rerun to continue."
        )

    def _bar(self, total: int, done: int) -> _Bar:
        return _Bar(total, done)


class _Bar:
    """tqdm bar: requests done / total, tokens/s, cache hits, ETA (rate counts only new answers)."""

    def __init__(self, total: int, done: int) -> None:
        self._bar = progress(total=total, initial=done, unit="req", desc="LLM", dynamic_ncols=True)

    def update(self, n: int, stats: Stats) -> None:
        self._bar.set_postfix_str(f"{stats.tokens_per_s:.0f} tok/s, {stats.cache_hits} hits", refresh=False)
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


def make_client(
    llm_config: LLMConfig,
    *,
    threads: int | None = None,
    cache_path: str | Path | None = None,
) -> LLMClient:
    """Build the configured backend (options validated) and wrap it in a client.

    ``threads`` (e.g. ``RunConfig.threads``) fills a backend's ``threads`` option when the
    config does not set it.
    """
    cls = BACKENDS.get(llm_config.backend)
    options = llm_config.backend_options(cls.model_option)
    if threads is not None and "threads" in cls.Options.model_fields and options.get("threads") is None:
        options["threads"] = threads
    backend = cls.from_options(options)
    return LLMClient(
        backend,
        LLMCache(cache_path) if llm_config.cache else None,
        price_in=llm_config.price_in,
        price_out=llm_config.price_out,
        budget=llm_config.budget,
    )


__all__ = ["LLMClient", "Projection", "Stats", "estimate_prompt_tokens", "make_client"]
