"""Seed sampling: balanced, deterministic, without duplicates; Parquet round trip."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from synthrr.core.errors import ConfigError, InputError, UsageError
from synthrr.core.records import Example
from synthrr.tasks.base import LabelSpec, SplitTask, TaskSpec
from synthrr.tasks.sampling import default_per_label, draw_seeds, load_seeds, save_seeds
from synthrr.tasks.splits import example_id


def make_task(counts: dict[str, int], name: str = "toy", dupes: int = 0) -> SplitTask:
    labels = tuple(LabelSpec(name=lab, verbalization=f"about {lab}") for lab in counts)
    train = [
        Example(example_id(name, t), t, lab) for lab, n in counts.items() for t in (f"{lab} text {i}" for i in range(n))
    ]
    train += train[:dupes]
    spec = TaskSpec(name=name, labels=labels)
    return SplitTask(spec, "memory", lambda: {"train": train, "validation": [], "test": train[:3]})


def test_default_per_label_follows_the_paper() -> None:
    assert default_per_label(make_task({"a": 1, "b": 1})) == 100
    assert default_per_label(make_task({"a": 1, "b": 1, "c": 1})) == 50
    seeds = draw_seeds(make_task({"a": 300, "b": 300}))
    assert Counter(s.label for s in seeds) == {"a": 100, "b": 100}
    seeds = draw_seeds(make_task({"a": 80, "b": 80, "c": 80}))
    assert Counter(s.label for s in seeds) == {"a": 50, "b": 50, "c": 50}


def test_draw_is_deterministic_and_seed_dependent() -> None:
    task = make_task({"a": 200, "b": 200, "c": 200})
    one = draw_seeds(task, per_label=10, seed=7)
    assert one == draw_seeds(task, per_label=10, seed=7)
    assert {s.id for s in one} != {s.id for s in draw_seeds(task, per_label=10, seed=8)}


def test_smaller_sets_are_prefixes_per_label() -> None:
    task = make_task({"a": 100, "b": 100})
    small, big = draw_seeds(task, per_label=5), draw_seeds(task, per_label=20)
    for label in ("a", "b"):
        assert [s for s in small if s.label == label] == [s for s in big if s.label == label][:5]


def test_no_duplicate_texts_and_labels_in_spec_order() -> None:
    task = make_task({"b": 12, "a": 12}, dupes=12)
    seeds = draw_seeds(task, per_label=12)
    assert len({s.text for s in seeds}) == len(seeds) == 24
    assert [s.label for s in seeds] == ["b"] * 12 + ["a"] * 12


def test_small_label_takes_all_with_one_logged_line(caplog: pytest.LogCaptureFixture) -> None:
    task = make_task({"big": 50, "tiny": 3, "small": 4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log line, not a Python warning (no source lines)
        with caplog.at_level(logging.WARNING, logger="synthrr.tasks.sampling"):
            seeds = draw_seeds(task, per_label=10)
    assert Counter(s.label for s in seeds) == {"big": 10, "tiny": 3, "small": 4}
    [record] = caplog.records
    message = record.getMessage()
    assert "\n" not in message and "'tiny' (3), 'small' (4)" in message and "'big'" not in message
    assert "fewer examples than the 10 seeds per label" in message
    assert "lower --per-label (seeds.per_label) to 3" in message
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synthrr.tasks.sampling"):
        draw_seeds(task, per_label=3)
    assert not caplog.records


def test_bad_arguments_are_usage_errors() -> None:
    task = make_task({"a": 5, "b": 5})
    with pytest.raises(ConfigError, match=r"seeds\.per_label"):
        draw_seeds(task, per_label=0)
    with pytest.raises(ConfigError, match=r"seeds\.seed"):
        draw_seeds(task, seed=-1)
    with pytest.raises(UsageError, match="no split 'dev'; its splits: train, validation, test"):
        draw_seeds(task, split="dev")
    assert len(draw_seeds(task, per_label=1, split="test")) == 1  # test[:3] holds only label a (logged)


HASHSEED_SCRIPT = """
from synthrr.core.records import Example
from synthrr.tasks.sampling import draw_seeds
from synthrr.tasks.base import LabelSpec, SplitTask, TaskSpec
labels = ("a", "b", "c")
train = [Example(f"{lab}-{i}", f"{lab} text {i}", lab) for lab in labels for i in range(40)]
spec = TaskSpec(name="toy", labels=[LabelSpec(name=lab, verbalization=lab) for lab in labels])
task = SplitTask(spec, "memory", lambda: {"train": train, "validation": [], "test": []})
print(",".join(s.id for s in draw_seeds(task, per_label=4, seed=3)))
"""


def test_independent_of_python_hash_seed() -> None:
    outs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", HASHSEED_SCRIPT], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout.strip())
    assert len(outs) == 1
    ids = outs.pop().split(",")
    assert len(ids) == 12 and ids[0].startswith("a-") and ids[-1].startswith("c-")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    seeds = draw_seeds(make_task({"a": 20, "b": 20}), per_label=4)
    path = save_seeds(seeds, tmp_path / "out" / "seeds.parquet")
    assert load_seeds(path) == seeds
    assert not [p for p in path.parent.iterdir() if p.name != "seeds.parquet"]  # no temp files left
    assert load_seeds(save_seeds([], tmp_path / "empty.parquet")) == []


def test_load_seeds_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_seeds(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,hello\n")
    with pytest.raises(InputError, match="'label'"):
        load_seeds(bad)
