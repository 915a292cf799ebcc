"""synthrr export: a run as a DatasetDict folder or a Parquet / JSONL / CSV file with a dataset card;
--push-to-hub goes through huggingface_hub (its upload is replaced here: no network in tests)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from synthrr.cli import cli

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "6"]
    args += ["--out", str(tmp_path / "runs"), "--no-progress", "--set", "synthesis.filters.label_consistency=none"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return next((tmp_path / "runs").iterdir())


def _card(folder: Path) -> tuple[dict[str, object], str]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    _, meta, body = text.split("---\n", 2)
    return yaml.safe_load(meta), body


def test_hf_export_loads_back_with_class_labels_and_a_card(run_dir: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "export"
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(out)])
    assert res.exit_code == 0, res.output
    ds = datasets.load_from_disk(str(out))["train"]
    assert len(ds) == 6 and ds.features["label"].names == ["billing", "technical", "account"]
    meta, body = _card(out)
    assert meta["task_categories"] == ["text-classification"] and meta["size_categories"] == ["n<1K"]
    assert meta["synthrr"]["method"] == "fewgen" and meta["synthrr"]["rows"] == 6  # type: ignore[index]
    assert "| billing | 2 |" in body and "`prompt_hash`" in body and "## License and use" in body


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_table_formats(run_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    assert CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--format", fmt]).exit_code == 0
    read = {"parquet": pd.read_parquet, "csv": pd.read_csv, "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt]
    df = read(out / f"train.{fmt}")
    assert len(df) == 6 and set(df["label"]) == {"billing", "technical", "account"}
    assert (out / "README.md").is_file()


def test_the_card_reports_metrics_once_evaluated(run_dir: Path, tmp_path: Path) -> None:
    args = ["evaluate", str(run_dir), "--student", "tfidf", "--seeds", "1", "--metrics", "distinct"]
    ev = CliRunner().invoke(cli, args)
    assert ev.exit_code == 0, ev.output
    assert CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "e"), "--format", "csv"]).exit_code == 0
    _, body = _card(tmp_path / "e")
    assert "## Measured (synthrr evaluate)" in body and "`tfidf` student trained on this data: accuracy" in body
    meta, student_card = _card(run_dir / "students" / "tfidf")  # the saved student's model card
    assert meta["pipeline_tag"] == "text-classification" and meta["synthrr"]["labels"] == [  # type: ignore[index]
        "billing", "technical", "account",
    ]  # fmt: skip
    assert "## Evaluation" in student_card and "real test examples" in student_card and str(run_dir) in student_card


def test_export_refuses_a_non_empty_folder_and_an_unknown_run(run_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "busy")])
    assert res.exit_code == 2 and "not an empty folder" in res.output
    res = CliRunner().invoke(cli, ["export", str(tmp_path / "nope"), str(tmp_path / "o")])
    assert res.exit_code == 2 and "run directory not found" in res.output and not (tmp_path / "o").exists()


def test_push_to_hub_creates_the_dataset_and_uploads_the_folder(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = pytest.importorskip("huggingface_hub")
    calls: list[tuple[str, dict[str, object]]] = []
    create = lambda self, repo, **kw: calls.append(("create", {"repo": repo, **kw}))  # noqa: E731
    monkeypatch.setattr(hub.HfApi, "create_repo", create)
    monkeypatch.setattr(hub.HfApi, "upload_folder", lambda self, **kw: calls.append(("upload", kw)))
    out = tmp_path / "hub"
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--push-to-hub", "me/tickets"])
    assert res.exit_code == 0, res.output
    assert calls[0] == ("create", {"repo": "me/tickets", "repo_type": "dataset", "private": True, "exist_ok": True})
    assert calls[1] == ("upload", {"folder_path": str(out), "repo_id": "me/tickets", "repo_type": "dataset"})
    assert "https://huggingface.co/datasets/me/tickets" in res.output
