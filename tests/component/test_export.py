"""synthrr export: a run as a DatasetDict folder or a Parquet / JSONL / CSV file with a dataset card;
--push-to-hub goes through huggingface_hub (its upload is replaced here: no network in tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from synthrr.api import load
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
    assert res.exit_code == 2 and "not an empty folder; pass --overwrite to replace it" in res.output
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "busy"), "--overwrite"])
    assert res.exit_code == 2 and "not an earlier synthrr export" in res.output  # never wipes other files
    assert (tmp_path / "busy" / "x").read_text() == "x"
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


def _synthesizrr_run(tmp_path: Path) -> Path:
    """A SynthesizRR run whose task and corpus are given as absolute paths under ``tmp_path``."""
    task_dir = tmp_path / "private" / "tasks"
    task_dir.mkdir(parents=True)
    source = Path(TASK)
    (task_dir / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (task_dir / "support_tickets").symlink_to(source.parent / "support_tickets")
    corpus = tmp_path / "private" / "my corpus.jsonl"
    corpus.write_text((source.parent.parent / "corpora" / "tiny.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    args = ["generate", "--task", str(task_dir / source.name), "--corpus", str(corpus), "--method", "synthesizrr"]
    args += ["--llm", "fake", "--retriever", "bm25", "--per-label", "5", "--n", "6", "--shots", "2"]
    args += ["--out", str(tmp_path / "runs"), "--no-progress", "--set", "synthesis.filters.label_consistency=none"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 4), res.output  # the tiny corpus may not fill every quota
    return next((tmp_path / "runs").iterdir())


def test_the_card_names_no_local_folder_and_counts_from_the_rows(tmp_path: Path) -> None:
    run_dir = _synthesizrr_run(tmp_path)
    out = tmp_path / "card"
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--format", "parquet"])
    assert res.exit_code == 0, res.output
    text = (out / "README.md").read_text(encoding="utf-8")
    assert str(tmp_path) not in text and str(Path.home()) not in text and "private" not in text
    assert not re.search(r"(^|[\s`(])/(home|tmp|root|Users|work|var|private)\b", text, re.MULTILINE), text
    assert "{" not in text and "}" not in text  # prose, not JSON
    assert "`my corpus.jsonl` (fingerprint `" in text and "`support_tickets.yaml` (fingerprint `" in text
    meta, _ = _card(out)
    assert meta["synthrr"]["corpus"].startswith("my corpus.jsonl (fingerprint ")  # type: ignore[index]
    rows = pd.read_parquet(out / "train.parquet")
    shots = sorted({len(ids) for ids in rows["demo_ids"]})
    said = f"{shots[0]} in-context demonstration" if len(shots) == 1 else f"{shots[0]}–{shots[-1]} in-context"
    assert said in text and f"{len(rows)} labelled texts" in text
    assert "3 in-context" not in text  # the default number of shots is not what these rows had


def test_columns_keeps_only_those(run_dir: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    args = ["export", str(run_dir), str(tmp_path / "p"), "--format", "parquet", "--columns", "text,label"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert list(pd.read_parquet(tmp_path / "p" / "train.parquet").columns) == ["text", "label"]
    meta, body = _card(tmp_path / "p")
    assert meta["synthrr"]["columns"] == ["text", "label"] and "`prompt_hash`" not in body  # type: ignore[index]
    assert (
        CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "h"), "--columns", "label,text"]).exit_code == 0
    )
    ds = datasets.load_from_disk(str(tmp_path / "h"))["train"]
    assert ds.column_names == ["label", "text"] and ds.features["label"].names == ["billing", "technical", "account"]
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "u"), "--columns", "text,lable"])
    assert res.exit_code == 2 and "unknown column 'lable'" in res.output and "did you mean 'label'" in res.output
    assert "known columns: id, text, label" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "u").exists()


def test_overwrite_replaces_an_earlier_export(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--format", "csv"]).exit_code == 0
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--format", "jsonl"])
    assert res.exit_code == 2 and "--overwrite" in res.output and (out / "train.csv").is_file()
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(out), "--format", "jsonl", "--overwrite"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "train.jsonl"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left


def test_python_export_takes_columns_and_overwrite(run_dir: Path, tmp_path: Path) -> None:
    from synthrr.core.errors import UsageError

    run = load(run_dir)
    out = run.export(tmp_path / "py", "csv", columns=["text", "label"])
    with pytest.raises(UsageError, match="pass overwrite=True to replace it"):
        run.export(out, "csv")
    run.export(out, "parquet", columns=["text"], overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "train.parquet"]
    assert list(pd.read_parquet(out / "train.parquet").columns) == ["text"]
