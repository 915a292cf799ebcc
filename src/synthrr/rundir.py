"""The files of a generation run directory, written in one place.

``generate`` writes, each file atomically:

- ``config.yaml``: the resolved run config (round-trips into :class:`~synthrr.config.RunConfig`);
- ``seeds.parquet`` (``id, text, label``): the seed set the run drew;
- ``hits.parquet`` (``seed_id, passage_id, rank, score``): the retrieved passages it used
  (SynthesizRR only);
- ``data.parquet`` / ``data.jsonl``: the kept examples with provenance;
- ``candidates.parquet``: every parsed candidate with its verdict;
- ``manifest.json``: counts, drops, per-label quotas, LLM use, timings, versions (written last).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.records import SyntheticExample

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synthrr.config import RunConfig
    from synthrr.records import Example, Hit


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
    manifest: dict[str, Any],
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
    write_json(run_dir / "manifest.json", manifest)
