"""The label verifier's content-addressed cache: a second scoring of the same texts with the same seed
set and model takes every verdict from the cache (no classifier, no features); a changed seed set,
feature set or encoder misses it."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthrr.core.records import Example, SyntheticExample
from synthrr.synth import consistency
from synthrr.synth.consistency import SeedClassifierFilter
from synthrr.synth.verifier_cache import VerifierCache

SEEDS = [
    Example("p1", "great wonderful film loved it", "pos"),
    Example("p2", "brilliant acting great story", "pos"),
    Example("p3", "wonderful and moving, loved every minute", "pos"),
    Example("n1", "terrible boring film hated it", "neg"),
    Example("n2", "awful acting dull story", "neg"),
    Example("n3", "boring and terrible, hated every minute", "neg"),
]
TEXTS = ["a great wonderful story", "an awful boring film", "loved the brilliant acting", "dull and terrible"]


def _rows(texts: list[str], label: str = "pos") -> list[SyntheticExample]:
    return [
        SyntheticExample(id=f"r{i}", text=t, label=label, method="fewgen", job_id="j", prompt_hash="h", model="fake")
        for i, t in enumerate(texts)
    ]


def _verifier(cache: VerifierCache, seeds: list[Example] = SEEDS, features: str = "tfidf") -> SeedClassifierFilter:
    return SeedClassifierFilter(seeds, features, require_agreement=True, cache=cache)


def _no_fitting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("features were computed on a fully cached rerun")

    monkeypatch.setitem(consistency.FEATURIZERS, "tfidf", refuse)
    monkeypatch.setattr(consistency.TfidfFeatures, "__call__", refuse)


def test_rerun_takes_every_verdict_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first_rows = _rows(TEXTS)
    first = _verifier(VerifierCache(tmp_path))
    verdicts = first.apply(first_rows)
    assert first.counts() == {
        "label_verdicts_cached": 0,
        "label_verdicts_computed": 4,
        "label_verifier_loaded": 0,
        "label_verifier_fitted": 1,
    }
    _no_fitting(monkeypatch)
    again_rows = _rows(TEXTS)
    again = _verifier(VerifierCache(tmp_path))
    assert again.apply(again_rows) == verdicts
    assert [r.confidence for r in again_rows] == [r.confidence for r in first_rows]
    assert again.counts()["label_verdicts_cached"] == 4 and again.counts()["label_verdicts_computed"] == 0
    assert again.counts()["label_verifier_fitted"] == 0 and again.counts()["label_verifier_loaded"] == 0


def test_new_texts_load_the_cached_classifier_instead_of_fitting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _verifier(VerifierCache(tmp_path)).apply(_rows(TEXTS))
    monkeypatch.setitem(consistency.FEATURIZERS, "tfidf", lambda fit: pytest.fail("fitted again"))
    v = _verifier(VerifierCache(tmp_path))
    assert v.predict(["what a great film", "an awful film"]) == ["pos", "neg"]
    assert v.counts()["label_verifier_loaded"] == 1 and v.counts()["label_verifier_fitted"] == 0
    assert v.counts()["label_verdicts_computed"] == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: {"seeds": [*SEEDS[:-1], Example("n3", "dreadful, hated every minute", "neg")]}, id="seed"),
        pytest.param(
            lambda: {"seeds": [Example(s.id, s.text, "x" if s.label == "neg" else s.label) for s in SEEDS]}, id="label"
        ),
        pytest.param(lambda: {"features": "minilm"}, id="features"),
    ],
)
def test_a_changed_seed_set_or_features_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    _stub_encoder(monkeypatch, "model-a")
    _verifier(VerifierCache(tmp_path)).apply(_rows(TEXTS))
    v = _verifier(VerifierCache(tmp_path), **change())
    v.apply(_rows(TEXTS))
    assert v.counts()["label_verdicts_cached"] == 0 and v.counts()["label_verifier_fitted"] == 1


def test_another_encoder_model_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_encoder(monkeypatch, "model-a")
    _verifier(VerifierCache(tmp_path), features="minilm").apply(_rows(TEXTS))
    same = _verifier(VerifierCache(tmp_path), features="minilm")
    same.apply(_rows(TEXTS))
    assert same.counts()["label_verdicts_cached"] == 4
    _stub_encoder(monkeypatch, "model-b")
    other = _verifier(VerifierCache(tmp_path), features="minilm")
    other.apply(_rows(TEXTS))
    assert other.counts()["label_verdicts_cached"] == 0 and other.counts()["label_verifier_fitted"] == 1


def test_an_unreadable_classifier_is_refitted_and_replaced(tmp_path: Path) -> None:
    v = _verifier(VerifierCache(tmp_path))
    v.predict(["great"])
    (path,) = (tmp_path / "classifiers").glob("*.pkl")
    path.write_bytes(b"not a pickle")
    again = _verifier(VerifierCache(tmp_path))
    assert again.predict(["a new text, loved it"]) == ["pos"]
    assert again.counts()["label_verifier_fitted"] == 1
    assert pickle.loads(path.read_bytes())  # replaced by the refit


def test_a_damaged_verdict_store_is_a_warning_not_a_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tmp_path.joinpath("verdicts.sqlite").write_bytes(b"this is not a database" * 100)
    v = _verifier(VerifierCache(tmp_path))
    assert v.apply(_rows(["a great wonderful story", "an awful boring film"])) == [None, "label_disagrees"]
    assert sum("label-verifier cache" in r.getMessage() for r in caplog.records) == 1


def test_without_a_cache_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path))
    v = SeedClassifierFilter(SEEDS, "tfidf", require_agreement=True, cache=None)
    assert v.predict(TEXTS[:2]) == ["pos", "neg"] and v.counts() == {}
    assert not (tmp_path / "verifier").exists()


class _StubEncoder:
    def __init__(self, identity: str) -> None:
        self.identity = identity

    def encode(self, texts: list[str]) -> np.ndarray:
        vecs = np.array(
            [[t.count("great") + t.count("loved") + 0.1, t.count("awful") + t.count("boring") + 0.1] for t in texts]
        )
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _stub_encoder(monkeypatch: pytest.MonkeyPatch, identity: str) -> None:
    monkeypatch.setattr(consistency, "get_encoder", lambda *a, **k: _StubEncoder(identity))
