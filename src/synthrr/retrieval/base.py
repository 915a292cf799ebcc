"""The retriever protocol: build an index over a corpus, persist it, search it top-K.

Implementations register by name in :data:`synthrr.retrieval.RETRIEVERS`. An index lives in a
folder keyed by the corpus fingerprint and the retriever's own fingerprint (its config), so the
next run with the same corpus and settings reuses it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

    from synthrr.corpus.base import Corpus


class Retriever(ABC):
    """Index a corpus and return the top-K passages per query with scores (higher = closer)."""

    name: ClassVar[str]
    #: "cosine" (scores in [-1, 1]) or "bm25" (unbounded, corpus-dependent)
    score_kind: ClassVar[str]

    @abstractmethod
    def fingerprint(self) -> str:
        """Stable hash of everything in this retriever's config that changes the index."""

    @abstractmethod
    def build(self, corpus: Corpus, index_dir: Path) -> None:
        """Index ``corpus`` into the (empty, temporary) folder ``index_dir``."""

    @abstractmethod
    def load(self, index_dir: Path) -> None:
        """Load an index previously written by :meth:`build`."""

    @abstractmethod
    def search(self, queries: list[str], k: int) -> tuple[list[list[str]], np.ndarray]:
        """Return passage ids (``len(queries)`` lists of up to ``k`` ids) and a score matrix."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "fingerprint": self.fingerprint()}
