"""The run manifest (``manifest.json``), typed, and the provenance it records.

:class:`RunManifest` is what ``generate`` returns and writes last into a run directory: status and
stop reason, counts per stage, drops per reason, the quota of every label, LLM use, timings,
versions and the resolved config. Code reads its fields; it is also a read-only mapping of its
JSON form, so ``manifest["per_label"]["pos"]["kept"]`` works as on the file.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

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


@dataclass
class LabelQuota:
    """One label's quota: the target, what was kept, prompts sent below the score band."""

    target: int
    kept: int
    widened_prompts: int = 0


@dataclass
class RunManifest(Mapping[str, Any]):
    """What a generation run did (see the module docstring)."""

    status: str  # "complete" when every label met its quota, else "incomplete"
    stop_reason: str | None  # None, "budget", "max_prompts" or "candidate_pool_exhausted"
    fingerprint: str
    task: str
    method: str
    prompt_form: str
    model: dict[str, str]
    counts: dict[str, int]
    drops: dict[str, int]
    per_label: dict[str, LabelQuota]
    llm: dict[str, Any]
    executor: dict[str, Any]
    timings_s: dict[str, float]
    versions: dict[str, str] = field(default_factory=versions)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return int(self.counts.get("kept", 0))

    def shortfall(self) -> dict[str, int]:
        """Labels that kept fewer examples than their target, and by how many."""
        return {lab: q.target - q.kept for lab, q in self.per_label.items() if q.kept < q.target}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ---- read-only mapping of the JSON form --------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        value = getattr(self, key)
        return {k: asdict(v) for k, v in value.items()} if key == "per_label" else value

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)
