"""The ``--llm fake`` plumbing check on a custom task with default settings (dense retrieval, every
filter, the seed-classifier verifier) meets its quota and exits 0; its identical rerun takes the
hits, every LLM answer and every verdict from the caches, so it opens no index, encodes nothing and
fits nothing, and writes the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.cli import cli

DATA = Path(__file__).parents[1] / "data"
TASK = str(DATA / "tasks" / "support_tickets.yaml")
CORPUS = str(DATA / "corpora" / "help_centre.jsonl")
CHECK = ["generate", "--task", TASK, "--corpus", CORPUS, "--llm", "fake", "--n", "20", "-q"]


def _run(tmp_path: Path) -> tuple[dict[str, object], pd.DataFrame]:
    result = CliRunner().invoke(cli, [*CHECK, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return manifest, pd.read_parquet(run_dir / "data.parquet")


def test_fake_plumbing_check_meets_its_quota_then_reruns_from_the_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    manifest, rows = _run(tmp_path)
    assert manifest["status"] == "complete" and manifest["counts"]["kept"] == 20  # type: ignore[index]
    assert len(rows) == 20 and set(rows["label"]) == {"billing", "technical", "account"}
    counts = manifest["counts"]
    assert counts["label_verifier_fitted"] == 1 and counts["label_verdicts_cached"] == 0  # type: ignore[index]
    # the fake's answers pass every filter: the verifier agrees with each one's label as it arrives
    assert "label_disagrees" not in manifest["drops"]  # type: ignore[operator]

    import synthrr.encoders.sentence
    import synthrr.retrieval.indexes
    from synthrr.synth import consistency

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a fully cached rerun did work it had cached")

    monkeypatch.setattr(synthrr.encoders.sentence.Encoder, "encode", refuse)
    monkeypatch.setattr(synthrr.retrieval.indexes, "open_index", refuse)
    monkeypatch.setitem(consistency.FEATURIZERS, "tfidf+minilm", refuse)
    again, again_rows = _run(tmp_path)
    assert again["llm"]["calls"] == 0 and again["llm"]["cache_hits"] > 0  # type: ignore[index]
    assert again["counts"]["label_verdicts_computed"] == 0  # type: ignore[index]
    assert again["counts"]["label_verdicts_cached"] == counts["label_verdicts_computed"]  # type: ignore[index]
    assert again["counts"]["label_verifier_fitted"] == 0 and again["counts"]["label_verifier_loaded"] == 0  # type: ignore[index]
    assert again_rows["text"].tolist() == rows["text"].tolist()
    assert again_rows["confidence"].tolist() == rows["confidence"].tolist()


def test_another_seed_set_misses_the_verdict_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    check_tfidf = [*CHECK, "--set", "synthesis.filters.consistency_features=tfidf"]
    first = CliRunner().invoke(cli, [*check_tfidf, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    other = CliRunner().invoke(cli, [*check_tfidf, "--out", str(tmp_path / "b"), "--set", "seeds.per_label=10"])
    assert other.exit_code == 0, other.output
    (run_dir,) = (tmp_path / "b").iterdir()
    counts = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert counts["label_verifier_fitted"] == 1 and counts["label_verdicts_cached"] == 0
