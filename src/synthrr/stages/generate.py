"""``generate``: task + corpus + LLM -> a labelled synthetic dataset in a run directory.

Stages: seeds -> retrieve (SynthesizRR only) -> jobs (demonstrations + prompts) -> LLM (cached)
-> parse -> filters -> label consistency -> quota -> write. Rounds of prompts top the quota up
until it is met or the candidate pool, the prompt cap or the budget runs out.

Resume: every LLM answer is committed to the content-addressed cache as it arrives and jobs are
deterministic given the config, so rerunning the same command after a crash replays finished calls
from the cache (zero repeated calls); outputs are written atomically at the end, so there are never
duplicate rows. A changed config has a different fingerprint, hence a new run directory.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from synthrr.config import RunConfig
from synthrr.core.io import writable_dir
from synthrr.core.log import progress_enabled, step
from synthrr.core.records import Example, SyntheticExample
from synthrr.corpus import get_corpus
from synthrr.executors import make_executor, make_shards
from synthrr.llm.base import LLMRequest, LLMResponse, Sampling
from synthrr.llm.client import make_client
from synthrr.retrieval import RETRIEVERS, retriever_from_config
from synthrr.run.identity import fingerprint, run_dir_for
from synthrr.run.manifest import LabelQuota, RunManifest, StageStats
from synthrr.run.plan import Plan, forecast_requests, warn_if_long
from synthrr.run.rundir import RunLock, write_generation
from synthrr.stages.retrieve import open_index_for_run, retrieve_for_run, reuse_hits
from synthrr.stages.seeds import draw_seed_set
from synthrr.synth.cuts import build_filters, consistency_factor, label_consistency_cut, method_cut
from synthrr.synth.filters import Filter, run_filters
from synthrr.synth.methods import METHODS, Ask, Context, Job, Method
from synthrr.synth.quota import LabelState, label_targets, next_batch
from synthrr.synth.rows import answers, job_request, job_rows, prompt_text

if TYPE_CHECKING:
    from synthrr.executors import Executor
    from synthrr.llm.client import LLMClient
    from synthrr.tasks.base import Task, TaskSpec


@dataclass
class RunResult:
    run_dir: Path
    rows: list[SyntheticExample]
    candidates: list[SyntheticExample]
    manifest: RunManifest


@dataclass
class _Rounds:
    """What every round of a run shares, and how many there were."""

    filters: list[Filter]
    base: Sampling
    stop: tuple[str, ...]
    spec: TaskSpec
    model: str
    max_prompts: int
    count: int = 0


class Generator:
    """One generation run. Construct, then :meth:`run`."""

    def __init__(self, cfg: RunConfig, *, client: LLMClient | None = None) -> None:
        self.cfg = cfg
        self._client = client
        #: counts, drops, timings and LLM use so far: the shards' tallies plus this process's own
        self.tally = StageStats()
        self.stop_reason: str | None = None
        self.workers: set[str] = set()  # host:pid of every process that ran a shard
        self.widened: dict[str, int] = {}  # label -> prompts on passages below the score band
        self.prompts: dict[str, str] = {}  # prompt hash -> the prompt as sent (prompts.parquet)
        #: the synthesis method (an unknown name or a bad option fails here, before any work)
        self.method: Method = METHODS.get(cfg.synthesis.method)(cfg.synthesis.method_options)

    # ---- stages -----------------------------------------------------------------------------
    def _timed(self, name: str, t0: float) -> None:
        self.tally += StageStats(timings_s={name: time.perf_counter() - t0})

    def _count(self, **counts: int) -> None:
        self.tally += StageStats(counts=counts)

    def prepare(self) -> tuple[Task, list[Example], Context]:
        cfg = self.cfg
        t0 = time.perf_counter()
        task, seeds = draw_seed_set(cfg)
        self._timed("seeds", t0)
        ctx = Context(spec=task.spec, seeds=seeds, config=cfg.synthesis, form="chat")
        if self.method.needs_retrieval or self.method.needs_index:
            t0 = time.perf_counter()
            self._retrieve(ctx, seeds)
            self._timed("retrieve", t0)
        return task, seeds, ctx

    def _retrieve(self, ctx: Context, seeds: list[Example]) -> None:
        """Top-K hits per seed (``needs_retrieval``), or the corpus and its open index (``needs_index``)."""
        cfg = self.cfg
        corpus = get_corpus(cfg.corpus.name, cfg.corpus)
        if not self.method.needs_retrieval:
            ctx.corpus, ctx.retriever = corpus, retriever_from_config(cfg.retrieval, threads=cfg.threads)
            open_index_for_run(cfg, corpus, ctx.retriever)
            ctx.score_kind = ctx.retriever.score_kind
            return
        if cfg.hits_from is not None:
            hits = reuse_hits(cfg, cfg.hits_from, seeds)
            ctx.score_kind = RETRIEVERS.get(cfg.retrieval.retriever).score_kind
        else:
            hits, retriever = retrieve_for_run(cfg, seeds, corpus)
            ctx.score_kind = retriever.score_kind
        for h in hits:
            ctx.hits.setdefault(h.seed_id, []).append(h)
        ids = sorted({h.passage_id for h in hits})
        ctx.passages = {p.id: p.text for p in corpus.get(ids)}
        self._count(retrieved_hits=len(hits))

    def client(self) -> LLMClient:
        if self._client is None:
            self._client = make_client(self.cfg.llm, threads=self.cfg.threads)
        return self._client

    def filters(self, task: Task, seeds: list[Example], ctx: Context) -> list[Filter]:
        return build_filters(self.cfg, self.method, task, seeds, ctx)

    def _generate(self, executor: Executor, round_no: int, requests: list[LLMRequest]) -> list[LLMResponse | None]:
        """One round's requests, cut into shards and answered by the executor (in order)."""
        responses: list[LLMResponse | None] = []
        shards = make_shards(round_no, requests, executor.shard_size(len(requests)))
        for result in executor.map_shards(shards):
            responses.extend(result.responses)
            self.tally += result.stats
            if result.worker:
                self.workers.add(result.worker)
            if result.budget_error is not None and self.stop_reason is None:
                self.stop_reason = "budget"
                step(f"stopping: {result.budget_error}")
        return responses

    def run(self) -> RunResult:
        writable_dir(Path(self.cfg.out) if self.cfg.out else Path("runs"), "output folder (out)")
        self._executor: Executor | None = None
        self._lock: RunLock | None = None
        try:
            return self._run()
        finally:
            if self._executor is not None:
                self._executor.close()
            if self._lock is not None:
                self._lock.release()

    def _setup(
        self, client: LLMClient, task: Task, seeds: list[Example], ctx: Context, ask: Ask | None
    ) -> tuple[dict[str, int], dict[str, LabelState], _Rounds]:
        """Label targets, each label's state and job queue, and what every round shares; runs the
        method's setup (which may ``ask`` the LLM)."""
        cfg, sc, method = self.cfg, self.cfg.synthesis, self.method
        ctx.form = (
            sc.prompt_form if sc.prompt_form != "auto" else "chat" if client.backend.capabilities.chat else "completion"
        )
        targets = label_targets(task, task.spec.label_names, sc.n, sc.label_distribution)
        factor = consistency_factor(cfg) * method.overgenerate
        method.setup(ctx, ask)
        states = {}
        for lab, t in targets.items():
            need = math.ceil(t * factor)
            states[lab] = LabelState(target=t, need=need, jobs=method.jobs(ctx, lab), per_round=method.round_cap(need))
        base = Sampling.from_config(cfg.llm.sampling, default_max_tokens=task.spec.max_new_tokens)
        rounds = _Rounds(
            filters=self.filters(task, seeds, ctx),
            base=method.sampling(base),
            stop=(task.spec.context_header,) if ctx.form == "completion" else (),
            spec=task.spec,
            model=client.model,
            max_prompts=sc.max_prompts or 4 * math.ceil(sc.n * factor),
        )
        return targets, states, rounds

    def _run(self) -> RunResult:
        started = time.perf_counter()
        client = self.client()
        if client.cache is not None:
            client.cache.open()  # a damaged cache stops the run now, not after seeds and retrieval
        task, seeds, ctx = self.prepare()
        run_dir = run_dir_for(self.cfg, task.name)
        self._lock = RunLock(run_dir).acquire()  # before any LLM call: one writer per run directory
        cfg = self.cfg
        executor = self._executor = make_executor(
            cfg.executor,
            cfg.ray,
            run_dir / "shards",
            client,
            llm=cfg.llm,
            threads=cfg.threads,
            shard_size=cfg.shard_size,
        )
        targets, states, rounds = self._setup(
            client, task, seeds, ctx, ask=lambda requests: self._generate(executor, 0, requests)
        )
        candidates: list[SyntheticExample] = []
        while self.stop_reason is None:
            batch = next_batch(states, rounds.max_prompts)
            if not batch:
                if any(len(st.kept) < st.need and not st.exhausted for st in states.values()):
                    self.stop_reason = "max_prompts"
                break
            rounds.count += 1
            if rounds.count == 1 and progress_enabled():
                self._warn_if_long(client, rounds, batch)
            candidates.extend(self._round(executor, rounds, batch, states))
            self.method.feedback(ctx, {lab: st.kept for lab, st in states.items()})
        rows, shortfall = self._finish(states)
        self._count(rounds=rounds.count)
        for f in rounds.filters:
            self._count(**f.counts())
        self._timed("total", started)
        manifest = self._manifest(task, targets, shortfall, client, ctx)
        hits = [h for seed_hits in ctx.hits.values() for h in seed_hits]
        used = {c.passage_id for c in candidates if c.passage_id}
        passages = {pid: ctx.passages[pid] for pid in sorted(used) if pid in ctx.passages}
        write_generation(
            run_dir,
            self.cfg,
            rows,
            candidates,
            manifest,
            seeds=seeds,
            hits=hits,
            prompts=self.prompts,
            passages=passages,
        )
        return RunResult(run_dir=run_dir, rows=rows, candidates=candidates, manifest=manifest)

    def _warn_if_long(self, client: LLMClient, rounds: _Rounds, batch: list[Job]) -> None:
        """Before round 1 of a run projected to take long: its calls, tokens and time, and a smaller --n."""
        warn_if_long(self.cfg, client, [job_request(j, rounds.base, rounds.stop) for j in batch if j.answer is None])

    def plan(self) -> Plan:
        """A dry run: seeds, retrieval and the first round's prompts, projected through the cache;
        no LLM call, nothing written."""
        client = self.client()
        if client.cache is not None:
            client.cache.open()
        task, seeds, ctx = self.prepare()
        targets, states, rounds = self._setup(client, task, seeds, ctx, ask=None)
        batch = next_batch(states, rounds.max_prompts)
        requests = [job_request(j, rounds.base, rounds.stop) for j in batch if j.answer is None]
        fc = forecast_requests(self.cfg, client, requests)
        return Plan(
            run_dir=run_dir_for(self.cfg, task.name),
            targets=targets,
            first_round=fc.projection,
            max_prompts=rounds.max_prompts,
            example=requests[0] if requests else None,
            label=f"{client.backend.name} ({client.label})",
            forecast=fc,
        )

    def _round(
        self, executor: Executor, rounds: _Rounds, batch: list[Job], states: dict[str, LabelState]
    ) -> list[SyntheticExample]:
        """Send one round's prompts, parse and filter the answers; survivors join their label's
        pool. Returns every parsed row of the round (the candidates, with their verdicts)."""
        t0 = time.perf_counter()
        asked = [j for j in batch if j.answer is None]  # a job with an answer needs no LLM (ReGen)
        self.prompts.update((j.prompt.key, prompt_text(j.prompt)) for j in batch)
        requests = [job_request(j, rounds.base, rounds.stop) for j in asked]
        responses = dict(zip((j.id for j in asked), self._generate(executor, rounds.count, requests), strict=True))
        self._timed("generate", t0)
        t0 = time.perf_counter()
        new_rows: list[SyntheticExample] = []
        for job in batch:
            resp = responses.get(job.id)
            if resp is None and job.answer is None:
                continue
            states[job.label].prompts += 1
            states[job.label].widened += int(job.widened)
            self._count(prompts=1)
            comps = answers(job, resp)
            rows, parse_drops = job_rows(job, comps, rounds.model, rounds.spec, self.cfg.synthesis.truncated)
            self.tally += StageStats(counts={"completions": len(comps)}, drops=parse_drops)
            new_rows.extend(rows)
        survivors, drops = run_filters(rounds.filters, new_rows)
        self.tally += StageStats(counts={"parsed": len(new_rows)}, drops=dict(drops))
        for row in survivors:
            states[row.label].kept.append(row)
        self._timed("parse_filter", t0)
        if progress_enabled():
            self._report_round(rounds.count, states)
        return new_rows

    def _finish(self, states: dict[str, LabelState]) -> tuple[list[SyntheticExample], dict[str, int]]:
        """The label-consistency cut, then each label's first ``target`` rows; rows past it are
        ``over_quota``. Returns the kept rows and the shortfall per label."""
        self.widened = {lab: st.widened for lab, st in states.items() if st.widened}
        if self.widened:
            widened = ", ".join(f"{label} {n}" for label, n in self.widened.items())
            step(f"score band ran out; prompts on lower-scored passages: {widened}")
        t0 = time.perf_counter()
        self.tally += StageStats(drops=method_cut(self.cfg, self.method, states))
        if self.cfg.synthesis.filters.label_consistency != "none":
            self.tally += StageStats(drops=label_consistency_cut(self.cfg, states))
        self._timed("label_consistency", t0)
        rows: list[SyntheticExample] = []
        for st in states.values():
            rows.extend(st.kept[: st.target])
            for row in st.kept[st.target :]:
                row.verdict = "over_quota"
        self._count(kept=len(rows))
        shortfall = {lab: st.target - len(st.kept[: st.target]) for lab, st in states.items()}
        shortfall = {k: v for k, v in shortfall.items() if v > 0}
        if shortfall and self.stop_reason is None:
            self.stop_reason = "candidate_pool_exhausted"
        return rows, shortfall

    def _report_round(self, rounds: int, states: dict[str, LabelState]) -> None:
        """One live status line per round: candidates per label, drops by reason, tokens/s."""
        labels = ", ".join(f"{lab} {len(st.kept)}/{st.need}" for lab, st in states.items())
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.tally.drops.items())) or "none"
        step(
            f"round {rounds}: candidates {labels}; dropped {drops}; "
            f"LLM {self.tally.llm.calls} calls, {self.tally.llm.cache_hits} cache hits, "
            f"{self.tally.llm.tokens_per_s:.0f} tok/s"
        )

    def _manifest(
        self, task: Task, targets: dict[str, int], shortfall: dict[str, int], client: LLMClient, ctx: Context
    ) -> RunManifest:
        per_label = {
            lab: LabelQuota(target=t, kept=t - shortfall.get(lab, 0), widened_prompts=self.widened.get(lab, 0))
            for lab, t in targets.items()
        }
        return RunManifest.from_stats(
            self.tally,
            status="complete" if not shortfall else "incomplete",
            stop_reason=self.stop_reason,
            fingerprint=fingerprint(self.cfg),
            task=task.name,
            method=self.cfg.synthesis.method,
            prompt_form=ctx.form,
            model=(
                {"backend": client.backend.name, "identity": client.model, "label": client.label}
                if self.method.uses_llm
                else NO_LLM
            ),
            per_label=per_label,
            executor={"name": self.cfg.executor, "workers": sorted(self.workers)},
            config=self.cfg.public_dict(),
        )


#: the manifest's ``model`` of a method whose texts come from the corpus, not an LLM (ReGen)
NO_LLM = {"backend": "none", "identity": "none", "label": "none (retrieved passages, no LLM)"}


def plan(cfg: RunConfig, *, client: LLMClient | None = None) -> Plan:
    """A dry run of ``cfg`` (see :meth:`Generator.plan`)."""
    return Generator(cfg, client=client).plan()


def generate(cfg: RunConfig, *, client: LLMClient | None = None) -> RunResult:
    """Run one synthesis job described by ``cfg`` (see the module docstring); progress follows
    :func:`synthrr.core.log.progress_switch`."""
    return Generator(cfg, client=client).run()
