"""Bad paths and empty data through the CLI: one line naming the path, exit 2, checked before any work."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from synthrr.cli import cli

DATA = Path(__file__).parent.parent / "data" / "tasks"
TASK = str(DATA / "support_tickets.yaml")
FAKE = ["--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "6", "--no-progress"]


def _fails_cleanly(res: Result, *needles: str) -> None:
    out = res.output
    assert res.exit_code == 2, out
    errors = [line for line in out.strip().splitlines() if not line.startswith("warning: ")]  # warnings: own lines
    assert "Traceback" not in out and len(errors) == 1, out
    for n in needles:
        assert n in out, out


def test_generate_out_that_is_a_file_fails_before_the_llm_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SYNTHRR_HOME", str(home))
    out = tmp_path / "runs"
    out.write_text("not a folder")
    _fails_cleanly(CliRunner().invoke(cli, ["generate", *FAKE, "--out", str(out)]), str(out), "is a file")
    assert not (home / "llm-cache.sqlite").exists()  # no LLM work, not even a cache opened


def test_generate_out_below_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    _fails_cleanly(CliRunner().invoke(cli, ["generate", *FAKE, "--out", str(blocker / "runs")]), str(blocker))


@pytest.mark.parametrize("where", ["below-a-file", "pseudo-fs", "a-folder"])
def test_seeds_out_that_cannot_be_written(tmp_path: Path, where: str) -> None:
    if where == "below-a-file":
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "seeds.parquet"
    elif where == "pseudo-fs":
        if not Path("/proc/self").is_dir():
            pytest.skip("no /proc here")
        out = Path("/proc/synthrr-no-such-dir/seeds.parquet")  # not writable, even by root
    else:
        out = tmp_path
    res = CliRunner().invoke(cli, ["seeds", "--task", TASK, "--per-label", "2", "--out", str(out)])
    _fails_cleanly(res)
    assert "seeds for task" not in res.output  # checked before the seed set is drawn


def test_retrieve_out_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "hits"
    out.write_text("x")
    res = CliRunner().invoke(cli, ["retrieve", "--task", TASK, "--retriever", "bm25", "--out", str(out)])
    _fails_cleanly(res, str(out), "is a file")


def test_config_that_is_a_folder(tmp_path: Path) -> None:
    _fails_cleanly(CliRunner().invoke(cli, ["generate", "--config", str(tmp_path)]), str(tmp_path), "is a folder")


def test_a_task_whose_train_file_has_only_a_header(tmp_path: Path) -> None:
    shutil.copytree(DATA / "support_tickets", tmp_path / "support_tickets")
    shutil.copy(DATA / "support_tickets.yaml", tmp_path / "t.yaml")
    train = tmp_path / "support_tickets" / "train.csv"
    train.write_text(train.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    for cmd in (["tasks", "--task"], ["seeds", "--task"]):
        _fails_cleanly(CliRunner().invoke(cli, [*cmd, str(tmp_path / "t.yaml")]), str(train), "no data rows")


def test_predict_with_a_corrupt_saved_student(tmp_path: Path) -> None:
    from synthrr.students import get_student

    student = get_student("tfidf")
    student.fit(["a refund for my invoice", "the app crashes", "reset my password"] * 3, ["b", "t", "a"] * 3)
    folder = tmp_path / "student"
    student.save(folder)
    model = next(p for p in folder.iterdir() if p.name != "student.json")
    model.write_bytes(b"\x80\x04 not a pickle at all")
    res = CliRunner().invoke(cli, ["predict", "--model", str(folder), "my card was charged twice"])
    _fails_cleanly(res, str(folder), "cannot be loaded", "save it again")


def test_a_second_writer_of_a_run_directory_refuses_and_a_dead_holder_is_taken_over(tmp_path: Path) -> None:
    import subprocess
    import sys

    from synthrr.core.errors import UsageError
    from synthrr.run.rundir import RunLock

    run_dir = tmp_path / "run"
    with pytest.raises(UsageError, match=r"another synthrr run is writing this run directory \(pid \d+ on "):
        held = RunLock(run_dir).acquire()
        try:
            RunLock(run_dir).acquire()
        finally:
            held.release()
    RunLock(run_dir).acquire().release()  # free again once released
    # a holder killed with SIGKILL leaves the file behind, but not the lock
    code = (
        "import os; from pathlib import Path; from synthrr.run.rundir import RunLock; "
        f"RunLock(Path({str(run_dir)!r})).acquire(); os.kill(os.getpid(), 9)"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    assert (run_dir / ".lock").exists()
    RunLock(run_dir).acquire().release()


def test_generate_refuses_a_run_directory_another_process_is_writing(tmp_path: Path) -> None:
    from synthrr.config import RunConfig
    from synthrr.run.rundir import RunLock
    from synthrr.stages.generate import fingerprint

    out = tmp_path / "runs"
    first = CliRunner().invoke(cli, ["generate", *FAKE, "--out", str(out)])
    assert first.exit_code == 0, first.output
    run_dir = next(out.iterdir())
    assert fingerprint(RunConfig.from_yaml(run_dir / "config.yaml")) in run_dir.name
    lock = RunLock(run_dir).acquire()
    try:
        res = CliRunner().invoke(cli, ["generate", *FAKE, "--out", str(out)])
    finally:
        lock.release()
    _fails_cleanly(res, "another synthrr run is writing this run directory", "use another --out")


def test_synthrr_home_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.write_text("x")
    monkeypatch.setenv("SYNTHRR_HOME", str(home))
    res = CliRunner().invoke(cli, ["retrieve", "--task", TASK, "--retriever", "bm25", "--out", str(tmp_path / "o")])
    _fails_cleanly(res, str(home), "SYNTHRR_HOME")
    _fails_cleanly(CliRunner().invoke(cli, ["generate", *FAKE, "--out", str(tmp_path / "runs")]), str(home))
