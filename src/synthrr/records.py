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
    """One retrieval result: passage ``passage_id`` at ``rank`` (1-based) for query ``query_id``."""

    query_id: str
    passage_id: str
    rank: int
    score: float
