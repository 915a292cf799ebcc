"""Provenance helpers for run manifests."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

TRACKED = (
    "synthrr",
    "torch",
    "transformers",
    "sentence-transformers",
    "faiss-cpu",
    "bm25s",
    "xllamacpp",
    "httpx",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
)


def versions() -> dict[str, str]:
    """Python and the versions of the packages that shape results (absent ones omitted)."""
    out = {"python": platform.python_version()}
    for name in TRACKED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out
