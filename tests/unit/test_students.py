"""The student protocol, the tfidf student, multi-seed distillation and the sampling helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthrr.core.errors import ConfigError, InputError, UnknownNameError
from synthrr.core.records import Example
from synthrr.students import STUDENTS, Student, get_student, load_student
from synthrr.students.distill import distill, fit_plan, fit_seeds, scores
from synthrr.tasks.sampling import balanced_sample, stratified_subsample

WORDS = {
    "sport": "match goal team player win league coach score",
    "tech": "phone software chip computer internet app code data",
    "music": "album song band concert guitar singer tour chart",
}


def _examples(n_per_label: int, offset: int = 0) -> list[Example]:
    out = []
    for lab, words in WORDS.items():
        w = words.split()
        for i in range(n_per_label):
            k = i + offset
            text = " ".join(w[(k * 3 + j) % len(w)] for j in range(5)) + f" item{k}"
            out.append(Example(f"{lab}-{k}", text, lab))
    return out


def test_registry_lists_builtins_and_rejects_unknown() -> None:
    assert {"tfidf", "minilm"} <= set(STUDENTS.names())
    with pytest.raises(UnknownNameError, match="known students"):
        get_student("nope")
    with pytest.raises(ConfigError, match=r"student\.bogus"):
        get_student("tfidf", bogus=1)


def test_tfidf_fit_predict_save_load(tmp_path: Path) -> None:
    train = _examples(8)
    s = get_student("tfidf").fit(
        [e.text for e in train], [e.label for e in train], label_names=["music", "sport", "tech", "news"]
    )
    assert isinstance(s, Student)
    assert s.labels == ["music", "sport", "tech", "news"]
    probe = ["goal team coach", "chip software code", "band guitar tour"]
    assert s.predict(probe) == ["sport", "tech", "music"]
    proba = s.predict_proba(probe)
    assert proba.shape == (3, 4) and proba[:, 3].sum() == 0.0  # an unseen label gets probability 0
    folder = s.save(tmp_path / "st", extra={"task": "toy"})
    meta = json.loads((folder / "student.json").read_text())
    assert meta["type"] == "tfidf" and meta["task"] == "toy" and meta["labels"] == s.labels
    assert json.loads((folder / "labels.json").read_text())["id2label"]["0"] == "music"
    again = load_student(folder)
    assert again.predict(probe) == s.predict(probe)
    assert again.predict_proba(probe) == pytest.approx(proba)
    assert again.predict([]) == []


def test_fit_errors_and_bad_folders(tmp_path: Path) -> None:
    s = get_student("tfidf")
    with pytest.raises(ValueError, match="at least 2 labels"):
        s.fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="not in label_names"):
        s.fit(["a", "b"], ["x", "y"], label_names=["x"])
    with pytest.raises(ValueError):
        s.save(tmp_path / "unfitted")
    with pytest.raises(InputError, match="not found"):
        load_student(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"student\.json"):
        load_student(tmp_path / "empty")


def test_distill_tfidf_fits_once_and_scores() -> None:
    train, test = _examples(10), _examples(4, offset=50)
    r = distill("tfidf", train, test, seeds=3)
    assert r.seeds == [0] and len(r.runs) == 1  # deterministic: one fit stands for all seeds
    assert r.accuracy_mean > 0.9 and r.accuracy_std == 0.0 and r.n_train == 30 and r.n_test == 12
    assert "accuracy" in r.summary()
    # the progress line before the fit says what the summary after it will say: one fit, not 3 seeds
    assert fit_plan("tfidf", 3).startswith("1 fit") and "(1 fit(s)" in r.summary()
    assert fit_plan("minilm", 3) == "3 seed(s)"


def test_fit_seeds_is_the_one_rule_for_which_seeds_are_fitted() -> None:
    assert fit_seeds("tfidf", [5, 7]) == [5] and fit_seeds("minilm", [5, 7]) == [5, 7]
    assert fit_seeds("minilm", 3) == [0, 1, 2] and fit_plan("tfidf", 1) == "1 seed(s)"
    with pytest.raises(ValueError, match="at least one seed"):
        fit_seeds("minilm", [])


def test_scores_macro_over_given_labels() -> None:
    s = scores(["a", "b"], ["a", "a"], ["a", "b", "c"])
    assert s["accuracy"] == 0.5
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0 + 0) / 3)


def test_balanced_sample_and_stratified_subsample() -> None:
    pool = _examples(20)
    got = balanced_sample(pool, 10, ["sport", "tech", "music"], seed=1)
    counts = {lab: sum(e.label == lab for e in got) for lab in WORDS}
    assert counts == {"sport": 4, "tech": 3, "music": 3}  # remainder to the first labels
    assert got == balanced_sample(pool, 10, ["sport", "tech", "music"], seed=1)
    assert got != balanced_sample(pool, 10, ["sport", "tech", "music"], seed=2)
    skewed = _examples(10)[:10] + _examples(10)[10:15] + _examples(10)[20:30]  # 10 / 5 / 10
    sub = stratified_subsample(skewed, 10, seed=0)
    assert len(sub) == 10
    assert {lab: sum(e.label == lab for e in sub) for lab in WORDS} == {"sport": 4, "tech": 2, "music": 4}
    assert [skewed.index(e) for e in sub] == sorted(skewed.index(e) for e in sub)  # input order kept
    assert stratified_subsample(skewed, None) == skewed and stratified_subsample(skewed, 99) == skewed


def test_minilm_options_are_validated() -> None:
    s = get_student("minilm", epochs=1, max_length=32)
    assert s.options.model_dump()["max_length"] == 32
    with pytest.raises(ConfigError, match=r"student\.lr"):
        get_student("minilm", lr=-1)


def test_free_cores_is_within_the_cpu_set() -> None:
    import os

    from synthrr.core.resources import free_cores

    n = free_cores(window=0.05)
    assert 1 <= n <= len(os.sched_getaffinity(0))


def test_core_follower_resizes_when_the_free_cores_change_and_only_then() -> None:
    from synthrr.core.resources import CoreFollower

    now, free, sizes = [0.0], [2], []
    follow = CoreFollower(sizes.append, 2, every=10.0, measure=lambda: free[0], clock=lambda: now[0])
    for t, cores in [(5.0, 1), (10.0, 1), (12.0, 2), (19.0, 2), (20.0, 2), (31.0, 1)]:
        now[0], free[0] = t, cores
        follow.tick()
    # measured at 10 (1 core: shrink), 20 (2: grow back), 31 (1: shrink); the ticks between are free
    assert sizes == [1, 2, 1] and follow.current == 1 and follow.resizes == 3
    now[0] = 45.0
    assert follow.tick() == 1 and sizes == [1, 2, 1]  # unchanged: no resize call


@pytest.mark.parametrize(("n", "batch_size", "steps"), [(10, 4, 7), (8, 4, 2), (5, 8, 3), (9, 3, 3)])
def test_minilm_steps_walk_seeded_epochs(n: int, batch_size: int, steps: int) -> None:
    torch = pytest.importorskip("torch")
    from synthrr.students.minilm import _step_batches

    batches = list(_step_batches(torch, n, batch_size, steps, torch.Generator().manual_seed(3)))
    assert len(batches) == steps
    per_epoch = -(-n // batch_size)
    for e in range(0, steps, per_epoch):  # every full epoch is one permutation of the examples
        epoch = [i for b in batches[e : e + per_epoch] for i in b]
        if e + per_epoch <= steps:
            assert sorted(epoch) == list(range(n))
    again = list(_step_batches(torch, n, batch_size, steps, torch.Generator().manual_seed(3)))
    assert again == batches
