"""Several corpora ingested as one (``corpus.name: abc_news+wiki``).

Each part is cut into passages by its own rules (a built-in's defaults, or the config's settings),
then the parts' passages, in the order given, are the documents of one corpus: the outer ingestion
keeps them whole and drops a passage that repeats one of an earlier part. A narrow corpus of the
task's genre can so be backed by a broad one, and labels it does not cover retrieve from the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthrr.core.text import stable_hash
from synthrr.corpus.ingest import IngestSettings, IngestStats, iter_passages
from synthrr.corpus.sources import RawDoc, Source

SEPARATOR = "+"


class ChainSource(Source):
    """The passages of several sources, each cut by its own settings, as one source's documents."""

    kind = "chain"

    def __init__(self, parts: list[tuple[Source, IngestSettings]]) -> None:
        name = SEPARATOR.join(s.name for s, _ in parts)
        super().__init__(Path(name), name)
        self.parts = parts

    def fingerprint(self) -> str:
        return stable_hash(self.kind, *(f"{s.fingerprint()}:{settings.key()}" for s, settings in self.parts))

    def iter_docs(self) -> Iterator[RawDoc]:
        n = 0
        for source, settings in self.parts:
            stats = IngestStats(max_tokens=settings.max_tokens)
            for _, text, _, where in iter_passages(source.iter_docs(), settings, stats):
                n += 1
                yield n, f"{source.name}:{where}", text

    def describe(self) -> dict[str, Any]:
        parts = [{**s.describe(), "settings": settings.to_dict()} for s, settings in self.parts]
        return {"kind": self.kind, "parts": parts, "fingerprint": self.fingerprint()}

    @staticmethod
    def settings(parts: list[tuple[Source, IngestSettings]]) -> IngestSettings:
        """The outer rules: passages stay whole, within the widest token range of the parts."""
        return IngestSettings(
            min_tokens=min(s.min_tokens for _, s in parts), max_tokens=max(s.max_tokens for _, s in parts)
        )
