"""Custom task files and corpora that name a Hugging Face dataset (``data.hub`` / ``hub:NAME``),
read through the real ``datasets`` library: a local dataset folder stands in for the Hub (tests are
offline), ClassLabel ids become label names, and a Hub name offline is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli

datasets = pytest.importorskip("datasets")

TEXTS = {
    "billing": ["I was charged twice this month.", "Please refund my last payment.", "Where is my invoice?"],
    "technical": ["The app crashes on start.", "Upload fails with an error.", "The search button does nothing."],
}


def _dataset_folder(tmp_path: Path) -> Path:
    """A local dataset in the layout the Hub uses (train/test Parquet files) with a ClassLabel column."""
    names = ["billing", "technical"]
    features = datasets.Features({"body": datasets.Value("string"), "team": datasets.ClassLabel(names=names)})
    rows = [(t, names.index(lab)) for lab, ts in TEXTS.items() for t in ts]
    ds = datasets.Dataset.from_dict({"body": [t for t, _ in rows], "team": [i for _, i in rows]}, features=features)
    folder = tmp_path / "tickets-ds" / "data"
    folder.mkdir(parents=True)
    ds.to_parquet(str(folder / "train-00000.parquet"))
    ds.select(range(4)).to_parquet(str(folder / "test-00000.parquet"))
    return folder.parent


def _task(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(
        f"""name: tickets
labels: [billing, technical]  # names alone: each is its own verbalization
data:
  text_column: body
  label_column: team
  hub:
    name: {name}
    splits: {{train: train, test: test}}
""",
        encoding="utf-8",
    )
    return path


def test_a_task_file_reads_a_dataset_with_class_labels(tmp_path: Path) -> None:
    from synthrr.tasks import get_task

    task = get_task(str(_task(tmp_path, str(_dataset_folder(tmp_path)))))
    assert task.split_names() == ["train", "test"]
    train = task.load_split("train")
    assert len(train) == 6 and {e.label for e in train} == {"billing", "technical"}
    assert len(task.load_split("test")) == 4


def test_a_hub_task_offline_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["seeds", "--task", str(_task(tmp_path, "someone/no-such-dataset")),
                                   "--per-label", "2", "--out", str(tmp_path / "s.parquet")])  # fmt: skip
    assert res.exit_code == 2 and "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    assert "someone/no-such-dataset" in res.output and "needs network access" in res.output


def test_a_corpus_from_a_dataset(tmp_path: Path) -> None:
    folder = _dataset_folder(tmp_path)
    args = ["corpora", "--corpus", f"hub:{folder}:train", "--text-column", "body", "--min-tokens", "1", "--json"]
    res = CliRunner().invoke(cli, [*args, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert '"kept": 6' in res.output.replace(" ", "").replace('"kept":6', '"kept": 6')
    offline = CliRunner().invoke(cli, ["corpora", "--corpus", "hub:someone/no-such-corpus", "--no-progress"])
    assert offline.exit_code == 2 and "someone/no-such-corpus" in offline.output and "Traceback" not in offline.output
