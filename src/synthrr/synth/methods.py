"""Synthesis methods: each turns seeds (and retrieved passages) into an ordered stream of prompt
jobs for one label. Registered by name; a new method is one class.

- ``synthesizrr``: content sourcing + task inversion with RetrICL (Divekar & Durrett 2024).
- ``fewgen``: k same-label seed demonstrations, no passage (the paper's FewGen baseline).
- ``zerogen``: a label-descriptive instruction only (Ye et al. 2022).

The paper's other baselines live in :mod:`synthrr.synth.baselines` (SuperGen, AttrPrompt, ProGen)
and :mod:`synthrr.synth.regen` (ReGen). A method may take options (``synthesis.method_options``,
validated by its ``Options`` model) and hook into the generation loop: :meth:`Method.setup`
before the first round (it may ask the LLM), :meth:`Method.sampling`, :meth:`Method.round_cap`,
:meth:`Method.feedback` after each round and :meth:`Method.select` before the quota cut.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from synthrr.config import SynthesisConfig
from synthrr.core.errors import parse_options
from synthrr.core.records import Example, Hit, SyntheticExample
from synthrr.core.registry import Registry
from synthrr.core.text import stable_hash
from synthrr.synth.deck import DemoDeck, blocks
from synthrr.synth.prompts import Demo, Prompt, cut_context, names_hint, render
from synthrr.tasks.base import TaskSpec

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.llm.base import LLMRequest, LLMResponse, Sampling
    from synthrr.retrieval.base import Retriever

#: how a method asks the LLM during :meth:`Method.setup`: requests in, answers out (None: not
#: answered, e.g. the budget ran out); the generation loop's own path (executor, cache, stats)
Ask = Callable[[list["LLMRequest"]], list["LLMResponse | None"]]


@dataclass(slots=True, frozen=True)
class Job:
    """One prompt to send, with the provenance its generations inherit."""

    id: str
    label: str
    method: str
    prompt: Prompt
    seed_id: str | None = None
    passage_id: str | None = None
    rank: int | None = None
    score: float | None = None
    demo_ids: tuple[str, ...] = ()
    block: int | None = None  # demonstration block within the label: its jobs share one prompt prefix
    widened: bool = False  # an input from below the score band, taken because the band ran out
    answer: str | None = None  # a job that needs no LLM: this text is its example (ReGen's passages)

    @property
    def prefix_group(self) -> str:
        """The scheduling unit: jobs of one block share their demonstrations (the prompt prefix)."""
        return f"{self.method}\x1f{self.label}\x1f{self.block if self.block is not None else self.id}"

    @property
    def sampling_seed(self) -> int:
        """A per-job sampling seed, so identical prompts (0-shot) still sample differently."""
        return int(self.id[-8:], 16) % (2**31 - 1)


@dataclass
class Context:
    """What a method may use: the task, seeds, retrieval results and the synthesis config."""

    spec: TaskSpec
    seeds: list[Example]
    config: SynthesisConfig
    form: str
    hits: dict[str, list[Hit]] = field(default_factory=dict)  # seed id -> hits by rank
    passages: dict[str, str] = field(default_factory=dict)  # passage id -> text
    score_kind: str = "cosine"
    corpus: Corpus | None = None  # for methods that search the corpus themselves (``needs_index``)
    retriever: Retriever | None = None

    def seeds_of(self, label: str) -> list[Example]:
        return [s for s in self.seeds if s.label == label]

    def demo_text(self, seed: Example) -> str:
        """A seed's text as shown in a demonstration: cut at a sentence end to ``demo_tokens``
        (default: the task's max new tokens, as the reference cuts seeds to the task's length)."""
        limit = self.config.demo_tokens or self.spec.max_new_tokens
        return cut_context(seed.text, 1, limit) or seed.text


#: the SynthesizRR paper's cosine-score bands (Divekar & Durrett 2024): demonstrations, inputs
PAPER_BANDS = ((0.5, 0.9), (0.4, 0.9))
# Per-retriever default score bands. Cosine: the paper's, set for Contriever's score scale. With
# MiniLM they reject 84-92 % of rank-1-2 demonstrations and 88-99 % of inputs on the built-in tasks
# (bbc_news -> wiki keeps 1 % of inputs, so SynthesizRR ran out of passages at N=40). Keeping only
# the 0.9 upper bound was tried on the validation splits (SynthesizRR-3, N=40): student accuracy
# 55.8 / 54.7 / 62.7 % on imdb / rotten_tomatoes / bbc_news against 58.1 / 56.1 / 58.5 % with these
# bands (a tie on average), label preservation 67.5 / 47.5 / 85.0 % against 77.5 / 72.5 / 77.5 %;
# so these stay the default and the run says when a band exhausts the passages.
# BM25 scores are unbounded and corpus-dependent, so they get no band.
DEFAULT_BANDS: dict[str, tuple[tuple[float, float] | None, tuple[float, float] | None]] = {
    "cosine": PAPER_BANDS,
    "bm25": (None, None),
}


def in_band(score: float, band: tuple[float, float] | None) -> bool:
    return band is None or band[0] <= score <= band[1]


class MethodOptions(BaseModel):
    """Base of a method's options (``synthesis.method_options``): unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Method(ABC):
    """A synthesis method. :meth:`jobs` yields prompt jobs for one label, best first; the hooks
    below default to "no effect" (the plain generation loop)."""

    name: ClassVar[str]
    needs_retrieval: ClassVar[bool] = False  # top-K passages per seed (``ctx.hits``)
    needs_index: ClassVar[bool] = False  # the corpus and an open retriever (``ctx.corpus``, ``ctx.retriever``)
    passages_are_examples: ClassVar[bool] = False  # its examples are corpus text (no copy filter on passages)
    uses_llm: ClassVar[bool] = True  # False: no text comes from the LLM (the manifest names no model)
    #: the template used when a task has none under this method's name
    borrows: ClassVar[str | None] = None
    Options: ClassVar[type[MethodOptions]] = MethodOptions

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = self.parse_options(options or {})

    @classmethod
    def parse_options(cls, options: dict[str, Any]) -> Any:
        """``options`` validated by :attr:`Options` (else the ConfigError naming the option)."""
        prefix, owner = "synthesis.method_options.", f"method '{cls.name}'"
        return parse_options(cls.Options, options, prefix=prefix, owner=owner, list_known=True, show_input=True)

    @abstractmethod
    def jobs(self, ctx: Context, label: str) -> Iterator[Job]: ...

    # ---- hooks into the generation loop ------------------------------------------------------
    @property
    def overgenerate(self) -> float:
        """Candidates wanted per example kept (on top of the label-consistency cut's)."""
        return 1.0

    def setup(self, ctx: Context, ask: Ask | None) -> None:  # noqa: B027 - optional hook
        """Once before the first round; ``ask`` is None in a dry run (nothing may be sent)."""

    def sampling(self, base: Sampling) -> Sampling:
        """The sampling of this method's requests (e.g. with token log-probabilities)."""
        return base

    def round_cap(self, need: int) -> int | None:
        """The most prompts a label may send in one round (None: as many as its deficit needs)."""
        return None

    def feedback(self, ctx: Context, kept: dict[str, list[SyntheticExample]]) -> None:  # noqa: B027
        """After each round, with each label's candidates that passed the filters so far."""

    def select(self, rows: list[SyntheticExample], keep: int) -> list[SyntheticExample]:
        """A label's candidates cut to (at most) ``keep``; the rest get a drop verdict."""
        return rows

    # ---- prompts ---------------------------------------------------------------------------
    def template_for(self, spec: TaskSpec) -> str:
        """The task template this method's prompts use: its own, else the one it borrows."""
        if self.name in spec.templates or self.borrows is None:
            return self.name
        return self.borrows

    def _job(
        self,
        ctx: Context,
        label: str,
        key: str,
        context: str | None,
        demos: list[Demo],
        extra: str = "",
        hint: str = "",
        **prov: object,
    ) -> Job:
        prompt = render(
            ctx.spec,
            self.template_for(ctx.spec),
            label,
            context=context,
            demos=demos,
            form=ctx.form,
            fence=ctx.config.fence_passages,
            extra=extra,
            hint=hint,
        )
        job_id = stable_hash(self.name, label, key, prompt.key, size=8)
        return Job(
            id=job_id,
            label=label,
            method=self.name,
            prompt=prompt,
            demo_ids=tuple(d.source_id for d in demos),
            **prov,  # type: ignore[arg-type]
        )


