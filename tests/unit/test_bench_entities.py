"""bench/entities.py: where a synthetic set's entity mentions come from, read from a run directory."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench import entities
from synthrr.metrics.entities import Entity

NOT_NAMES = {"We", "Then", "A"}


def ner(texts: Sequence[str]) -> list[list[Entity]]:
    """Every capitalised word but a few sentence openers: one name each."""
    return [[(w.strip("."), "X") for w in t.split() if w[0].isupper() and w not in NOT_NAMES] for t in texts]


def _run(folder: Path, method: str, rows: list[dict[str, str]], passages: dict[str, str] | None) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"status": "complete", "task": "t", "method": method}))
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    pd.DataFrame({"text": ["Alice met Bob in Paris."], "label": ["a"]}).to_parquet(folder / "seeds.parquet")
    if passages is not None:
        frame = pd.DataFrame({"passage_id": list(passages), "text": list(passages.values())})
        frame.to_parquet(folder / "passages.parquet")
    return folder


def test_mentions_are_traced_to_the_own_passage_and_to_the_seed_set(tmp_path: Path) -> None:
    rows = [
        {"text": "We saw Carol and Bob in Rome.", "passage_id": "p1", "verdict": "kept"},
        {"text": "Then Dave wrote to Alice.", "passage_id": "p2", "verdict": "kept"},
        {"text": "Then Zed left Oslo.", "passage_id": "p1", "verdict": "label_disagrees"},
    ]
    run = _run(tmp_path / "draw-2" / "r", "synthesizrr", rows, {"p1": "Carol lived in Rome.", "p2": "Dave and Eve."})
    got = entities.origins(run, ner)
    # Carol, Bob, Rome, Dave, Alice; Carol and Rome from p1, Dave from p2; Bob and Alice from the seeds
    assert (got.texts, got.mentions, got.distinct) == (2, 5, 5)
    assert (got.from_passage, got.passage_mentions, got.from_seeds) == (3, 4, 2)  # Carol, Rome; Dave, Eve
    assert entities.runs(tmp_path, []) == [("t", "synthesizrr", "2", run)]
    assert entities.runs(tmp_path, ["other"]) == []


def test_a_run_without_passages_has_no_passage_columns(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", "fewgen", [{"text": "A film with Bob Hope."}], None)
    got = entities.origins(run, ner)
    assert (got.mentions, got.from_passage, got.passage_mentions, got.from_seeds) == (2, None, None, 1)
    assert entities.runs(tmp_path, [])[0][2] == "0"  # outside a draw-<d> folder: draw 0
    assert got.row("g", "t", "fewgen", "0") == "| g | t | fewgen | 0 | 1 | 5 | 2 | 2 | — | — | 1 |"
