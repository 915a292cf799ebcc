"""ReGen (Yu et al. 2023): no generation. Each label's training texts are *retrieved* from the
corpus with the dense retriever: first with a query made of the label's name and verbalisation,
then progressively with that query moved towards the mean embedding of its best passages so far.
A passage retrieved for several labels goes to the label it scores highest for; the run's filters
(the seed classifier's agreement among them) then clean the pool like any method's candidates.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from pydantic import Field

from synthrr.core.errors import ConfigError
from synthrr.core.text import stable_hash
from synthrr.synth.methods import Ask, Context, Job, Method, MethodOptions
from synthrr.synth.prompts import Prompt, cut_context


class ReGenOptions(MethodOptions):
    depth: int = Field(2000, ge=10, le=1_000_000, description="passages retrieved per label and query")
    steps: int = Field(2, ge=0, le=10, description="progressive refinements of each label's query")
    top: int = Field(20, ge=1, le=10_000, description="best passages whose mean embedding refines the query")


class ReGen(Method):
    """Retrieval as synthesis: every job's answer is a corpus passage (no LLM call)."""

    name = "regen"
    needs_index = True
    passages_are_examples = True
    uses_llm = False
    Options = ReGenOptions
    options: ReGenOptions

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.queries: dict[str, str] = {}  # label -> its text query
        self.ranked: dict[str, list[tuple[str, float]]] = {}  # label -> (passage id, score), best first

    @staticmethod
    def query(ctx: Context, label: str) -> str:
        return f"{label}: {ctx.spec.verbalization(label)}"

    def setup(self, ctx: Context, ask: Ask | None) -> None:
        """Each label's ranking after ``steps`` refinements, each passage kept for its best label."""
        retriever, corpus = ctx.retriever, ctx.corpus
        if retriever is None or not hasattr(retriever, "search_vectors"):
            name = getattr(retriever, "name", "none")
            raise ConfigError("retrieval.retriever", f"method 'regen' needs the dense retriever (got '{name}')")
        assert corpus is not None  # needs_index: the run opened the corpus with the retriever
        encoder: Any = getattr(retriever, "encoder")  # noqa: B009 - dense retrievers have one
        labels = ctx.spec.label_names
        self.queries = {lab: self.query(ctx, lab) for lab in labels}
        q0 = encoder.encode([self.queries[lab] for lab in labels])
        vectors = q0
        ranked = retriever.search_vectors(vectors, self.options.depth)
        for _ in range(self.options.steps):
            tops = [[pid for pid, _ in r[: self.options.top]] for r in ranked]
            texts = {p.id: p.text for p in corpus.get(sorted({p for t in tops for p in t}))}
            means = np.stack([encoder.encode([texts[p] for p in t]).mean(axis=0) for t in tops])
            vectors = q0 + means
            vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
            ranked = retriever.search_vectors(vectors, self.options.depth)
        self.ranked = assign_to_best(dict(zip(labels, ranked, strict=True)))

    def jobs(self, ctx: Context, label: str) -> Iterator[Job]:
        """The label's passages best first, each cut like a generation (the task's length)."""
        assert ctx.corpus is not None
        prompt = Prompt(text=f"[retrieval query] {self.queries[label]}")
        cmin, _ = ctx.config.context_tokens
        ranked = self.ranked.get(label, [])
        for start in range(0, len(ranked), 256):
            chunk = ranked[start : start + 256]
            texts = {p.id: p.text for p in ctx.corpus.get([pid for pid, _ in chunk])}
            for rank, (pid, score) in enumerate(chunk, start=start + 1):
                text = cut_context(texts[pid], cmin, ctx.spec.max_new_tokens)
                if text is None:
                    continue
                ctx.passages[pid] = texts[pid]
                yield Job(
                    id=stable_hash(self.name, label, pid, size=8),
                    label=label,
                    method=self.name,
                    prompt=prompt,
                    passage_id=pid,
                    rank=rank,
                    score=float(score),
                    answer=text,
                )


def assign_to_best(ranked: dict[str, list[tuple[str, float]]]) -> dict[str, list[tuple[str, float]]]:
    """Each passage kept only in the ranking of the label it scores highest for (ties: the first
    label), rankings otherwise in their order."""
    best: dict[str, tuple[float, str]] = {}
    for label, hits in ranked.items():
        for pid, score in hits:
            if pid not in best or score > best[pid][0]:
                best[pid] = (score, label)
    return {label: [(pid, s) for pid, s in hits if best[pid][1] == label] for label, hits in ranked.items()}
