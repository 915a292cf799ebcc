"""bench/generators.py: the cost columns of the generator table, summed from run manifests."""

from __future__ import annotations

import json
from pathlib import Path

from bench import generators


def _manifest(folder: Path, name: str, **fields: object) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "manifest.json").write_text(json.dumps(fields), encoding="utf-8")


def test_costs_sum_over_draws_per_task_and_method(tmp_path: Path) -> None:
    llm = {"seconds": 10.0, "cached_seconds": 30.0}
    drops = {"label_disagrees": 30, "low_label_confidence": 10, "too_short": 5}
    for draw in (0, 1):
        _manifest(tmp_path / "imdb", f"s{draw}", status="complete", task="imdb", method="synthesizrr",
                  counts={"prompts": 200, "parsed": 160, "kept": 100}, drops=drops, llm=llm)  # fmt: skip
    _manifest(tmp_path / "imdb", "f0", status="complete", task="imdb", method="fewgen",
              counts={"prompts": 100, "parsed": 100, "kept": 100}, drops={}, llm={"seconds": 50.0})  # fmt: skip
    _manifest(tmp_path / "imdb", "partial", status="running", task="imdb", method="fewgen", counts={"kept": 7})
    got = generators.costs(tmp_path)
    syn, few = got[("imdb", "synthesizrr")], got[("imdb", "fewgen")]
    assert (syn.runs, syn.prompts, syn.parsed, syn.kept, syn.rejected, syn.seconds) == (2, 400, 320, 200, 80, 80.0)
    assert (few.runs, few.kept) == (1, 100)  # the unfinished run is not counted
    row = syn.row("qwen", "imdb", "synthesizrr")
    assert row == "| qwen | imdb | synthesizrr | 2 | 200 | 25 % | 2.00 | 0.4 |"
    text = generators.table([("qwen", tmp_path)])
    assert text.count("| qwen | imdb |") == 2 and "verifier rejected" in text
