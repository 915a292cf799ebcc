from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthrr.core.errors import InputError
from synthrr.run.manifest import LabelQuota, RunManifest


def _manifest() -> RunManifest:
    return RunManifest(
        status="incomplete",
        stop_reason="max_prompts",
        fingerprint="abc123",
        task="imdb",
        method="synthesizrr",
        prompt_form="chat",
        model={"backend": "fake", "identity": "fake:1", "label": "fake"},
        counts={"prompts": 9, "kept": 7},
        drops={"too_short": 2},
        per_label={"neg": LabelQuota(4, 3, widened_prompts=2), "pos": LabelQuota(4, 4)},
        llm={"calls": 9},
        executor={"name": "local", "workers": []},
        timings_s={"total": 1.5},
    )


def test_typed_fields_and_the_shortfall() -> None:
    m = _manifest()
    assert m.kept == 7 and m.shortfall() == {"neg": 1} and m.per_label["neg"].widened_prompts == 2
    assert "python" in m.versions


def test_reads_as_its_json_form() -> None:
    m = _manifest()
    as_json = json.loads(json.dumps(dict(m)))
    assert as_json == json.loads(json.dumps(m.to_dict()))
    assert m["per_label"]["neg"] == {"target": 4, "kept": 3, "widened_prompts": 2}
    assert m.get("stop_reason") == "max_prompts" and m.get("nope") is None and "counts" in m
    assert set(m) == set(as_json)


def test_a_manifest_read_back_is_the_record_it_was_written_from() -> None:
    m = _manifest()
    text = json.dumps(m.to_dict(), indent=2)
    back = RunManifest.from_dict(json.loads(text))
    assert back == m and json.dumps(back.to_dict(), indent=2) == text
    assert back.per_label["neg"] == LabelQuota(4, 3, widened_prompts=2)


def test_a_hand_made_manifest_reads_with_empty_fields() -> None:
    """A manifest of a test or an older version (only some keys) still reads: what it lacks is empty,
    never taken from this process (no versions of today's packages)."""
    m = RunManifest.from_dict({"task": "imdb", "method": "fewgen", "per_label": {"pos": {"target": 3}}, "x": 1})
    assert (m.task, m.method, m.status, m.stop_reason, m.counts, m.versions) == ("imdb", "fewgen", "", None, {}, {})
    assert m.per_label["pos"] == LabelQuota(3, 0) and m.kept == 0 and "x" not in m


def test_metrics_read_back_typed_and_tolerate_a_partial_file() -> None:
    from synthrr.run.manifest import RunMetrics, StudentResult

    st = StudentResult("tfidf", {"C": 4}, 6, 8, [0], 0.75, 0.0, 0.7, 0.0, [{"seed": 0}], test_limit=8)
    full = RunMetrics(run="runs/a", task="imdb", n=6, metrics={"distinct": {"distinct_2": 0.5}}, students={"tfidf": st})
    text = json.dumps(full.to_dict())
    back = RunMetrics.from_dict(json.loads(text))
    assert back == full and back.students["tfidf"].test_limit == 8 and json.dumps(back.to_dict()) == text
    assert back["students"]["tfidf"]["accuracy_mean"] == 0.75  # still reads as the file
    partial = RunMetrics.from_dict({"metrics": {"distinct": {"distinct_2": 0.5}}})
    assert partial.students == {} and partial.data_fingerprint == ""
    assert partial.metrics["distinct"]["distinct_2"] == 0.5


def test_an_edited_manifest_is_one_input_error(tmp_path: Path) -> None:
    from synthrr.run.rundir import read_manifest

    (tmp_path / "manifest.json").write_text(json.dumps({"task": "imdb", "per_label": {"pos": 3}}), encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest\.json.*unexpected content"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"task": "imdb"}), encoding="utf-8")
    assert read_manifest(tmp_path).task == "imdb"
