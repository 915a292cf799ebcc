"""Your own data, first try: `synthrr tasks new` writes a task YAML from a data file, make_task returns
a task object, and a label without train rows, a label short of seeds or a corpus with no passage
left is one line naming the thing and the fix, before any LLM call."""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import synthrr
from synthrr.api.inputs import TaskRef
from synthrr.cli import cli
from synthrr.core.errors import InputError, UsageError
from synthrr.tasks import get_task
from synthrr.tasks.scaffold import new_task

PHRASES = {
    "billing": "I was charged twice and need a refund for order",
    "technical": "The app crashes when I open the settings page on build",
    "account_access": "I cannot log in, the password reset mail never comes for user",
}


def write_csv(path: Path, counts: dict[str, int], header: tuple[str, str] = ("body", "team")) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", *header])
        for lab, n in counts.items():
            for i in range(n):
                w.writerow([f"{lab}-{i}", f"{PHRASES[lab]} {i}.", lab])
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and all(line.startswith(("error: ", "warning: ")) for line in lines), result.stderr
    return errors[0]


# ---- synthrr tasks new --------------------------------------------------------------------------


def test_tasks_new_guesses_columns_writes_an_editable_yaml_that_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_csv(tmp_path / "data" / "tickets.csv", {"billing": 12, "technical": 10, "account_access": 4})
    monkeypatch.chdir(tmp_path)
    result = invoke("tasks", "new", "--from", "data/tickets.csv")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "text column:  body (guessed" in out and "label column:  team (guessed" in out
    assert "account_access" in out and "wrote tickets.yaml" in out and "synthrr tasks --task tickets.yaml" in out
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: 3 label(s) have fewer train rows than the 50")
    assert "--per-label 3" in warning[0]  # account_access: 4 rows, 1 of them in test

    text = (tmp_path / "tickets.yaml").read_text()
    assert text.count("# EDIT") >= 6 and 'verbalization: "account access"  # EDIT' in text
    assert 'file: "data/tickets.csv"' in text  # relative to the YAML
    task = get_task(tmp_path / "tickets.yaml")
    assert task.name == "tickets" and task.spec.label_names == ["account_access", "billing", "technical"]
    assert sum(task.split_sizes().values()) == 26
    shown = invoke("tasks", "--task", "tickets.yaml")
    assert shown.exit_code == 0 and "account access" in shown.stdout

    again = one_error(invoke("tasks", "new", "--from", "data/tickets.csv"))
    assert "tickets.yaml already exists; pass --force" in again
    forced = invoke("tasks", "new", "--from", str(data), "--force", "--name", "support")
    assert forced.exit_code == 0, forced.output
    assert get_task("tickets.yaml").name == "support"


def test_tasks_new_with_explicit_columns_out_path_and_formats(tmp_path: Path) -> None:
    rows = [{"msg": f"{PHRASES[lab]} {i}.", "y": lab} for lab in ("billing", "technical") for i in range(30)]
    pd.DataFrame(rows).to_parquet(tmp_path / "t.parquet")
    made = new_task(tmp_path / "t.parquet", tmp_path / "tasks" / "mine.yml", text_column="msg", label_column="y")
    assert made.guessed == () and made.data_file == "../t.parquet" and made.per_label == 100
    assert made.counts == {"billing": 30, "technical": 30} and set(made.short) == {"billing", "technical"}
    assert sum(made.split_counts["train"].values()) + sum(made.split_counts["test"].values()) <= 60
    assert get_task(made.path).spec.label_names == ["billing", "technical"]

    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"text": r["msg"], "label": r["y"]}) + "\n" for r in rows))
    result = invoke("tasks", "new", "--from", str(jsonl), "--out", str(tmp_path / "j.yaml"))
    assert result.exit_code == 0 and "text column:  text (guessed" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--text-column", "nope"], "no column 'nope' (given by --text-column); columns: 'id', 'body', 'team'"),
        (["--label-column", "id"], "column 'id' has 26 distinct values in 26 rows"),
        (["--label-column", "body", "--text-column", "body"], "the text and the label column are both 'body'"),
        (["--out", "x.txt"], "must end in .yaml or .yml"),
    ],
)
def test_tasks_new_bad_flags_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    data = write_csv(tmp_path / "tickets.csv", {"billing": 12, "technical": 10, "account_access": 4})
    line = one_error(invoke("tasks", "new", "--from", str(data), "--out", str(tmp_path / "t.yaml"), *args))
    assert expected in line
    assert not (tmp_path / "t.yaml").exists()