class SynthesizROptions(MethodOptions):
    keep_names: bool = Field(
        False,
        description="ask, in the prompt's own block only, to keep the passage's names of people, places and "
        "titles (measured on validation, not adopted: see docs/validation.md)",
    )


class SynthesizRR(Method):
    """Retrieve, then refine each passage into an example of the seed's label, with RetrICL
    demonstrations (passage -> seed text pairs from ranks ``icl_ranks``)."""

    name = "synthesizrr"
    needs_retrieval = True
    Options = SynthesizROptions

    def bands(self, ctx: Context) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        icl_default, input_default = DEFAULT_BANDS.get(ctx.score_kind, (None, None))
        cfg = ctx.config
        return (cfg.icl_band if cfg.icl_band is not None else icl_default), (
            cfg.input_band if cfg.input_band is not None else input_default
        )

    def demo_pool(self, ctx: Context, label: str) -> list[Demo]:
        """RetrICL demonstrations (a rank ``icl_ranks`` passage -> its seed's text) inside ``icl_band``;
        with ``widen``, a label left with none takes them below the band (never above it)."""
        icl_band, _ = self.bands(ctx)
        pool = self._demos(ctx, label, lambda score: in_band(score, icl_band))
        if not pool and ctx.config.widen and icl_band is not None:
            pool = self._demos(ctx, label, lambda score: score <= icl_band[1])
        return pool

    def _demos(self, ctx: Context, label: str, keep: Callable[[float], bool]) -> list[Demo]:
        lo, hi = ctx.config.icl_ranks
        cmin, cmax = ctx.config.context_tokens
        pool = []
        for seed in ctx.seeds_of(label):
            for h in ctx.hits.get(seed.id, []):
                if lo <= h.rank <= hi and keep(h.score):
                    context = cut_context(ctx.passages[h.passage_id], cmin, cmax)
                    if context is not None:
                        pool.append(Demo(text=ctx.demo_text(seed), context=context, source_id=seed.id))
        return pool

    def inputs(self, ctx: Context, label: str) -> Iterator[tuple[Example, Hit, str, bool]]:
        """(seed, hit, cut passage, widened) synthesis inputs: first those inside ``input_band``, then,
        with ``widen``, those below it (never above: near-copies of the seed), each pass round-robin
        over seeds rank by rank so a partial quota still covers every seed; each passage once per label."""
        _, band = self.bands(ctx)
        used: set[str] = set()
        for seed, h, context in self._inputs(ctx, label, lambda score: in_band(score, band), used):
            yield seed, h, context, False
        if ctx.config.widen and band is not None:
            for seed, h, context in self._inputs(ctx, label, lambda score: score < band[0], used):
                yield seed, h, context, True

    def _inputs(
        self, ctx: Context, label: str, keep: Callable[[float], bool], used: set[str]
    ) -> Iterator[tuple[Example, Hit, str]]:
        first_input_rank = ctx.config.icl_ranks[1] + 1  # same inputs for 0-shot and k-shot
        cmin, cmax = ctx.config.context_tokens
        seeds = ctx.seeds_of(label)
        inputs = {s.id: [h for h in ctx.hits.get(s.id, []) if h.rank >= first_input_rank] for s in seeds}
        depth = max((len(v) for v in inputs.values()), default=0)
        for i in range(depth):
            for seed in seeds:
                hits = inputs[seed.id]
                if i >= len(hits) or hits[i].passage_id in used or not keep(hits[i].score):
                    continue
                context = cut_context(ctx.passages[hits[i].passage_id], cmin, cmax)
                if context is not None:
                    used.add(hits[i].passage_id)
                    yield seed, hits[i], context

    def jobs(self, ctx: Context, label: str) -> Iterator[Job]:
        """Inputs in blocks of ``demo_block``: a block's prompts share one draw of demonstrations
        (so the engine reuses their prefix); the draws rotate through the pool block by block."""
        shots = ctx.config.shots
        pool = self.demo_pool(ctx, label) if shots else []
        deck = DemoDeck(random.Random(stable_hash(str(ctx.config.seed), label)), pool)
        # a block's own seeds are banned from its demonstrations: with few seeds, smaller blocks
        # leave ``shots`` others to draw from
        sources = len({d.source_id for d in pool})
        small = shots > 0 and sources < ctx.config.demo_block + shots
        size = max(1, sources - shots) if small else ctx.config.demo_block
        hint = names_hint(ctx.spec) if self.options.keep_names else ""
        for b, chunk in enumerate(blocks(self.inputs(ctx, label), size)):
            demos = deck.draw(shots, exclude=[seed.id for seed, _, _, _ in chunk])
            for seed, h, context, widened in chunk:
                yield self._job(
                    ctx,
                    label,
                    f"{seed.id}|{h.passage_id}",
                    context,
                    demos,
                    hint=hint,
                    seed_id=seed.id,
                    passage_id=h.passage_id,
                    rank=h.rank,
                    score=float(h.score),
                    block=b,
                    widened=widened,
                )


