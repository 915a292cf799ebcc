"""The paper's generating baselines beside FewGen and ZeroGen (docs/synthesis.md says what each
keeps from its original and what it simplifies):

- ``supergen`` (Meng et al. 2022): label-descriptive prompts; of each label's candidates, keep
  those the generator finds likeliest (mean token log-probability of the completion).
- ``attrprompt`` (Yu et al. 2023): the LLM first proposes values of attributes (subtopic, style,
  ...) per label; each prompt combines one random value of each.
- ``progen`` (Ye et al. 2022): rounds; after each, a proxy student fitted on the candidates so far
  scores them by influence on the seed set's loss, and each label's most helpful candidates become
  the next round's demonstrations.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from synthrr.core.text import stable_hash
from synthrr.encoders.sentence import get_encoder
from synthrr.llm.base import LLMRequest, Sampling
from synthrr.synth.influence import influence_scores
from synthrr.synth.methods import Ask, Context, Job, Method, MethodOptions, ZeroGen
from synthrr.synth.prompts import Demo

if TYPE_CHECKING:
    from synthrr.core.records import SyntheticExample

log = logging.getLogger(__name__)


# ---- SuperGen ---------------------------------------------------------------------------------
class SuperGenOptions(MethodOptions):
    keep: float = Field(
        0.5, gt=0.0, le=1.0, description="share of each label's candidates kept: the likeliest under the label prompt"
    )


class SuperGen(ZeroGen):
    """Zero-shot label-descriptive prompts, asking the engine for token log-probabilities; of each
    label's candidates the likeliest ``keep`` share is kept (the rest: ``low_likelihood``)."""

    name = "supergen"
    borrows = "zerogen"
    Options = SuperGenOptions
    options: SuperGenOptions

    @property
    def overgenerate(self) -> float:
        return 1.0 / self.options.keep

    def sampling(self, base: Sampling) -> Sampling:
        return replace(base, logprobs=True)

    def select(self, rows: list[SyntheticExample], keep: int) -> list[SyntheticExample]:
        """The ``keep`` likeliest rows (a row without a log-probability ranks last), in their order."""
        ranked = sorted(rows, key=lambda r: -math.inf if r.logprob is None else r.logprob, reverse=True)
        chosen = {id(r) for r in ranked[:keep]}
        for r in rows:
            if id(r) not in chosen:
                r.verdict = "low_likelihood"
        return [r for r in rows if id(r) in chosen]


# ---- AttrPrompt -------------------------------------------------------------------------------
class AttrPromptOptions(MethodOptions):
    attributes: list[str] = Field(
        default_factory=lambda: ["subtopic", "style"],
        min_length=1,
        description="attribute dimensions whose values the LLM proposes per label",
    )
    values: int = Field(8, ge=1, le=50, description="values asked for per attribute and label")
    samples: int = Field(3, ge=1, le=20, description="answers sampled per attribute question (values pooled)")


_BULLET = re.compile(r"^\s*(?:[-*•]+|\d{1,2}[.)]|[a-z][.)])\s*", re.IGNORECASE)


def parse_values(text: str, limit: int) -> list[str]:
    """Attribute values from an LLM's list: one per line, bullets and numbering removed, 2-60
    characters with a word in them and at most 8 words each, de-duplicated (case-insensitive), at most ``limit``."""
    out: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        value = _BULLET.sub("", line).strip().strip("\"'").rstrip(".,;:").strip()
        if ":" in value and len(value.split(":", 1)[1].strip()) > 1:  # "Subtopic: x" -> "x"
            value = value.split(":", 1)[1].strip()
        wordy = re.search(r"[^\W_]{2}", value) is not None
        if not wordy or not 2 <= len(value) <= 60 or len(value.split()) > 8 or value.lower() in seen:
            continue
        seen.add(value.lower())
        out.append(value)
        if len(out) >= limit:
            break
    return out