def test_tasks_new_cannot_guess_or_one_label(tmp_path: Path) -> None:
    odd = write_csv(tmp_path / "odd.csv", {"billing": 30, "technical": 30}, header=("a", "b"))
    made = new_task(odd, tmp_path / "o.yaml")  # by content: the longest texts, the fewest distinct values
    assert (made.text_column, made.label_column, made.guessed) == ("a", "b", ("text", "label"))
    pd.read_csv(odd)[["id", "a"]].to_csv(tmp_path / "texts.csv", index=False)
    line = one_error(invoke("tasks", "new", "--from", str(tmp_path / "texts.csv"), "--out", str(tmp_path / "x.yaml")))
    assert "cannot tell which column holds the labels (columns: 'id', 'a'); pass --label-column NAME" in line

    single = write_csv(tmp_path / "one.csv", {"billing": 5})
    line = one_error(invoke("tasks", "new", "--from", str(single), "--out", str(tmp_path / "one.yaml")))
    assert "column 'team' has 1 label(s) ('billing'); a task needs at least two" in line


def test_tasks_new_reports_a_bad_row_before_writing(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "t.csv", {"billing": 5, "technical": 5})
    with open(data, "a", encoding="utf-8") as fh:
        fh.write("x,,billing\n")
    line = one_error(invoke("tasks", "new", "--from", str(data), "--out", str(tmp_path / "t.yaml")))
    assert "t.csv:12: data row 11: empty value in column 'body'" in line
    assert not (tmp_path / "t.yaml").exists()


def test_bare_tasks_still_lists() -> None:
    result = invoke("tasks")
    assert result.exit_code == 0 and "imdb" in result.stdout and "NAME" in result.stdout


# ---- a label without train rows ----------------------------------------------------------------


def single_file_task(tmp_path: Path, counts: dict[str, int], labels: str, data: str = "") -> Path:
    """A task YAML with ``labels`` over a CSV holding ``counts`` rows per label (``data``: more data keys)."""
    write_csv(tmp_path / "t.csv", counts)
    path = tmp_path / "task.yaml"
    path.write_text(
        f"name: t\nlabels: [{labels}]\ndata: {{file: t.csv, text_column: body, label_column: team{data}}}\n"
    )
    return path


def test_a_label_without_train_rows_is_an_error_at_load(tmp_path: Path) -> None:
    single_file_task(tmp_path, {"billing": 6, "technical": 6}, "billing, technical, account_access")
    line = one_error(invoke("tasks", "--task", str(tmp_path / "task.yaml")))
    assert "t.csv: label(s) 'account_access' of task 't' have no train rows (column 'team'" in line
    assert "add rows with these labels or remove them from `labels:`" in line
    with pytest.raises(InputError, match="'account_access' of task 't' have no train rows"):
        get_task(tmp_path / "task.yaml").load_split("train")
    run = invoke("generate", "--task", str(tmp_path / "task.yaml"), "--llm", "fake", "--out", str(tmp_path / "r"))
    assert "no train rows" in one_error(run)


def test_a_label_whose_rows_all_went_to_test_names_the_fractions(tmp_path: Path) -> None:
    path = single_file_task(tmp_path, {"billing": 6, "technical": 1}, "billing, technical", ", test_fraction: 0.6")
    line = one_error(invoke("tasks", "--task", str(path)))
    assert "'technical'" in line and "went to validation/test: lower data.test_fraction" in line


