"""The first-try catalogue: the mistakes a person makes in their first ten minutes with their own
CSV and corpus (and with the built-in names), each fed to the command they would run.

Each must give one ``error:`` line (``warning:`` lines may come before it) that names the thing and
the fix (the flag, the ``--set`` key or the YAML key to change), exit 2, no traceback, and happen
before any LLM call (the fake backend logs every call it answers; the log must stay empty).
``docs/reliability.md`` quotes the count of cases here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import synthrr
from synthrr.cli import cli
from synthrr.core.errors import SynthrrError

DATA = Path(__file__).parent.parent / "data"
TASK = str(DATA / "tasks" / "support_tickets.yaml")
CORPUS = str(DATA / "corpora" / "tiny.jsonl")
FAKE = ["--llm", "fake", "--per-label", "3", "--n", "3", "--no-progress"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[Path], list[str]]  # given the case's folder; may write the bad input there
    says: tuple[str, ...]  # what the one error line must contain: the thing and the fix


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tickets(tmp: Path) -> Path:
    """A user's labelled CSV (message, team)."""
    target = tmp / "tickets.csv"
    shutil.copy(DATA / "tasks" / "support_tickets" / "train.csv", target)
    return target


def task_without_rows_for(tmp: Path, label: str) -> Path:
    """The support-tickets task with one more label that no data row carries."""
    folder = tmp / "task"
    shutil.copytree(DATA / "tasks" / "support_tickets", folder / "support_tickets")
    text = (DATA / "tasks" / "support_tickets.yaml").read_text(encoding="utf-8")
    text = text.replace("labels:\n", f"labels:\n  - name: {label}\n    verbalization: anything about {label}\n", 1)
    return write(folder / "task.yaml", text)


def task_with_text_column(tmp: Path, column: str) -> Path:
    folder = tmp / "task"
    shutil.copytree(DATA / "tasks" / "support_tickets", folder / "support_tickets")
    text = (DATA / "tasks" / "support_tickets.yaml").read_text(encoding="utf-8")
    return write(folder / "task.yaml", text.replace("text_column: message", f"text_column: {column}"))


