"""Students on real data: both beat chance on a small BBC News set; the MiniLM student (the packaged
all-MiniLM-L6-v2 fine-tuned with a classification head) saves, reloads and serves ``synthrr predict``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.students import load_student
from synthrr.students.distill import distill
from synthrr.tasks import get_task
from synthrr.tasks.sampling import balanced_sample, stratified_subsample

pytestmark = pytest.mark.e2e
CHANCE = 1 / 5  # five balanced-ish classes


@pytest.fixture(scope="module")
def bbc() -> tuple[list, list, list[str]]:  # type: ignore[type-arg]
    task = get_task("bbc_news")
    train = balanced_sample(task.load_split("train"), 100, task.spec.label_names, seed=0)
    test = stratified_subsample(task.load_split("test"), 150, seed=0)
    return train, test, task.spec.label_names


def test_tfidf_beats_chance(bbc: tuple) -> None:  # type: ignore[type-arg]
    train, test, names = bbc
    r = distill("tfidf", train, test, label_names=names, seeds=3)
    assert r.accuracy_mean > 3 * CHANCE and r.macro_f1_mean > 0.5


def test_minilm_beats_chance_saves_and_predicts(bbc: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    train, test, names = bbc
    opts = {"epochs": 3, "min_steps": 0, "max_length": 64, "batch_size": 16, "device": "cpu"}
    r = distill("minilm", train, test, label_names=names, seeds=1, options=opts, save_dir=tmp_path / "minilm")
    assert r.accuracy_mean > 2 * CHANCE, r.summary()
    assert r.runs[0]["fit_s"] > 0 and r.model_dir == str(tmp_path / "minilm")
    folder = tmp_path / "minilm"
    assert (folder / "model" / "config.json").is_file() and (folder / "labels.json").is_file()
    student = load_student(folder)
    assert student.labels == names
    probe = [ex.text for ex in test[:8]]
    p = student.predict_proba(probe)
    assert p.shape == (8, 5) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    sport = "The striker scored twice as the club won the league title after a tense final match."
    res = CliRunner().invoke(cli, ["predict", "--model", str(folder), sport])
    assert res.exit_code == 0, res.output
    label, prob, _ = res.output.split("\t", 2)
    assert label in names and 0 < float(prob) <= 1


def test_minilm_min_steps_give_a_small_set_more_passes(bbc: tuple) -> None:  # type: ignore[type-arg]
    from synthrr.students import get_student

    train, _, names = bbc
    small = train[::12][:8]  # the sample is grouped by label: take several labels
    opts = {"epochs": 1, "batch_size": 4, "max_length": 16, "device": "cpu"}
    one_pass = get_student("minilm", **opts, min_steps=0).fit(
        [e.text for e in small], [e.label for e in small], label_names=names
    )
    assert one_pass.train_stats["steps"] == 2
    more = get_student("minilm", **opts, min_steps=5).fit(
        [e.text for e in small], [e.label for e in small], label_names=names
    )
    assert more.train_stats["steps"] == 5 and more.train_stats["examples"] == 5 * 4


def test_minilm_label_smoothing_makes_a_less_confident_student(bbc: tuple) -> None:  # type: ignore[type-arg]
    """SuperGen's student recipe: with label smoothing the same fit ends less sure of its answers."""
    from synthrr.students import get_student

    train, test, names = bbc
    opts = {"epochs": 2, "min_steps": 0, "batch_size": 16, "max_length": 32, "device": "cpu"}
    texts, labels = [e.text for e in train], [e.label for e in train]
    probe = [e.text for e in test[:40]]
    sharp = get_student("minilm", **opts).fit(texts, labels, label_names=names).predict_proba(probe)
    smooth = get_student("minilm", **opts, label_smoothing=0.3).fit(texts, labels, label_names=names)
    soft = smooth.predict_proba(probe)
    assert soft.max(axis=1).mean() < sharp.max(axis=1).mean()
    assert (soft.argmax(axis=1) == sharp.argmax(axis=1)).mean() > 0.5  # same task learnt


def test_minilm_follows_the_free_cores_unless_its_threads_are_pinned(
    bbc: tuple,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A neighbour that starts mid-fit takes a core: the fit's torch pool shrinks to what is left."""
    import torch

    from synthrr.core import resources
    from synthrr.students import get_student
    from synthrr.students import minilm as minilm_module

    class EveryStep(resources.CoreFollower):
        def __init__(self, resize, current, **_):  # type: ignore[no-untyped-def]
            super().__init__(resize, current, every=0.0, measure=lambda: 1)

    monkeypatch.setattr(minilm_module, "CoreFollower", EveryStep)
    monkeypatch.setattr(minilm_module, "free_cores", lambda: 2)  # free at the start
    train, _, names = bbc
    texts, labels = [e.text for e in train[::10]], [e.label for e in train[::10]]
    opts = {"epochs": 1, "min_steps": 0, "batch_size": 4, "max_length": 16, "device": "cpu"}
    before = torch.get_num_threads()
    try:
        followed = get_student("minilm", **opts).fit(texts, labels, label_names=names)
        assert followed.train_stats["threads"] == 1 and torch.get_num_threads() == 1
        pinned = get_student("minilm", **opts, threads=2).fit(texts, labels, label_names=names)
        assert pinned.train_stats["threads"] == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