# ---- make_task / make_corpus --------------------------------------------------------------------

ROWS = [{"text": f"{PHRASES[lab]} {i}.", "label": lab} for lab in ("billing", "technical") for i in range(4)]


def test_make_task_returns_a_task_ref_usable_as_a_task(tmp_path: Path) -> None:
    ref = synthrr.make_task(ROWS, name="tickets")
    assert isinstance(ref, TaskRef) and ref.name == "tickets" and ref.labels == ("billing", "technical")
    assert ref.path.name == "task.yaml" and str(ref) == os.fspath(ref) == str(ref.path)
    assert get_task(ref).spec.label_names == ["billing", "technical"] == ref.load().spec.label_names
    assert synthrr.build_config(task=ref).task == str(ref.path)
    assert synthrr.make_task(ROWS, name="tickets") == ref  # the same data, the same task file


def test_make_task_rejects_labels_without_rows_at_once() -> None:
    with pytest.raises(UsageError, match=r"label\(s\) 'refund' have no rows in the train split \(column 'label'\); "
                       r"labels found: billing \(4\), technical \(4\)"):  # fmt: skip
        synthrr.make_task(ROWS, labels=["billing", "technical", "refund"])
    with pytest.raises(UsageError, match=r"the train rows have label\(s\) 'technical'.* add them to labels="):
        synthrr.make_task(ROWS, labels={"billing": "a payment problem"})
    with pytest.raises(UsageError, match="single string"):
        synthrr.make_task(ROWS, labels="billing")  # type: ignore[arg-type]


def test_make_corpus_rejects_a_bare_string() -> None:
    with pytest.raises(UsageError, match="a single string is not a list of texts; pass a list"):
        synthrr.make_corpus("one long text that would otherwise be read character by character")
    with pytest.raises(UsageError, match="single string"):
        synthrr.make_task("tickets.csv")


# ---- seeds short of per_label; a corpus with no passage left ------------------------------------


def test_seeds_below_per_label_is_one_logged_line_in_cli(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    made = new_task(write_csv(tmp_path / "t.csv", {"billing": 12, "technical": 10}), tmp_path / "t.yaml")
    with caplog.at_level(logging.WARNING, logger="synthrr.tasks.sampling"):
        result = invoke("seeds", "--task", str(made.path))
    assert result.exit_code == 0, result.output
    assert "UserWarning" not in result.output and "draw_seeds(" not in result.output
    [record] = caplog.records
    assert "2 label(s) have fewer examples than the 100 seeds per label" in record.getMessage()
    assert "lower --per-label (seeds.per_label) to" in record.getMessage()


def test_a_corpus_with_no_passage_left_names_the_setting(tmp_path: Path) -> None:
    from synthrr.corpus import get_corpus

    corpus = tmp_path / "docs.csv"
    corpus.write_text("id,text\n1,too short to keep\n2,also short\n3,too short to keep\n")
    with pytest.raises(InputError, match=r"lower corpus\.min_tokens to 4 or below \(--set corpus\.min_tokens=4"):
        get_corpus(str(corpus))
    long_doc = tmp_path / "long.jsonl"
    long_doc.write_text(json.dumps({"text": " ".join(["word"] * 500)}) + "\n")
    with pytest.raises(InputError, match=r"500 tokens: raise corpus\.max_tokens.*corpus\.chunk_tokens"):
        get_corpus(str(long_doc))
    task = synthrr.make_task(ROWS, name="tickets")
    args = ["generate", "--task", str(task), "--corpus", str(corpus), "--llm", "fake", "--out", str(tmp_path / "r")]
    line = one_error(invoke(*args, "--retriever", "bm25", "--no-progress"))
    assert "no passages left after filtering" in line and "corpus.min_tokens" in line
