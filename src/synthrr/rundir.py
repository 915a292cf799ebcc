"""The files of a generation run directory, written in one place.

``generate`` writes, each file atomically:

- ``config.yaml``: the resolved run config (round-trips into :class:`~synthrr.config.RunConfig`);
- ``seeds.parquet`` (``id, text, label``): the seed set the run drew;
- ``hits.parquet`` (``seed_id, passage_id, rank, score``): the retrieved passages it used
  (SynthesizRR only);
- ``data.parquet`` / ``data.jsonl``: the kept examples with provenance;
- ``candidates.parquet``: every parsed candidate with its verdict;
- ``manifest.json``: counts, drops, per-label quotas, LLM use, timings, versions (written last).

``evaluate`` adds ``metrics.json`` (:data:`METRICS_FILE`) and ``students/<name>/``;
:func:`load_run` reads a run back for them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.errors import InputError
from synthrr.records import Example, SyntheticExample

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from synthrr.config import RunConfig
    from synthrr.records import Hit

METRICS_FILE = "metrics.json"


def examples_frame(rows: Sequence[SyntheticExample]) -> Any:
    """Synthetic rows as a DataFrame with one column per record field (``demo_ids`` as lists)."""
    import pandas as pd

    cols = [f.name for f in SyntheticExample.__dataclass_fields__.values()]
    frame = pd.DataFrame([asdict(r) for r in rows], columns=cols)
    frame["demo_ids"] = frame["demo_ids"].map(list)
    return frame


def write_generation(
    run_dir: Path,
    cfg: RunConfig,
    rows: Sequence[SyntheticExample],
    candidates: Sequence[SyntheticExample],
    manifest: Mapping[str, Any],
    *,
    seeds: Sequence[Example] = (),
    hits: Sequence[Hit] = (),
) -> None:
    """Write a generation's files (see the module docstring); the manifest comes last."""
    from synthrr.io import atomic_open, write_json, write_parquet
    from synthrr.retrieval import save_hits
    from synthrr.seeds import save_seeds

    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.to_yaml(run_dir / "config.yaml")
    if seeds:
        save_seeds(seeds, run_dir / "seeds.parquet")
    if hits:
        save_hits(hits, run_dir / "hits.parquet")
    data = examples_frame(rows)
    write_parquet(data, run_dir / "data.parquet")
    with atomic_open(run_dir / "data.jsonl") as fh:
        fh.write(data.to_json(orient="records", lines=True, force_ascii=False))
    write_parquet(examples_frame(candidates), run_dir / "candidates.parquet")
    write_json(run_dir / "manifest.json", dict(manifest))


@dataclass
class RunData:
    """The kept examples of a run directory and what it was made for."""

    run_dir: Path
    task: str
    method: str
    examples: list[Example]
    manifest: dict[str, Any]

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.examples]


def load_run(run_dir: str | Path) -> RunData:
    """Read ``data.parquet`` (kept rows), ``manifest.json`` and ``config.yaml`` of a run."""
    import pandas as pd

    run = Path(run_dir).expanduser()
    if not run.is_dir():
        raise InputError(run, "run directory not found")
    data_path = run / "data.parquet"
    if not data_path.is_file():
        raise InputError(run, "not a run directory (no data.parquet); create one with `synthrr generate`")
    manifest: dict[str, Any] = {}
    if (run / "manifest.json").is_file():
        try:
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise InputError(run / "manifest.json", f"malformed JSON: {e.msg}", line=e.lineno) from None
    task = None
    method = manifest.get("method")
    if (run / "config.yaml").is_file():
        from synthrr.config import RunConfig

        cfg = RunConfig.from_yaml(run / "config.yaml")
        task = cfg.task  # a registered name or a task YAML path: resolvable, unlike the manifest's name
        method = method or cfg.synthesis.method
    task = task or manifest.get("task")
    if not task:
        raise InputError(run, "cannot tell the task: neither manifest.json nor config.yaml names it")
    try:
        df = pd.read_parquet(data_path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise InputError(data_path, f"not a readable Parquet file: {e}") from None
    missing = [c for c in ("text", "label") if c not in df.columns]
    if missing:
        raise InputError(data_path, f"missing column(s) {', '.join(missing)}")
    if "verdict" in df.columns:
        df = df[df["verdict"].fillna("kept") == "kept"]
    ids = df["id"].astype(str).tolist() if "id" in df.columns else [str(i) for i in range(len(df))]
    examples = [
        Example(id=i, text=str(t), label=str(lab))
        for i, t, lab in zip(ids, df["text"].tolist(), df["label"].tolist(), strict=True)
    ]
    return RunData(run_dir=run, task=str(task), method=str(method or "unknown"), examples=examples, manifest=manifest)


def read_metrics(run_dir: Path) -> dict[str, Any]:
    """A run's ``metrics.json`` (``{}`` when absent or unreadable: it is recomputed)."""
    return read_json_or_empty(run_dir / METRICS_FILE)


def read_json_or_empty(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or ``{}`` when the file is missing, malformed or not an object."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
