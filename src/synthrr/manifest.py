"""The run manifest (``manifest.json``), typed, and the provenance it records.

:class:`RunManifest` is what ``generate`` returns and writes last into a run directory: status and
stop reason, counts per stage, drops per reason, the quota of every label, LLM use, timings,
versions and the resolved config. Code reads its fields; it is also a read-only mapping of its
JSON form, so ``manifest["per_label"]["pos"]["kept"]`` works as on the file.

:class:`StageStats` is the tally every part of a run keeps (counts, drops by reason, timings, LLM
use); two tallies add with ``+``. Each LLM shard writes its own next to its output, the generate
stage adds those and its parse/filter tallies, and the manifest is written from the sum.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from synthrr.jsonview import JsonView
from synthrr.llm.stats import Stats

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


def _add(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, Any]:
    """Key-wise sum that keeps zero entries (``Counter.__add__`` drops them) and ``a``'s key order."""
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


@dataclass
class StageStats:
    """What a stage (or one shard of it) did: counts, drops by reason, seconds per step, LLM use."""

    counts: dict[str, int] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    llm: Stats = field(default_factory=Stats)

    def __add__(self, other: StageStats) -> StageStats:
        if not isinstance(other, StageStats):
            return NotImplemented
        return StageStats(
            _add(self.counts, other.counts),
            _add(self.drops, other.drops),
            _add(self.timings_s, other.timings_s),
            self.llm + other.llm,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "drops": dict(sorted(self.drops.items())),
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
            "llm": self.llm.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageStats:
        return cls(
            dict(data.get("counts", {})),
            dict(data.get("drops", {})),
            dict(data.get("timings_s", {})),
            Stats.from_dict(dict(data.get("llm", {}))),
        )


@dataclass
class LabelQuota:
    """One label's quota: the target, what was kept, prompts sent below the score band."""

    target: int
    kept: int
    widened_prompts: int = 0


@dataclass
class RunManifest(JsonView):
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
    #: file name -> {"sha256", "rows"} of every file written with this manifest (set by the writer)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunManifest:
        """A manifest read back from ``manifest.json`` (keys it does not know are ignored)."""
        names = {f.name for f in dataclass_fields(cls)}
        kw = {k: v for k, v in data.items() if k in names}
        kw["per_label"] = {lab: LabelQuota(**q) for lab, q in dict(data.get("per_label", {})).items()}
        return cls(**kw)

    @classmethod
    def from_stats(cls, stats: StageStats, **fields: Any) -> RunManifest:
        """A manifest whose counts, drops, timings and LLM use are those of ``stats``."""
        d = stats.to_dict()
        return cls(counts=d["counts"], drops=d["drops"], timings_s=d["timings_s"], llm=d["llm"], **fields)

    def __repr__(self) -> str:
        target = sum(q.target for q in self.per_label.values())
        llm = Stats.from_dict(dict(self.llm))
        return (
            f"RunManifest({self.task}-{self.method}-{self.fingerprint}: {self.status}, kept {self.kept} of {target}, "
            f"{llm.calls} LLM calls, {llm.cache_hits} cache hits)"
        )

    @property
    def stats(self) -> StageStats:
        """The run's tally, as the record it was written from."""
        return StageStats.from_dict(self)

    @property
    def kept(self) -> int:
        return int(self.counts.get("kept", 0))

    def shortfall(self) -> dict[str, int]:
        """Labels that kept fewer examples than their target, and by how many."""
        return {lab: q.target - q.kept for lab, q in self.per_label.items() if q.kept < q.target}
