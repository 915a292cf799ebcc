"""The bad-input catalogue: every command, fed one bad input at a time (configs, task files, data
files, corpora, run directories, student folders, cache files, names, paths that are files, folders
or unwritable, empty and header-only data). Each must give one line that names the thing, exit 2,
no traceback, and leave no output behind. ``docs/reliability.md`` quotes the count of cases here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli

DATA = Path(__file__).parent.parent / "data"
TASK_DIR = DATA / "tasks"
TASK = str(TASK_DIR / "support_tickets.yaml")
FAKE = ["--llm", "fake", "--per-label", "3", "--n", "3", "--no-progress", "--set", "llm.cache=false"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[Path], list[str]]  # given the case's folder; may create the bad input there
    names: Callable[[Path], str]  # what the one line must mention


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def gen(tmp: Path, *extra: str) -> list[str]:
    return ["generate", "--task", TASK, "--method", "fewgen", *FAKE, "--out", str(tmp / "out"), *extra]


def task_with(tmp: Path, train: str, *, name: str = "train.csv", yaml_extra: str = "") -> Path:
    """A copy of the support-tickets task whose train split is ``train`` (written as ``name``)."""
    folder = tmp / "task"
    shutil.copytree(TASK_DIR / "support_tickets", folder / "support_tickets")
    write(folder / "support_tickets" / name, train)
    text = (TASK_DIR / "support_tickets.yaml").read_text(encoding="utf-8")
    text = text.replace("train: support_tickets/train.csv", f"train: support_tickets/{name}") + yaml_extra
    return write(folder / "task.yaml", text)


def _without_train(tmp: Path) -> Path:
    """A task file whose train split names a file that does not exist."""
    task = task_with(tmp, "", name="gone.csv")
    (task.parent / "support_tickets" / "gone.csv").unlink()
    return task


def corpus(tmp: Path, text: str) -> Path:
    return write(tmp / "corpus.jsonl", text)


def synth(tmp: Path, *extra: str) -> list[str]:
    return [
        "generate", "--task", TASK, "--method", "synthesizrr", "--retriever", "bm25", *FAKE,
        "--out", str(tmp / "out"), *extra,
    ]  # fmt: skip


def _run_dir(tmp: Path, damage: Callable[[Path], None]) -> Path:
    """A real run (fake LLM) in ``tmp/run``, then damaged."""
    res = CliRunner().invoke(cli, gen(tmp, "--set", "synthesis.filters.label_consistency=none"))
    assert res.exit_code == 0, res.output
    run = next(p for p in (tmp / "out").iterdir() if p.is_dir())
    moved = tmp / "run"
    shutil.move(str(run), moved)
    shutil.rmtree(tmp / "out")
    damage(moved)
    return moved


def _student(tmp: Path, damage: Callable[[Path], None]) -> Path:
    folder = tmp / "student"
    write(folder / "student.json", '{"type": "tfidf", "format": 1, "labels": ["a", "b"], "options": {}}')
    write(folder / "model.joblib", "not a pickle")
    damage(folder)
    return folder


def _no_manifest(run: Path) -> None:
    (run / "manifest.json").unlink()


def _garbage_data(run: Path) -> None:
    write(run / "data.parquet", "garbage")


def _edited_data(run: Path) -> None:
    shutil.copy(run / "candidates.parquet", run / "data.parquet")


def _no_meta(student: Path) -> None:
    (student / "student.json").unlink()


CASES = [
    # --- configs and options ----------------------------------------------------------------------
    Case("config-missing", lambda t: [*gen(t), "--config", str(t / "nope.yaml")], lambda t: "nope.yaml"),
    Case("config-folder", lambda t: [*gen(t), "--config", str(t)], lambda t: str(t)),
    Case("config-bad-yaml", lambda t: [*gen(t), "--config", str(write(t / "c.yaml", "a: [1,\n"))], lambda t: "c.yaml"),
    Case("config-a-list", lambda t: [*gen(t), "--config", str(write(t / "c.yaml", "- 1\n"))], lambda t: "c.yaml"),
    Case("config-unknown-key", lambda t: [*gen(t), "--config", str(write(t / "c.yaml", "colour: red\n"))],
         lambda t: "colour"),
    Case("config-bad-type", lambda t: [*gen(t), "--config", str(write(t / "c.yaml", "synthesis:\n  n: many\n"))],
         lambda t: "synthesis.n"),
    Case("set-without-equals", lambda t: gen(t, "--set", "synthesis.n"), lambda t: "synthesis.n"),
    Case("set-unknown-key", lambda t: gen(t, "--set", "synthesis.colour=red"), lambda t: "synthesis.colour"),
    Case("set-negative-n", lambda t: gen(t, "--set", "synthesis.n=-1"), lambda t: "synthesis.n"),
    Case("unknown-method", lambda t: gen(t, "--method", "magic"), lambda t: "magic"),
    Case("unknown-backend", lambda t: gen(t, "--llm", "gpt9"), lambda t: "gpt9"),
    Case("unknown-backend-option", lambda t: gen(t, "--set", "llm.options.temperature_x=1"),
         lambda t: "temperature_x"),
    Case("unknown-retriever", lambda t: synth(t, "--retriever", "grep", "--corpus", str(DATA / "corpora/tiny.jsonl")),
         lambda t: "grep"),
    Case("unknown-task", lambda t: ["generate", "--task", "no_such_task", *FAKE, "--out", str(t / "out")],
         lambda t: "no_such_task"),
    Case("unknown-corpus", lambda t: synth(t, "--corpus", "no_such_corpus"), lambda t: "no_such_corpus"),
    Case("bad-k", lambda t: synth(t, "-k", "0", "--corpus", str(DATA / "corpora/tiny.jsonl")), lambda t: "retrieval.k"),
    # --- task files and their data ------------------------------------------------------------------
    Case("task-file-missing", lambda t: ["seeds", "--task", str(t / "task.yaml"), "--out", str(t / "out/s.parquet")],
         lambda t: "task.yaml"),
    Case("task-file-bad-yaml", lambda t: ["seeds", "--task", str(write(t / "task.yaml", "name: [x\n")),
                                          "--out", str(t / "out/s.parquet")], lambda t: "task.yaml"),
    Case("task-file-no-labels", lambda t: ["seeds", "--task", str(write(t / "task.yaml", "name: x\nkind: topic\n")),
                                           "--out", str(t / "out/s.parquet")], lambda t: "labels"),
    Case("task-data-missing", lambda t: ["seeds", "--task", str(_without_train(t)), "--out", str(t / "out/s.parquet")],
         lambda t: "gone.csv"),
    Case("task-data-header-only", lambda t: ["seeds", "--task", str(task_with(t, "message,team\n")),
                                             "--out", str(t / "out/s.parquet")], lambda t: "train.csv"),
    Case("task-data-no-text-column", lambda t: ["seeds", "--task", str(task_with(t, "body,team\nhi there,billing\n")),
                                                "--out", str(t / "out/s.parquet")], lambda t: "message"),
    Case("task-data-unknown-label", lambda t: ["seeds", "--task", str(task_with(t, "message,team\nhi there,sales\n")),
                                               "--out", str(t / "out/s.parquet")], lambda t: "sales"),
    Case("task-data-empty-text", lambda t: ["seeds", "--task", str(task_with(t, 'message,team\n"",billing\n')),
                                            "--out", str(t / "out/s.parquet")], lambda t: "train.csv"),
    Case("task-data-bad-jsonl", lambda t: ["seeds", "--task", str(task_with(t, '{"message": "hi", "team": \n',
                                                                           name="train.jsonl")),
                                           "--out", str(t / "out/s.parquet")], lambda t: "train.jsonl"),
    # --- corpora -----------------------------------------------------------------------------------
    Case("corpus-missing", lambda t: synth(t, "--corpus", str(t / "none.jsonl")), lambda t: "none.jsonl"),
    Case("corpus-bad-jsonl", lambda t: synth(t, "--corpus", str(corpus(t, '{"id": "a", "text": \n'))),
         lambda t: "corpus.jsonl"),
    Case("corpus-empty", lambda t: synth(t, "--corpus", str(corpus(t, ""))), lambda t: "corpus.jsonl"),
    Case("corpus-no-text", lambda t: synth(t, "--corpus", str(corpus(t, '{"id": "a", "body": "x"}\n'))),
         lambda t: "corpus.jsonl"),
    # --- output paths ------------------------------------------------------------------------------
    Case("generate-out-is-a-file", lambda t: ["generate", "--task", TASK, "--method", "fewgen", *FAKE,
                                              "--out", str(write(t / "out", "x"))], lambda t: "out"),
    Case("generate-out-below-a-file", lambda t: ["generate", "--task", TASK, "--method", "fewgen", *FAKE,
                                                 "--out", str(write(t / "f", "x") / "out")], lambda t: "f"),
    Case("seeds-out-is-a-folder", lambda t: ["seeds", "--task", TASK, "--out", str(t)], lambda t: str(t)),
    Case("retrieve-out-is-a-file", lambda t: ["retrieve", "--task", TASK, "--corpus", str(DATA / "corpora/tiny.jsonl"),
                                              "--retriever", "bm25", "--per-label", "2", "--no-progress",
                                              "--out", str(write(t / "out", "x"))], lambda t: "out"),
    # --- run directories ---------------------------------------------------------------------------
    Case("evaluate-no-such-run", lambda t: ["evaluate", str(t / "nope")], lambda t: "nope"),
    Case("evaluate-empty-folder", lambda t: ["evaluate", str((t / "empty").mkdir() or t / "empty")],
         lambda t: "empty"),
    Case("evaluate-run-without-manifest", lambda t: ["evaluate", str(_run_dir(t, _no_manifest))],
         lambda t: f"{t / 'run'}: incomplete"),
    Case("evaluate-run-garbage-data", lambda t: ["evaluate", str(_run_dir(t, _garbage_data))],
         lambda t: f"{t / 'run' / 'data.parquet'}: does not match"),
    Case("evaluate-run-edited-data", lambda t: ["evaluate", str(_run_dir(t, _edited_data))],
         lambda t: f"{t / 'run' / 'data.parquet'}: does not match"),
    Case("compare-no-such-run", lambda t: ["compare", str(t / "nope")], lambda t: "nope"),
    Case("compare-not-a-run", lambda t: ["compare", str(write(t / "x" / "f.txt", "x").parent)], lambda t: "x"),
    # --- students ----------------------------------------------------------------------------------
    Case("predict-no-student", lambda t: ["predict", "--model", str(t / "nope"), "hello"], lambda t: "nope"),
    Case("predict-corrupt-student", lambda t: ["predict", "--model", str(_student(t, lambda s: None)), "hello"],
         lambda t: f"{t / 'student'}: the saved tfidf student cannot be loaded"),
    Case("predict-student-without-meta", lambda t: ["predict", "--model", str(_student(t, _no_meta)), "hello"],
         lambda t: f"{t / 'student'}: not a saved student"),
    Case("predict-file-missing", lambda t: ["predict", "--model", str(_student(t, lambda s: None)),
                                            "--file", str(t / "texts.txt")], lambda t: "texts.txt"),
    Case("predict-out-is-a-folder", lambda t: ["predict", "--model", str(_student(t, lambda s: None)), "hello",
                                               "--out", str(t)], lambda t: "--out"),
    # --- caches ------------------------------------------------------------------------------------
    Case("cache-stats-missing", lambda t: ["cache", "stats", "--path", str(t / "c.sqlite")], lambda t: "c.sqlite"),
    Case("cache-stats-not-sqlite", lambda t: ["cache", "stats", "--path", str(write(t / "c.sqlite", "x" * 200))],
         lambda t: "c.sqlite"),
    Case("cache-check-not-sqlite", lambda t: ["cache", "check", "--path", str(write(t / "c.sqlite", "x" * 200))],
         lambda t: "c.sqlite"),
    Case("cache-merge-bad-source", lambda t: ["cache", "merge", str(write(t / "src.sqlite", "x" * 200)),
                                              "--into", str(t / "out" / "c.sqlite")], lambda t: "src.sqlite"),
    Case("cache-repair-missing", lambda t: ["cache", "repair", "--yes", "--path", str(t / "c.sqlite")],
         lambda t: "c.sqlite"),
    # --- names -------------------------------------------------------------------------------------
    Case("tasks-unknown-name", lambda t: ["tasks", "--task", "no_such_task"], lambda t: "no_such_task"),
    Case("corpora-unknown-name", lambda t: ["corpora", "--corpus", "no_such_corpus"], lambda t: "no_such_corpus"),
    Case("corpora-bad-file", lambda t: ["corpora", "--corpus", str(corpus(t, "{not json\n")), "--no-progress"],
         lambda t: "corpus.jsonl"),
    Case("tasks-task-header-only", lambda t: ["tasks", "--task", str(task_with(t, "message,team\n"))],
         lambda t: "train.csv"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_cleanly(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    argv = case.argv(tmp_path)
    res = CliRunner().invoke(cli, argv)
    out = res.output.strip()
    assert res.exit_code == 2, f"exit {res.exit_code}: {out}"
    assert "Traceback" not in out and len(out.splitlines()) == 1, out
    assert case.names(tmp_path) in out, out
    out_dir = tmp_path / "out"
    if out_dir.is_dir():  # nothing half-written where the output would have gone
        assert not [p for p in out_dir.rglob("*") if p.is_file()], sorted(out_dir.rglob("*"))


def test_the_catalogue_is_at_least_forty_cases() -> None:
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)
