"""Custom YAML tasks: the worked example, the single-file mode, and one clear error per bad input."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.errors import ConfigError, InputError, SynthrrError
from synthrr.tasks import get_task
from synthrr.tasks.custom import DEFAULT_TEMPLATES
from synthrr.tasks.sampling import draw_seeds

EXAMPLE = Path(__file__).parents[1] / "data" / "tasks" / "support_tickets.yaml"

HEAD = """\
name: toy
labels:
  - {name: neg, verbalization: a complaint}
  - {name: pos, verbalization: praise}
"""


def write_task(tmp_path: Path, body: str, files: dict[str, str | bytes] | None = None) -> Path:
    for name, content in (files or {}).items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    path = tmp_path / "task.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


def load_all(path: Path) -> dict[str, list]:
    task = get_task(str(path))
    return {s: task.load_split(s) for s in task.split_names()}


def cli_error(path: Path | str) -> str:
    """Run `synthrr tasks --task PATH`; it must fail with exit code 2 and one error line."""
    result = CliRunner().invoke(cli, ["tasks", "--task", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---- the worked example -------------------------------------------------------------------------


def test_worked_example_loads_with_explicit_splits() -> None:
    task = get_task(str(EXAMPLE))
    assert task.name == "support_tickets" and task.spec.label_names == ["billing", "technical", "account"]
    assert task.split_names() == ["train", "validation", "test"]
    assert task.split_sizes() == {"train": 36, "validation": 9, "test": 15}
    assert task.label_counts("train") == {"billing": 12, "technical": 12, "account": 12}
    train = task.load_split("train")
    assert all(ex.id.startswith("support_tickets-") for ex in train)
    assert train[0].text.startswith("I was charged twice")
    # templates not given in the YAML fall back to the generic defaults
    assert task.spec.templates["zerogen"] == DEFAULT_TEMPLATES["zerogen"]
    assert "help-centre article" in task.spec.instruction("synthesizrr", "billing")
    seeds = draw_seeds(task, per_label=4)
    assert len(seeds) == 12


def test_worked_example_through_the_cli() -> None:
    result = CliRunner().invoke(cli, ["tasks", "--task", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "support_tickets" in result.output and "VERBALIZATION" in result.output
    assert "billing" in result.output and "(total)" in result.output
    result = CliRunner().invoke(cli, ["tasks", "--task", str(EXAMPLE), "--json"])
    info = json.loads(result.output)
    assert info["label_counts"]["test"] == {"billing": 5, "technical": 5, "account": 5}
    assert info["sizes"] == {"train": 36, "validation": 9, "test": 15}
    assert info["spec"]["context_header"] == "Help-centre article:"


def test_single_file_is_split_like_the_builtins(tmp_path: Path) -> None:
    rows = [{"review": f"text number {i} " + "x" * (i % 7), "stars": i % 2} for i in range(60)]
    lines = "\n".join(json.dumps(r) for r in rows) + "\n"
    path = write_task(
        tmp_path,
        """\
        data:
          text_column: review
          label_column: stars
          label_map: {0: neg, 1: pos}
          file: all.jsonl
        """,
        {"all.jsonl": lines},
    )
    splits = load_all(path)
    assert {s: len(v) for s, v in splits.items()} == {"train": 42, "validation": 6, "test": 12}
    for split, per_label in (("test", 6), ("validation", 3)):
        assert [e.label for e in splits[split]].count("pos") == per_label
    # deterministic across loads, and disjoint
    again = load_all(path)
    assert {s: [e.id for e in v] for s, v in splits.items()} == {s: [e.id for e in v] for s, v in again.items()}
    assert len({e.id for v in splits.values() for e in v}) == 60


def test_parquet_and_tsv_files_and_only_train(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": ["good film", "bad film", "great", "awful"], "label": [1, 0, 1, 0]})
    df.to_parquet(tmp_path / "train.parquet")
    path = write_task(
        tmp_path,
        """\
        data:
          label_map: {0: neg, 1: pos}
          splits: {train: train.parquet, test: test.tsv}
        """,
        {"test.tsv": "text\tlabel\nfine\t1\nmeh\t0\n"},
    )
    task = get_task(str(path))
    assert task.split_names() == ["train", "test"]
    assert task.label_counts("train") == {"neg": 2, "pos": 2}
    assert [e.label for e in task.load_split("test")] == ["pos", "neg"]


def test_a_default_template_serves_the_other_methods(tmp_path: Path) -> None:
    body = "templates: {default: 'Write {answer_prefix} {label}', fewgen: 'F {verbalization}'}\ndata: {file: d.csv}\n"
    spec = get_task(str(write_task(tmp_path, body, {"d.csv": "text,label\na,pos\n"}))).spec
    assert spec.instruction("synthesizrr", "pos") == "Write Text pos"
    assert spec.instruction("fewgen", "neg") == "F a complaint"


def test_duplicates_within_a_split_are_dropped(tmp_path: Path) -> None:
    path = write_task(
        tmp_path, "data: {splits: {train: t.csv}}\n", {"t.csv": "text,label\nsame  text,neg\nsame text,neg\nb,pos\n"}
    )
    assert [e.text for e in load_all(path)["train"]] == ["same text", "b"]


# ---- one clear error per bad input ---------------------------------------------------------------

OK_CSV = "text,label\nnice,pos\nbad,neg\n"

YAML_ERRORS = {
    "unknown top-level key": (HEAD + "colour: red\ndata: {file: d.csv}\n", ConfigError, ["'colour'", "unknown key"]),
    "unknown data key": (HEAD + "data: {file: d.csv, text_col: x}\n", ConfigError, ["'data.text_col'", "unknown key"]),
    "missing labels": ("name: toy\ndata: {file: d.csv}\n", ConfigError, ["'labels'", "required"]),
    "bad max_new_tokens": (
        HEAD + "max_new_tokens: 0\ndata: {file: d.csv}\n",
        ConfigError,
        ["'max_new_tokens'", "greater than or equal to 1"],
    ),
    "both file and splits": (
        HEAD + "data: {file: d.csv, splits: {train: d.csv}}\n",
        ConfigError,
        ["'data'", "exactly one of"],
    ),
    "neither file nor splits": (HEAD + "data: {text_column: t}\n", ConfigError, ["'data'", "exactly one of"]),
    "label_map to undefined label": (
        HEAD + "data: {file: d.csv, label_map: {0: neg, 1: positive}}\n",
        ConfigError,
        ["'data.label_map'", "'positive'", "neg, pos"],
    ),
    "unknown placeholder": (
        HEAD + "templates: {fewgen: 'Write {lable}'}\ndata: {file: d.csv}\n",
        ConfigError,
        ["'templates'", "{lable}"],
    ),
    "duplicate label": (
        "name: t\nlabels: [{name: a, verbalization: A}, {name: a, verbalization: B}]\ndata: {file: d.csv}\n",
        ConfigError,
        ["'labels'", "duplicate label name(s): a"],
    ),
    "malformed YAML": (HEAD + "data: {file: d.csv\n", InputError, ["task.yaml:", "malformed YAML"]),
    "not a mapping": ("- just\n- a list\n", InputError, ["task.yaml", "expected a mapping"]),
}


@pytest.mark.parametrize("case", list(YAML_ERRORS))
def test_yaml_errors(tmp_path: Path, case: str) -> None:
    text, exc, needles = YAML_ERRORS[case]
    (tmp_path / "d.csv").write_text(OK_CSV)
    path = tmp_path / "task.yaml"
    path.write_text(text)
    with pytest.raises(exc) as info:
        get_task(str(path))
    msg = str(info.value)
    assert str(path) in msg
    for needle in needles:
        assert needle in msg
    line = cli_error(path)
    assert all(needle in line for needle in needles)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(HEAD + "data:\n  file: [d.csv\n  text_column: x\n")
    with pytest.raises(InputError) as info:
        get_task(str(path))
    assert info.value.line is not None and info.value.line >= 6


DATA_ERRORS = {
    "missing data file": (
        "data: {splits: {train: nowhere/train.csv}}",
        {},
        ["nowhere/train.csv", "data file not found", "data.splits.train"],
    ),
    "label the task does not define (CSV)": (
        "data: {file: d.csv}",
        {"d.csv": 'text,label\nnice,pos\n"two\nlines",neg\nmeh,neutral\n'},
        ["d.csv:5:", "data row 3", "'neutral'", "known labels: neg, pos"],
    ),
    "label the task does not define (JSONL)": (
        "data: {splits: {train: d.jsonl}}",
        {"d.jsonl": '{"text": "a", "label": "pos"}\n\n{"text": "b", "label": "NEG"}\n'},
        ["d.jsonl:3:", "data row 2", "'NEG'", "known labels: neg, pos"],
    ),
    "raw value missing from label_map": (
        "data: {file: d.csv, label_map: {0: neg, 1: pos}}",
        {"d.csv": "text,label\na,0\nb,1\nc,2\n"},
        ["d.csv:4:", "data row 3", "'2'", "not in data.label_map", "0, 1"],
    ),
    "empty label": (
        "data: {file: d.jsonl}",
        {"d.jsonl": '{"text": "a", "label": "pos"}\n{"text": "b"}\n'},
        ["d.jsonl:2:", "empty value in column 'label'"],
    ),
    "empty text": (
        "data: {file: d.csv}",
        {"d.csv": 'text,label\na,pos\n"  ",neg\n'},
        ["d.csv:3:", "empty value in column 'text'"],
    ),
    "malformed CSV line": (
        "data: {file: d.csv}",
        {"d.csv": 'text,label\na,pos\n"b\nc",neg\nd,neg,extra\n'},
        ["d.csv:5:", "malformed CSV", "expected 2 fields"],
    ),
    "malformed JSONL line": (
        "data: {file: d.jsonl}",
        {"d.jsonl": '{"text": "a", "label": "pos"}\n{"text": "b", "label": \n'},
        ["d.jsonl:2:", "malformed JSON"],
    ),
    "non-UTF-8 CSV": (
        "data: {file: d.csv}",
        {"d.csv": b"text,label\na,pos\ncaf\xe9,neg\n"},
        ["d.csv:3:", "not valid UTF-8"],
    ),
    "non-UTF-8 JSONL": (
        "data: {splits: {train: d.jsonl}}",
        {"d.jsonl": b'{"text": "a", "label": "pos"}\n{"text": "caf\xe9", "label": "neg"}\n'},
        ["d.jsonl:2:", "not valid UTF-8"],
    ),
    "missing column": (
        "data: {file: d.csv, text_column: body}",
        {"d.csv": OK_CSV},
        ["d.csv", "no column 'body'; columns found: 'text', 'label'; set data.text_column: text in "],
    ),
    "unsupported file type": (
        "data: {file: d.xlsx}",
        {"d.xlsx": "x"},
        ["d.xlsx", "unsupported file type"],
    ),
}


@pytest.mark.parametrize("case", list(DATA_ERRORS))
def test_data_errors(tmp_path: Path, case: str) -> None:
    data, files, needles = DATA_ERRORS[case]
    path = write_task(tmp_path, data + "\n", files)
    with pytest.raises(InputError) as info:
        load_all(path)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, msg
    line = cli_error(path)
    assert all(needle in line for needle in needles)


def test_missing_task_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="task file not found"):
        get_task(str(tmp_path / "nope.yaml"))
    assert "task file not found" in cli_error(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="found a folder"):
        get_task(tmp_path)


def test_unknown_task_name_through_the_cli() -> None:
    line = cli_error("imbd")
    assert "unknown task 'imbd'" in line and "imdb" in line


def test_relative_paths_resolve_against_the_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "proj"
    shutil.copytree(EXAMPLE.parent, folder)
    monkeypatch.chdir(tmp_path)
    task = get_task("proj/support_tickets.yaml")
    assert task.split_sizes()["validation"] == 9
    assert isinstance(task.describe()["source"], str)
    with pytest.raises(SynthrrError):
        task.load_split("dev")
