"""Small typed records that flow between stages.

Provenance travels in named fields (ids, ranks, scores), never in loose dicts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Example:
    """One labelled text: a seed, a gold row or (later) a synthetic example."""

    id: str
    text: str
    label: str


@dataclass(slots=True, frozen=True)
class Passage:
    """One unlabelled corpus passage after normalisation. ``id`` is a content hash."""

    id: str
    text: str
    n_tokens: int
    source: str = ""


@dataclass(slots=True, frozen=True)
class Hit:
    """One retrieval result: passage ``passage_id`` at ``rank`` (1-based) for seed ``seed_id``."""

    seed_id: str
    passage_id: str
    rank: int
    score: float


@dataclass(slots=True)
class SyntheticExample:
    """One generated example with its provenance and, after filtering, its verdict.

    ``verdict`` is ``"kept"`` or the drop reason (``"near_duplicate"``, ``"copies_passage"``, ...).
    """

    id: str
    text: str
    label: str
    method: str
    job_id: str
    prompt_hash: str
    model: str
    sample: int = 0
    piece: int = 0
    seed_id: str | None = None
    passage_id: str | None = None
    rank: int | None = None
    score: float | None = None
    demo_ids: tuple[str, ...] = ()
    block: int | None = None  # demonstration block (jobs of a label sharing one draw of demonstrations)
    confidence: float | None = None
    logprob: float | None = None  # mean token log-probability of its completion (when asked for)
    verdict: str = "kept"