class AttrPrompt(Method):
    """Attributed prompts: values per (label, attribute) proposed by the LLM once, then every
    prompt is the zero-shot instruction plus one random value of each attribute."""

    name = "attrprompt"
    borrows = "zerogen"
    Options = AttrPromptOptions
    options: AttrPromptOptions

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.values: dict[str, dict[str, list[str]]] = {}  # label -> attribute -> values

    def question(self, ctx: Context, label: str, attribute: str) -> str:
        spec = ctx.spec
        about = f"Task: {spec.description.strip()}\n" if spec.description.strip() else ""
        return (
            f"{about}We need texts of the class '{label}' ({spec.verbalization(label)}).\n"
            f"List {self.options.values} different {attribute}s such texts could have. "
            f"Write one per line, a few words each."
        )

    def requests(self, ctx: Context, base: Sampling) -> list[tuple[str, str, LLMRequest]]:
        sampling = replace(base, n=self.options.samples, max_tokens=120, stop=())
        out = []
        for label in ctx.spec.label_names:
            for attribute in self.options.attributes:
                q = self.question(ctx, label, attribute)
                req = (
                    LLMRequest(messages=({"role": "user", "content": q},), sampling=sampling)
                    if ctx.form == "chat"
                    else LLMRequest(text=f"{q}\n1.", sampling=sampling)
                )
                out.append((label, attribute, req))
        return out

    def setup(self, ctx: Context, ask: Ask | None) -> None:
        """Ask for every (label, attribute)'s values; a dry run uses ``{attribute}`` placeholders."""
        asks = self.requests(ctx, Sampling(temperature=0.9, top_p=0.95, seed=ctx.config.seed))
        answers = ask([r for _, _, r in asks]) if ask is not None else [None] * len(asks)
        limit = 3 * self.options.values
        for (label, attribute, _), resp in zip(asks, answers, strict=True):
            if ask is None:
                found = ["{" + attribute + "}"]
            else:
                texts = [c.text for c in resp.completions] if resp is not None else []
                found = parse_values("\n".join(texts), limit)
            if not found:
                log.warning("attrprompt: no %s values for label '%s'; prompts go without", attribute, label)
            self.values.setdefault(label, {})[attribute] = found

    def jobs(self, ctx: Context, label: str) -> Iterator[Job]:
        rng = random.Random(stable_hash(str(ctx.config.seed), label, self.name))
        attrs = {a: v for a, v in self.values.get(label, {}).items() if v}
        i = 0
        while True:
            chosen = {a: rng.choice(v) for a, v in attrs.items()}
            extra = " ".join(f"{a.capitalize()}: {v}." for a, v in chosen.items())
            yield self._job(ctx, label, f"#{i}", None, [], extra=extra)
            i += 1


# ---- ProGen -----------------------------------------------------------------------------------
class ProGenOptions(MethodOptions):
    rounds: int = Field(4, ge=1, le=100, description="feedback rounds the quota is spread over")
    shots: int | None = Field(None, ge=1, le=64, description="feedback demonstrations per prompt (default: shots)")


class ProGen(Method):
    """Progressive generation with in-context feedback. Round 1 is zero-shot; after each round a
    logistic regression on MiniLM embeddings (the proxy student) is fitted on the candidates so
    far, each candidate is scored by its influence on that student's loss over the real seed set
    (:func:`synthrr.synth.influence.influence_scores`), and each label's most helpful candidates
    are the next round's demonstrations."""

    name = "progen"
    borrows = "fewgen"
    Options = ProGenOptions
    options: ProGenOptions

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.demos: dict[str, list[Demo]] = {}
        self.generation = 0  # rounds of feedback so far
        self._vectors: dict[str, Any] = {}  # text -> embedding (each text encoded once)

    def round_cap(self, need: int) -> int | None:
        return max(1, math.ceil(need / self.options.rounds))

    def jobs(self, ctx: Context, label: str) -> Iterator[Job]:
        """Endless prompts; each carries the demonstrations of the feedback current when it is made
        (prompts of one round share them: one block)."""
        i = 0
        while True:
            yield self._job(ctx, label, f"#{i}", None, self.demos.get(label, []), block=self.generation)
            i += 1

    def feedback(self, ctx: Context, kept: dict[str, list[SyntheticExample]]) -> None:
        rows = [r for rs in kept.values() for r in rs]
        if len({r.label for r in rows}) < 2 or len({s.label for s in ctx.seeds}) < 2:
            return

        labels = ctx.spec.label_names
        x = self._embed([r.text for r in rows])
        xv = self._embed([s.text for s in ctx.seeds])
        y = [labels.index(r.label) for r in rows]
        yv = [labels.index(s.label) for s in ctx.seeds]
        scores = influence_scores(x, y, xv, yv, n_classes=len(labels))
        shots = self.options.shots or ctx.config.shots
        self.generation += 1
        for label in labels:
            mine = sorted((i for i, r in enumerate(rows) if r.label == label), key=lambda i: -scores[i])
            if mine:
                self.demos[label] = [Demo(text=rows[i].text, source_id=rows[i].id) for i in mine[:shots]]

    def _embed(self, texts: list[str]) -> Any:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            self._vectors.update(zip(new, get_encoder().encode(new), strict=True))
        return np.stack([self._vectors[t] for t in texts])
