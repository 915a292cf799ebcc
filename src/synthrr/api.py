"""The Python API: the CLI's stages as functions with typed results (see docs/python.md).

    import synthrr

    run = synthrr.generate(task="imdb", method="synthesizrr", n=100)
    df = run.to_pandas()                   # kept examples with provenance
    ds = run.to_hf()                       # a datasets.Dataset with a ClassLabel label column
    scores = synthrr.evaluate(run)         # metrics and student accuracy on real test data
    table = synthrr.compare([run, other])  # one row per run, plus Gold

Settings come from a :class:`~synthrr.config.RunConfig`, a config YAML path or a dict, then the
keyword arguments, then ``overrides`` (dotted keys, like ``--set``). Bad settings raise the same
:class:`~synthrr.errors.ConfigError` the CLI shows. Tasks and corpora may be data in memory
(:func:`synthrr.inputs.make_task`, :func:`synthrr.inputs.make_corpus`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthrr.config import RunConfig
from synthrr.manifest import RunManifest

#: keyword arguments of generate() and the config fields they set
KEYWORDS = {
    "task": "task",
    "corpus": "corpus.name",
    "method": "synthesis.method",
    "n": "synthesis.n",
    "shots": "synthesis.shots",
    "llm": "llm.backend",
    "retriever": "retrieval.retriever",
    "k": "retrieval.k",
    "per_label": "seeds.per_label",
    "out": "out",
    "executor": "executor",
    "students": "eval.students",
    "metrics": "eval.metrics",
}


def _as_ref(value: Any, make: Any) -> Any:
    """A task/corpus given as data (not a name or a path) is written once and referred to by path;
    a path-like (a ``Path``, a :class:`~synthrr.inputs.TaskRef`) is its path."""
    import os

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(make(value))


def build(config: RunConfig | str | Path | Mapping[str, Any] | None = None, /, **settings: Any) -> RunConfig:
    """A validated :class:`RunConfig`: ``config`` (an object, a YAML path or a dict, default: the
    defaults), then the keyword settings of :data:`KEYWORDS`, then ``overrides={"dotted.key": value}``."""
    from synthrr.inputs import make_corpus, make_task

    overrides = dict(settings.pop("overrides", None) or {})
    unknown = sorted(set(settings) - set(KEYWORDS))
    if unknown:
        from synthrr.errors import UsageError

        raise UsageError(
            f"unknown setting(s) {', '.join(unknown)}; use {', '.join(KEYWORDS)} or overrides={{'dotted.key': value}}"
        )
    if isinstance(config, RunConfig):
        cfg = config
    elif isinstance(config, str | Path):
        cfg = RunConfig.from_yaml(config)
    else:
        cfg = RunConfig.from_dict(dict(config or {}), source="config")
    settings["task"] = _as_ref(settings.get("task"), make_task)
    settings["corpus"] = _as_ref(settings.get("corpus"), make_corpus)
    if settings.get("out") is not None:
        settings["out"] = str(settings["out"])
    values = {KEYWORDS[k]: v for k, v in settings.items() if v is not None}
    return cfg.with_overrides({**values, **overrides})


@dataclass
class SynthesisResult:
    """A synthetic dataset: its run directory and what the run did."""

    run_dir: Path
    manifest: RunManifest

    @property
    def labels(self) -> list[str]:
        """The task's label names, in the task's order (the ClassLabel order of :meth:`to_hf`)."""
        from synthrr.rundir import load_run
        from synthrr.stages.evaluate import resolve_task_ref
        from synthrr.tasks import get_task

        return list(get_task(resolve_task_ref(load_run(self.run_dir))).spec.label_names)

    @property
    def complete(self) -> bool:
        """Every label met its quota."""
        return self.manifest.status == "complete"

    def to_pandas(self, *, candidates: bool = False) -> Any:
        """The kept examples (or every parsed candidate with its ``verdict``) as a DataFrame, one column
        per provenance field (passage, seed, rank, demonstrations, confidence, ...)."""
        import pandas as pd

        from synthrr.rundir import load_run

        load_run(self.run_dir)  # a clear error for a torn or edited run directory
        return pd.read_parquet(self.run_dir / ("candidates.parquet" if candidates else "data.parquet"))

    def provenance(self, *, candidates: bool = True) -> Any:
        """:meth:`to_pandas` with ``seed_text``, ``passage_text``, ``demo_texts`` and the exact ``prompt``
        of every row (``synthrr show``); all candidates with their verdicts by default."""
        from synthrr.provenance import provenance

        return provenance(self.run_dir, candidates=candidates)

    def to_hf(self, *, candidates: bool = False, progress: bool = True) -> Any:
        """A ``datasets.Dataset`` of :meth:`to_pandas` whose ``label`` is a ``ClassLabel`` of the task's
        labels (``progress=False``: without the bar ``datasets`` draws while casting)."""
        from synthrr.errors import require
        from synthrr.progress import quiet

        datasets = require("Hugging Face export", "datasets", "datasets")
        frame = self.to_pandas(candidates=candidates)
        with quiet(not progress):
            ds = datasets.Dataset.from_pandas(frame, preserve_index=False)
            return ds.cast_column("label", datasets.ClassLabel(names=self.labels))

    def export(self, out: str | Path, fmt: str = "hf", *, push_to_hub: str | None = None) -> Path:
        """``synthrr export``: the kept examples in ``fmt`` (hf, parquet, jsonl, csv) with a dataset
        card in the new folder ``out``; then uploaded to the Hub dataset ``push_to_hub`` if given."""
        from synthrr.export import export_run
        from synthrr.export import push_to_hub as push

        folder = export_run(self, Path(out), fmt)
        if push_to_hub:
            push(folder, push_to_hub)
        return folder

    def evaluate(self, config: RunConfig | str | Path | Mapping[str, Any] | None = None, /, **settings: Any) -> Any:
        """:func:`evaluate` of this run."""
        return evaluate(self, config, **settings)


def _run_dir(run: SynthesisResult | str | Path) -> Path:
    return run.run_dir if isinstance(run, SynthesisResult) else Path(run)


def generate(
    config: RunConfig | str | Path | Mapping[str, Any] | None = None, /, *, progress: bool = True, **settings: Any
) -> SynthesisResult:
    """Synthesise a labelled dataset (``synthrr generate``); settings as in :func:`build`. A run
    that misses a label's quota still returns (``result.complete`` is False), as the CLI writes it."""
    from synthrr.stages.generate import generate as run

    result = run(build(config, **settings), progress=progress)
    return SynthesisResult(result.run_dir, result.manifest)