def off_topic_corpus(tmp: Path) -> Path:
    """Passages that share no word with any support ticket (zero BM25 hits for every seed)."""
    words = ["volcanic", "basalt", "magma", "tectonic", "caldera", "pyroclastic", "obsidian", "fumarole"]
    with (tmp / "geology.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(12):
            text = " ".join(words[(i + j) % len(words)] for j in range(30))
            fh.write(json.dumps({"id": f"g{i}", "text": text}) + "\n")
    return tmp / "geology.jsonl"


def csv_corpus(tmp: Path) -> Path:
    """The tiny corpus as a CSV whose text column is called ``body``."""
    rows = [json.loads(line) for line in Path(CORPUS).read_text(encoding="utf-8").splitlines()]
    path = tmp / "docs.csv"
    pd.DataFrame({"id": [r["id"] for r in rows], "body": [r["text"] for r in rows]}).to_csv(path, index=False)
    return path


def a_run(tmp: Path) -> Path:
    """A finished fake run (fewgen on the support tickets) in ``tmp/out``."""
    argv = ["generate", "--task", TASK, "--method", "fewgen", *FAKE, "--out", str(tmp / "runs")]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    return next(p for p in (tmp / "runs").iterdir() if p.is_dir())


ONE_LABEL = "message,team\nhi there,a\nhello you,a\n"


def new_task(tmp: Path, *extra: str) -> list[str]:
    return ["tasks", "new", "--from", str(tickets(tmp)), *extra]


def synth(tmp: Path, corpus: str, *extra: str) -> list[str]:
    return ["generate", "--task", TASK, "--corpus", corpus, "--retriever", "bm25", *FAKE,
            "--out", str(tmp / "out"), *extra]  # fmt: skip


CASES = [
    # misspelt names and keys: "did you mean"
    Case("task-name-typo", lambda t: ["tasks", "--task", "imbd"], ("'imbd'", "did you mean 'imdb'")),
    Case("method-typo", lambda t: ["generate", "--task", TASK, "--method", "synthesizr", *FAKE],
         ("'synthesizr'", "did you mean 'synthesizrr'")),
    Case("corpus-typo", lambda t: ["generate", "--task", "imdb", "--corpus", "movie_plot", "--dry-run"],
         ("'movie_plot'", "did you mean 'movie_plots'")),
    Case("retriever-typo", lambda t: ["generate", "--task", TASK, "--retriever", "bm52", *FAKE],
         ("'bm52'", "did you mean 'bm25'")),
    Case("backend-typo", lambda t: ["generate", "--task", TASK, "--llm", "llamacp", "--dry-run"],
         ("'llamacp'", "did you mean 'llamacpp'")),
    Case("config-key-typo", lambda t: ["generate", "--task", TASK, *FAKE, "--set", "retrieval.topk=5"],
         ("retrieval.topk", "did you mean 'retrieval.k'")),
    Case("student-typo", lambda t: ["evaluate", str(a_run(t)), "--student", "tfid", "--no-progress"],
         ("'tfid'", "did you mean 'tfidf'")),
    # a task from a CSV
    Case("new-task-missing-file", lambda t: ["tasks", "new", "--from", str(t / "tickets.csv")],
         ("tickets.csv", "not found")),
    Case("new-task-text-column", lambda t: new_task(t, "--text-column", "body"),
         ("'body'", "--text-column", "'message'")),
    Case("new-task-label-column", lambda t: new_task(t, "--label-column", "teem"),
         ("'teem'", "--label-column", "'team'")),
    Case("new-task-one-label", lambda t: ["tasks", "new", "--from", str(write(t / "one.csv", ONE_LABEL))],
         ("'team'", "at least two")),
    Case("new-task-would-overwrite", lambda t: new_task(t, "--out", str(write(t / "mine.yaml", "x: 1\n"))),
         ("mine.yaml", "--force")),
    Case("new-task-not-yaml", lambda t: new_task(t, "--out", str(t / "mine.txt")),
         ("mine.txt", ".yaml")),
    # the task's data
    Case("label-without-rows", lambda t: ["tasks", "--task", str(task_without_rows_for(t, "shipping"))],
         ("'shipping'", "labels:")),
    Case("label-without-rows-generate",
         lambda t: ["generate", "--task", str(task_without_rows_for(t, "shipping")), *FAKE],
         ("'shipping'", "labels:")),
    Case("task-text-column", lambda t: ["tasks", "--task", str(task_with_text_column(t, "body"))],
         ("'body'", "text_column")),
    # the corpus
    Case("corpus-text-column",
         lambda t: ["corpora", "--corpus", str(csv_corpus(t)), "--text-column", "text", "--no-progress"],
         ("'text'", "--text-column body")),
    Case("corpus-text-column-generate", lambda t: synth(t, str(csv_corpus(t))), ("'text'", "--text-column body")),
    Case("corpus-no-passage-left", lambda t: ["corpora", "--corpus", CORPUS, "--min-tokens", "300", "--no-progress"],
         ("no passages left", "corpus.min_tokens")),
    Case("corpus-no-passage-left-generate", lambda t: synth(t, CORPUS, "--set", "corpus.min_tokens=300"),
         ("no passages left", "corpus.min_tokens")),
    # retrieval that finds nothing for a label
    Case("zero-hits-generate", lambda t: synth(t, str(off_topic_corpus(t))), ("billing", "--retriever")),
    Case("zero-hits-retrieve",
         lambda t: ["retrieve", "--task", TASK, "--corpus", str(off_topic_corpus(t)), "--retriever", "bm25",
                    "--per-label", "3", "-k", "5", "--no-progress", "--out", str(t / "out")],
         ("billing", "--retriever")),
    # exporting
    Case("export-unknown-column", lambda t: ["export", str(a_run(t)), str(t / "ds"), "--columns", "text,lable"],
         ("'lable'", "did you mean 'label'")),
    Case("export-existing-folder",
         lambda t: ["export", str(a_run(t)), str(write(t / "ds" / "notes.txt", "mine").parent)],
         ("ds", "--overwrite")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_first_try_mistake_gets_one_line_and_its_fix(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    argv = case.argv(tmp_path)
    calls = tmp_path / "calls.log"
    if argv[0] == "generate" and "fake" in argv:
        argv += ["--set", f"llm.options.call_log={calls}"]
    res = CliRunner().invoke(cli, argv)
    out = res.output.strip()
    assert res.exit_code == 2, f"exit {res.exit_code}: {out}"
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if not line.startswith("warning:")]
    assert len(errors) == 1 and errors[0].startswith("error: "), out
    for needle in case.says:
        assert needle in errors[0], f"{needle!r} not in {errors[0]!r}"
    assert not calls.exists() or not calls.read_text(encoding="utf-8").strip(), "an LLM call was made"


PY_CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    ("make_task-label-missing-from-rows",
     lambda: synthrr.make_task([{"text": "a refund please", "label": "billing"}] * 3, labels=["billing", "account"]),
     ("'account'",)),
    ("make_task-labels-as-one-string",
     lambda: synthrr.make_task([{"text": "a refund please", "label": "spam"}], labels="spam,ham"), ("labels",)),
    ("make_task-labels-not-the-data's",
     lambda: synthrr.make_task([{"text": f"ham {i}", "label": "ham"} for i in range(6)], labels=["spam", "eggs"]),
     ("'spam'", "ham")),
    ("make_corpus-one-string", lambda: synthrr.make_corpus("one long string"), ("string",)),
    ("generate-unknown-setting", lambda: synthrr.generate(task=TASK, retriver="bm25"),  # type: ignore[call-arg]
     ("retriver",)),
]  # fmt: skip


@pytest.mark.parametrize("make", [c[1] for c in PY_CASES], ids=[c[0] for c in PY_CASES])
def test_a_first_try_mistake_in_python_names_the_thing(make: Callable[[], Any]) -> None:
    expected = next(c[2] for c in PY_CASES if c[1] is make)
    with pytest.raises((SynthrrError, TypeError)) as info:
        make()
    message = str(info.value)
    assert "command line" not in message and "\n" not in message
    for needle in expected:
        assert needle in message, message


def test_the_catalogue_is_at_least_twenty_cases() -> None:
    assert len(CASES) + len(PY_CASES) >= 20 and len({c.id for c in CASES}) == len(CASES)