class FewGen(Method):
    """Class-conditioned few-shot prompting: ``shots`` random same-label seeds, no passage."""

    name = "fewgen"

    def jobs(self, ctx: Context, label: str) -> Iterator[Job]:
        """Endless prompts; every ``demo_block`` consecutive ones share one draw of demonstrations."""
        pool = [Demo(text=ctx.demo_text(s), source_id=s.id) for s in ctx.seeds_of(label)]
        deck = DemoDeck(random.Random(stable_hash(str(ctx.config.seed), label, self.name)), pool)
        size = ctx.config.demo_block
        i = 0
        while True:
            demos = self.demos(deck, ctx.config.shots)
            for _ in range(size):
                yield self._job(ctx, label, f"#{i}", None, demos, block=i // size)
                i += 1

    def demos(self, deck: DemoDeck, shots: int) -> list[Demo]:
        return deck.draw(shots)


class ZeroGen(FewGen):
    """Zero-shot, label-descriptive prompting (no demonstrations)."""

    name = "zerogen"

    def demos(self, deck: DemoDeck, shots: int) -> list[Demo]:
        return []


METHODS: Registry[type[Method]] = Registry(
    "method",
    "synthrr.methods",
    {
        "synthesizrr": "synthrr.synth.methods:SynthesizRR",
        "fewgen": "synthrr.synth.methods:FewGen",
        "zerogen": "synthrr.synth.methods:ZeroGen",
        "supergen": "synthrr.synth.baselines:SuperGen",
        "attrprompt": "synthrr.synth.baselines:AttrPrompt",
        "progen": "synthrr.synth.baselines:ProGen",
        "regen": "synthrr.synth.regen:ReGen",
    },
)