def plan(
    config: RunConfig | str | Path | Mapping[str, Any] | None = None, /, *, progress: bool = True, **settings: Any
) -> Any:
    """A dry run (``synthrr generate --dry-run``): seeds, retrieval and the first round's prompts
    projected through the cache, with no LLM call; returns a :class:`~synthrr.stages.plan.Plan`
    (``.first_round`` tokens and cost, ``.format()``)."""
    from synthrr.stages.generate import plan as run_plan

    return run_plan(build(config, **settings), progress=progress)


def load(run_dir: str | Path) -> SynthesisResult:
    """A run directory written earlier (by the CLI or :func:`generate`)."""
    from synthrr.rundir import load_run

    run = load_run(run_dir)
    return SynthesisResult(run.run_dir, RunManifest.from_dict(run.manifest))


def evaluate(
    run: SynthesisResult | str | Path,
    config: RunConfig | str | Path | Mapping[str, Any] | None = None,
    /,
    *,
    progress: bool = True,
    **settings: Any,
) -> Any:
    """Measure a run (``synthrr evaluate``): intrinsic metrics and students scored on real data.
    ``students=["tfidf", "minilm"]`` and ``metrics=[...]`` pick what; other evaluation settings via
    ``overrides={"eval.seeds": 1}``. Returns :class:`~synthrr.stages.evaluate.RunMetrics`."""
    from synthrr.stages.evaluate import evaluate_run

    return evaluate_run(_run_dir(run), build(config, **settings), progress=progress)


@dataclass
class Comparison:
    """``synthrr compare``'s table: one row per run, Gold rows first."""

    rows: list[dict[str, Any]]
    folder: Path

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows)

    @property
    def markdown(self) -> str:
        return (self.folder / "compare.md").read_text(encoding="utf-8")


def compare(
    runs: Sequence[SynthesisResult | str | Path],
    config: RunConfig | str | Path | Mapping[str, Any] | None = None,
    /,
    *,
    gold: bool = True,
    student: str | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    **settings: Any,
) -> Comparison:
    """Compare runs in one table (and Gold: the student on as many real examples) like ``synthrr
    compare``; the table is also written to ``out`` (default: beside the first run) as Markdown,
    CSV and JSON."""
    from synthrr.stages.compare import compare_runs

    dirs = [_run_dir(r) for r in runs]
    folder = Path(out) if out is not None else (dirs[0].parent / "compare" if dirs else Path("compare"))
    cfg = build(config, **settings)
    rows = compare_runs(dirs, folder, cfg, student=student, gold=gold, progress=progress)
    return Comparison(rows, folder)
