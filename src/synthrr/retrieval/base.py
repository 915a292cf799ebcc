"""The retriever protocol: build an index over a corpus, persist it, search it top-K.

Implementations register by name in :data:`synthrr.retrieval.RETRIEVERS`. Each declares its
options as a pydantic model (unknown or invalid options are a :class:`ConfigError` naming the
option). An index lives in a folder keyed by the corpus fingerprint and the retriever's own
fingerprint (the options that change the index), so the next run with the same corpus and
settings reuses it (see :func:`synthrr.retrieval.open_index`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from synthrr.core.errors import parse_options

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool, SearchPool

#: one query's results: ``(passage_id, score)`` best first
Ranked = list[tuple[str, float]]


class RetrieverOptions(BaseModel):
    """Base of a retriever's options: unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Retriever(ABC):
    """Index a corpus and return the top-K passages per query with scores (higher = closer)."""

    name: ClassVar[str]
    #: "cosine" (scores in [-1, 1]) or "bm25" (unbounded, corpus-dependent)
    score_kind: ClassVar[str]
    Options: ClassVar[type[RetrieverOptions]] = RetrieverOptions

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(
            self.Options, options, prefix="retrieval.options.", owner=f"retriever '{self.name}'", list_known=True
        )
        #: the index folder once :func:`open_index` has built or loaded it
        self.index_dir: Path | None = None
        #: "built" when the index was built by this process, "loaded" when reused from disk
        self.index_status: Literal["built", "loaded"] | None = None

    @abstractmethod
    def fingerprint(self) -> str:
        """Stable hash of everything in this retriever's config that changes the index."""

    @abstractmethod
    def build(
        self,
        corpus: Corpus,
        index_dir: Path,
        *,
        pool: EncodePool | None = None,
        parts_dir: Path | None = None,
    ) -> None:
        """Index ``corpus`` into the (empty, temporary) folder ``index_dir``; leave it ready to search.

        A retriever that encodes its corpus may run the encoding in resumable shards on ``pool``,
        keeping finished shards in ``parts_dir`` (which outlives a failed build); others ignore both."""

    @abstractmethod
    def load(self, index_dir: Path) -> None:
        """Load an index previously written by :meth:`build`."""

    @abstractmethod
    def search(self, queries: list[str], k: int) -> list[Ranked]:
        """Up to ``k`` ``(passage_id, score)`` pairs per query, best first."""

    def use_search_pool(self, pool: SearchPool) -> bool:
        """Load and search the index on ``pool``'s workers from the next :meth:`load` on, where this
        retriever's index can be split over workers. False (the default): it searches in this process."""
        return False

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "fingerprint": self.fingerprint(), "options": self.options.model_dump()}
