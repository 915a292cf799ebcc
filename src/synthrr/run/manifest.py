"""The records of a run directory's JSON files, typed: the run manifest (``manifest.json``) and the
provenance it records, and the run's measures (``metrics.json``).

:class:`RunManifest` is what ``generate`` returns and writes last into a run directory: status and
stop reason, counts per stage, drops per reason, the quota of every label, LLM use, timings,
versions and the resolved config. Code reads its fields; it is also a read-only mapping of its
JSON form, so ``manifest["per_label"]["pos"]["kept"]`` works as on the file.

:class:`StageStats` is the tally every part of a run keeps (counts, drops by reason, timings, LLM
use); two tallies add with ``+``. Each LLM shard writes its own next to its output, the generate
stage adds those and its parse/filter tallies, and the manifest is written from the sum.

:class:`RunMetrics` is what ``evaluate`` measured of a run: each metric's result and each student's
:class:`StudentResult` (a :class:`StudentScore` with the test set it was scored on). Readers
(:func:`synthrr.run.rundir.load_run`, :func:`synthrr.run.rundir.read_metrics`) parse the files into these
records with ``from_dict``; writers write ``to_dict``, so the files read back as they were written.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Self, TypeAlias

from synthrr.llm.stats import Stats
from synthrr.run.jsonview import JsonView

if TYPE_CHECKING:
    import pandas as pd

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
        """A manifest read back from ``manifest.json``: keys it does not know are ignored, and a field
        an older or hand-made manifest lacks is empty (``""``, ``{}``, no stop reason)."""
        kw: dict[str, Any] = {**dict.fromkeys(("status", "fingerprint", "task", "method", "prompt_form"), "")}
        kw |= {k: {} for k in ("model", "counts", "drops", "llm", "executor", "timings_s", "versions")}
        kw |= _known(cls, data)
        kw.setdefault("stop_reason", None)
        quota_keys = {f.name for f in dataclass_fields(LabelQuota)}
        kw["per_label"] = {
            lab: LabelQuota(**{"target": 0, "kept": 0, **{k: v for k, v in dict(q).items() if k in quota_keys}})
            for lab, q in dict(data.get("per_label") or {}).items()
        }
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


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The items of ``data`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in dataclass_fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class StudentScore:
    """Mean ± std of a student's test scores over seeds, with the per-seed runs."""

    student: str
    options: dict[str, Any]
    n_train: int
    n_test: int
    seeds: list[int]
    accuracy_mean: float
    accuracy_std: float
    macro_f1_mean: float
    macro_f1_std: float
    runs: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    model_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.student}: accuracy {self.accuracy_mean:.4f} ± {self.accuracy_std:.4f}, "
            f"macro-F1 {self.macro_f1_mean:.4f} ± {self.macro_f1_std:.4f} "
            f"({len(self.runs)} fit(s), {self.n_train} train / {self.n_test} test)"
        )


@dataclass
class StudentResult(StudentScore, JsonView):
    """A student's scores as ``metrics.json`` (and a Gold evaluation) hold them: the
    :class:`StudentScore` and the real test set it was scored on."""

    test_split: str = "test"
    test_limit: int | None = None

    @classmethod
    def of(cls, score: StudentScore, test_split: str, test_limit: int | None) -> StudentResult:
        return cls(**asdict(score), test_split=test_split, test_limit=test_limit)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudentResult:
        return cls(**_known(cls, data))


#: one metric's JSON result (its own keys, or ``{"error": ...}`` when it could not be computed)
MetricResult: TypeAlias = dict[str, Any]


def students_from_dict(data: Mapping[str, Any] | None) -> dict[str, StudentResult]:
    """The ``students`` object of ``metrics.json`` (or a Gold evaluation), typed."""
    return {name: StudentResult.from_dict(s) for name, s in dict(data or {}).items()}


class Evaluation(JsonView):
    """Base of the measures of a text set (:class:`RunMetrics`, :class:`GoldEvaluation`): read back
    from their JSON with :meth:`from_dict`, students typed."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record of a JSON object as :meth:`to_dict` writes it (keys it does not know are ignored)."""
        return cls(**{**_known(cls, data), "students": students_from_dict(data.get("students"))})


@dataclass
class RunMetrics(Evaluation):
    """What ``evaluate`` measured of a run (the content of ``metrics.json``; also readable as it).
    A field a hand-made or older file lacks reads as empty."""

    format: int = 1
    run: str = ""
    task: str = ""
    task_ref: str = ""
    method: str = ""
    n: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    data_fingerprint: str = ""
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    students: dict[str, StudentResult] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    device: str = ""
    executor: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    updated: str = ""

    def __repr__(self) -> str:
        scores = [f"{name} accuracy {100 * s.accuracy_mean:.1f}%" for name, s in self.students.items()]
        parts = [f"n={self.n}", *scores, f"{len(self.metrics)} metrics"]
        return f"RunMetrics({self.run!r}, {', '.join(parts)})"

    def to_pandas(self) -> pd.DataFrame:
        """One row: the run's numbers flattened to dotted columns (``metrics.self_bleu.self_bleu_5``,
        ``students.tfidf.accuracy_mean``, ...); per-fit lists and versions left out."""
        import pandas as pd

        data = {k: v for k, v in self.to_dict().items() if k not in ("versions", "label_counts")}
        frame = pd.json_normalize(data, sep=".")
        return frame[[c for c in frame.columns if not isinstance(frame.at[0, c], list | dict)]]


@dataclass
class GoldEvaluation(Evaluation):
    """The Gold reference for ``n`` examples: a student trained on ``n`` real train examples, its
    scores and the intrinsic metrics of that real sample (the content of its cache file; the
    settings it depends on are its cache key)."""

    task: str
    method: str  # "gold"
    n: int
    metrics: dict[str, MetricResult]
    students: dict[str, StudentResult]
    timings_s: dict[str, float]
    settings: dict[str, Any] = field(default_factory=dict)
