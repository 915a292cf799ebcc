"""The Python API: the CLI's stages as functions with typed results (see docs/python.md).

    import synthrr

    run = synthrr.generate(task="imdb", method="synthesizrr", n=100)
    df = run.to_pandas()                   # kept examples with provenance
    ds = run.to_hf()                       # a datasets.Dataset with a ClassLabel label column
    scores = synthrr.evaluate(run)         # metrics and student accuracy on real test data
    table = synthrr.compare([run, other])  # one row per run, plus Gold

Settings come from a :class:`~synthrr.config.RunConfig`, a config YAML path or a dict, then the
keyword arguments, then ``overrides`` (dotted keys, like ``--set``). Bad settings raise the same
:class:`~synthrr.core.errors.ConfigError` the CLI shows. Tasks and corpora may be data in memory
(:func:`synthrr.api.inputs.make_task`, :func:`synthrr.api.inputs.make_corpus`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, Unpack

from synthrr.api.arguments import check_config, check_overrides, check_path, check_run, check_runs, check_source
from synthrr.api.inputs import make_corpus, make_task
from synthrr.config import RunConfig
from synthrr.core.errors import UsageError, require
from synthrr.core.log import progress_switch
from synthrr.corpus import get_corpus as _get_corpus
from synthrr.report.table import CompareRow
from synthrr.retrieval import get_retriever as _get_retriever
from synthrr.run.export import export_run
from synthrr.run.export import push_to_hub as push_export
from synthrr.run.manifest import RunManifest
from synthrr.run.provenance import provenance
from synthrr.run.rundir import load_run
from synthrr.stages.compare import compare_runs
from synthrr.stages.evaluate import evaluate_run, resolve_task_ref
from synthrr.stages.generate import generate as run_generate
from synthrr.stages.generate import plan as run_plan
from synthrr.tasks import get_task as _get_task

if TYPE_CHECKING:
    import datasets
    import pandas as pd

    from synthrr.config import CorpusConfig
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.base import Retriever
    from synthrr.run.plan import Plan
    from synthrr.stages.evaluate import RunMetrics
    from synthrr.tasks.base import Task

#: a run config: an object, a config YAML path, a dict of its fields, or None for the defaults
ConfigLike: TypeAlias = "RunConfig | str | os.PathLike[str] | Mapping[str, Any] | None"
#: a task: a built-in name, a task YAML path, make_task()'s result, or labelled rows in memory
#: (a DataFrame, a datasets.Dataset, a list of dicts, or {"train": ..., "test": ...})
TaskLike: TypeAlias = (
    "str | os.PathLike[str] | pd.DataFrame | datasets.Dataset | Sequence[Mapping[str, Any]] | Mapping[str, Any]"
)
#: a corpus: a built-in name or a corpus path (join several with +), or texts in memory
CorpusLike: TypeAlias = "str | os.PathLike[str] | pd.DataFrame | datasets.Dataset | Iterable[str | Mapping[str, Any]]"
#: what a run is given as: its result or its run directory
RunLike: TypeAlias = "SynthesisResult | str | os.PathLike[str]"


class Settings(TypedDict, total=False):
    """The keyword settings of :func:`build` and :func:`plan` (the same as :func:`generate`'s)."""

    task: TaskLike
    corpus: CorpusLike
    method: str
    n: int
    shots: int
    llm: str
    model: str
    retriever: str
    k: int
    per_label: int
    out: str | os.PathLike[str]
    executor: str
    students: Sequence[str]
    metrics: Sequence[str]
    #: any config field by its dotted name (what ``--set`` does), applied last
    overrides: Mapping[str, Any]


class EvalSettings(TypedDict, total=False):
    """The keyword settings of :meth:`SynthesisResult.evaluate` (the same as :func:`evaluate`'s)."""

    students: Sequence[str]
    metrics: Sequence[str]
    executor: str
    overrides: Mapping[str, Any]


#: keyword arguments of generate() and the config fields they set
KEYWORDS = {
    "task": "task",
    "corpus": "corpus.name",
    "method": "synthesis.method",
    "n": "synthesis.n",
    "shots": "synthesis.shots",
    "llm": "llm.backend",
    "model": "llm.model",
    "retriever": "retrieval.retriever",
    "k": "retrieval.k",
    "per_label": "seeds.per_label",
    "out": "out",
    "executor": "executor",
    "students": "eval.students",
    "metrics": "eval.metrics",
}


def _as_ref(value: Any, make: Any, func: str, param: str) -> Any:
    """A task/corpus given as data (not a name or a path) is written once and referred to by path;
    a path-like (a ``Path``, a :class:`~synthrr.api.inputs.TaskRef`) is its path. Another type is a
    UsageError naming ``func`` and ``param``."""
    check_source(func, param, value, f"a {param} name or path")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(make(value))


def build(config: ConfigLike = None, /, **settings: Unpack[Settings]) -> RunConfig:
    """A validated :class:`RunConfig`: ``config`` (an object, a YAML path or a dict, default: the
    defaults), then the keyword settings of :data:`KEYWORDS`, then ``overrides={"dotted.key": value}``."""
    return _build(config, dict(settings), "build_config")


def _build(config: ConfigLike, settings: dict[str, Any], func: str) -> RunConfig:
    """The config of ``func``'s arguments; a wrong type is a UsageError naming ``func`` and the parameter."""
    check_config(func, config)
    check_overrides(func, settings.get("overrides"))
    check_path(func, "out", settings.get("out"))
    overrides = dict(settings.pop("overrides", None) or {})
    unknown = sorted(set(settings) - set(KEYWORDS))
    if unknown:
        raise UsageError(
            f"unknown setting(s) {', '.join(unknown)}; use {', '.join(KEYWORDS)} or overrides={{'dotted.key': value}}"
        )
    if isinstance(config, RunConfig):
        cfg = config
    elif isinstance(config, str | os.PathLike):
        cfg = RunConfig.from_yaml(os.fspath(config))
    else:
        cfg = RunConfig.from_dict(dict(config or {}), source="config")
    settings["task"] = _as_ref(settings.get("task"), make_task, func, "task")
    settings["corpus"] = _as_ref(settings.get("corpus"), make_corpus, func, "corpus")
    if settings.get("out") is not None:
        settings["out"] = os.fspath(settings["out"])
    values = {KEYWORDS[k]: v for k, v in settings.items() if v is not None}
    return cfg.with_overrides({**values, **overrides})


@dataclass
class SynthesisResult:
    """A synthetic dataset: its run directory and what the run did."""

    run_dir: Path
    manifest: RunManifest

    def __repr__(self) -> str:
        m = self.manifest
        target = sum(q.target for q in m.per_label.values())
        return f"SynthesisResult({str(self.run_dir)!r}, kept={m.kept}/{target}, {m.status})"

    @property
    def labels(self) -> list[str]:
        """The task's label names, in the task's order (the ClassLabel order of :meth:`to_hf`)."""
        return list(_get_task(resolve_task_ref(load_run(self.run_dir))).spec.label_names)

    @property
    def complete(self) -> bool:
        """Every label met its quota."""
        return self.manifest.status == "complete"

    def to_pandas(self, *, candidates: bool = False) -> pd.DataFrame:
        """The kept examples (or every parsed candidate with its ``verdict``) as a DataFrame, one column
        per provenance field (passage, seed, rank, demonstrations, confidence, ...)."""
        import pandas as pd

        load_run(self.run_dir)  # a clear error for a torn or edited run directory
        frame: pd.DataFrame = pd.read_parquet(self.run_dir / ("candidates.parquet" if candidates else "data.parquet"))
        return frame

    def provenance(self, *, candidates: bool = True) -> pd.DataFrame:
        """:meth:`to_pandas` with ``seed_text``, ``passage_text``, ``demo_texts`` and the exact ``prompt``
        of every row (``synthrr show``); all candidates with their verdicts by default."""
        frame: pd.DataFrame = provenance(self.run_dir, candidates=candidates)
        return frame

    def to_hf(self, *, candidates: bool = False, progress: bool = True) -> datasets.Dataset:
        """A ``datasets.Dataset`` of :meth:`to_pandas` whose ``label`` is a ``ClassLabel`` of the task's
        labels (``progress=False``: without the bar ``datasets`` draws while casting)."""
        datasets = require("Hugging Face export", "datasets", "datasets")
        frame = self.to_pandas(candidates=candidates)
        with progress_switch(progress):
            ds = datasets.Dataset.from_pandas(frame, preserve_index=False)
            return ds.cast_column("label", datasets.ClassLabel(names=self.labels))

    def export(
        self,
        out: str | Path,
        fmt: str = "hf",
        *,
        columns: Sequence[str] | None = None,
        overwrite: bool = False,
        push_to_hub: str | None = None,
        progress: bool = True,
    ) -> Path:
        """``synthrr export``: the kept examples in ``fmt`` (hf, parquet, jsonl, csv) with a dataset
        card in the new folder ``out`` (``overwrite=True`` replaces an earlier export there);
        ``columns`` keeps only those (e.g. ``["text", "label"]``); then uploaded to the Hub dataset
        ``push_to_hub`` if given. ``progress=False``: without the bars of ``datasets``."""
        with progress_switch(progress):
            folder = export_run(self, Path(out), fmt, columns=columns, overwrite=overwrite)
        if push_to_hub:
            push_export(folder, push_to_hub)
        return folder

    def evaluate(
        self, config: ConfigLike = None, /, *, progress: bool = True, **settings: Unpack[EvalSettings]
    ) -> RunMetrics:
        """:func:`evaluate` of this run."""
        return evaluate(self, config, progress=progress, **settings)


def _run_dir(run: RunLike, func: str) -> Path:
    check_run(func, run)
    return run.run_dir if isinstance(run, SynthesisResult) else Path(run)


def generate(
    config: ConfigLike = None,
    /,
    *,
    task: TaskLike | None = None,
    corpus: CorpusLike | None = None,
    method: str | None = None,
    n: int | None = None,
    shots: int | None = None,
    llm: str | None = None,
    model: str | None = None,
    retriever: str | None = None,
    k: int | None = None,
    per_label: int | None = None,
    out: str | os.PathLike[str] | None = None,
    executor: str | None = None,
    students: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> SynthesisResult:
    """Synthesise a labelled dataset (``synthrr generate``). Settings apply in the CLI's order:
    ``config`` (a :class:`RunConfig`, a YAML path or a dict), then these keywords (``None``: not
    given), then ``overrides={"dotted.key": value}`` (``--set``); ``progress=False`` is silent.
    A run that misses a label's quota still returns (``result.complete`` is False), as the CLI writes it."""
    given = {k: v for k, v in locals().items() if k in Settings.__annotations__}  # the keywords above
    cfg = _build(config, given, "generate")
    with progress_switch(progress):
        result = run_generate(cfg)
    return SynthesisResult(result.run_dir, result.manifest)


def plan(config: ConfigLike = None, /, *, progress: bool = True, **settings: Unpack[Settings]) -> Plan:
    """A dry run (``synthrr generate --dry-run``): seeds, retrieval and the first round's prompts
    projected through the cache, with no LLM call; returns a :class:`~synthrr.run.plan.Plan`
    (``.first_round`` tokens and cost, ``.format()``)."""
    cfg = _build(config, dict(settings), "plan")
    with progress_switch(progress):
        return run_plan(cfg)


def load(run_dir: str | Path) -> SynthesisResult:
    """A run directory written earlier (by the CLI or :func:`generate`)."""
    check_run("load", run_dir, "run_dir")
    run = load_run(run_dir)
    return SynthesisResult(run.run_dir, run.manifest)


def get_task(name: str | os.PathLike[str]) -> Task:
    """A task by built-in name or custom task YAML path (see :mod:`synthrr.tasks`)."""
    return _get_task(name)


def get_corpus(name: str, config: CorpusConfig | None = None, *, progress: bool = True) -> Corpus:
    """An ingested corpus by built-in name or path (see :mod:`synthrr.corpus`)."""
    with progress_switch(progress):
        return _get_corpus(name, config)


def get_retriever(name: str, **options: Any) -> Retriever:
    """A retriever by registered name (see :mod:`synthrr.retrieval`)."""
    return _get_retriever(name, **options)


def evaluate(
    run: RunLike,
    config: ConfigLike = None,
    /,
    *,
    students: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    executor: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> RunMetrics:
    """Measure a run (``synthrr evaluate``): intrinsic metrics and students scored on real data.
    ``students=["tfidf", "minilm"]`` and ``metrics=[...]`` pick what; other evaluation settings via
    ``overrides={"eval.seeds": 1}``. Returns :class:`~synthrr.stages.evaluate.RunMetrics`."""
    run_dir = _run_dir(run, "evaluate")
    cfg = _build(
        config, {"students": students, "metrics": metrics, "executor": executor, "overrides": overrides}, "evaluate"
    )
    with progress_switch(progress):
        return evaluate_run(run_dir, cfg)


@dataclass
class Comparison:
    """``synthrr compare``'s table: one row per run, Gold rows first."""

    rows: list[CompareRow]
    folder: Path

    def __repr__(self) -> str:
        return f"Comparison({str(self.folder)!r}, rows={len(self.rows)})"

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows)

    @property
    def markdown(self) -> str:
        return (self.folder / "compare.md").read_text(encoding="utf-8")


def compare(
    runs: Sequence[RunLike],
    config: ConfigLike = None,
    /,
    *,
    gold: bool = True,
    student: str | None = None,
    out: str | os.PathLike[str] | None = None,
    students: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    executor: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> Comparison:
    """Compare runs in one table (and Gold: the student on as many real examples) like ``synthrr
    compare``; the table is also written to ``out`` (default: beside the first run) as Markdown,
    CSV and JSON."""
    check_runs("compare", runs)
    check_path("compare", "out", out)
    dirs = [_run_dir(r, "compare") for r in runs]
    folder = Path(out) if out is not None else (dirs[0].parent / "compare" if dirs else Path("compare"))
    cfg = _build(
        config, {"students": students, "metrics": metrics, "executor": executor, "overrides": overrides}, "compare"
    )
    with progress_switch(progress):
        rows = compare_runs(dirs, folder, cfg, student=student, gold=gold)
    return Comparison(rows, folder)
