"""Outputs respect the umask: a run written under umask 022 is readable by others (files 0644,
folders 0755) and one written under umask 077 is owner-only, although every writer goes through an
atomic temporary name."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.io import atomic_dir, atomic_open, write_json

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """``umask(mask)`` sets the umask for one test; the previous one is restored afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


def _modes(root: Path) -> tuple[set[int], set[int]]:
    files: set[int] = set()
    dirs: set[int] = set()
    for p in root.rglob("*"):
        mode = stat.S_IMODE(p.lstat().st_mode)
        (dirs if p.is_dir() else files).add(mode)
    return files, dirs


CORPUS = str(Path(__file__).parent.parent / "data" / "corpora" / "tiny.jsonl")


def _outputs(tmp_path: Path) -> list[Path]:
    """A SynthesizRR run (corpus, BM25 index and LLM cache under SYNTHRR_HOME), its export and its
    report: every kind of output synthrr writes."""
    args = ["generate", "--task", TASK, "--corpus", CORPUS, "--method", "synthesizrr", "--retriever", "bm25"]
    args += ["--llm", "fake", "--per-label", "5", "--n", "6", "--out", str(tmp_path / "runs"), "--no-progress"]
    res = CliRunner().invoke(cli, [*args, "--set", "synthesis.filters.label_consistency=none"])
    assert res.exit_code in (0, 4), res.output  # the tiny corpus may not fill every quota
    run_dir = next((tmp_path / "runs").iterdir())
    res = CliRunner().invoke(cli, ["export", str(run_dir), str(tmp_path / "export"), "--format", "parquet"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["report", str(run_dir), "--out", str(tmp_path / "page" / "report.html"), "--no-map"])
    assert res.exit_code == 0, res.output
    return [run_dir, tmp_path / "export", tmp_path / "page", tmp_path / "home"]


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)], ids=["022", "077"]
)
def test_outputs_follow_the_umask(
    tmp_path: Path,
    umask: Callable[[int], int],
    mask: int,
    file_mode: int,
    dir_mode: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    umask(mask)
    roots = _outputs(tmp_path)
    for root in roots:
        files, dirs = _modes(root)
        assert files == {file_mode}, (root, sorted(map(oct, files)))
        assert dirs <= {dir_mode}, (root, sorted(map(oct, dirs)))
        assert stat.S_IMODE(root.stat().st_mode) == dir_mode, root
    run_dir, _, page, home = roots
    for name in ("data.parquet", "config.yaml", "manifest.json"):
        assert (run_dir / name).is_file(), name
    assert (page / "report.html").is_file() and (home / "llm-cache.sqlite").is_file()
    assert any((home / "indexes").iterdir()) and any((home / "corpora").iterdir())


def test_atomic_writers_use_the_umask_and_leave_no_temporary_names(tmp_path: Path, umask: Callable[[int], int]) -> None:
    umask(0o027)
    write_json(tmp_path / "a.json", {"x": 1})
    with atomic_open(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"b")
    with atomic_dir(tmp_path / "folder") as tmp:
        (tmp / "inner.txt").write_text("i")
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.bin", "folder"]


def test_a_failed_atomic_write_leaves_the_old_file(tmp_path: Path) -> None:
    write_json(tmp_path / "a.json", {"x": 1})
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "a.json") as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert (tmp_path / "a.json").read_text() == '{\n  "x": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_dir_replaces_a_folder_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("boom")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # neither the new nor the old one left aside


def test_atomic_dir_puts_the_old_folder_back_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synthrr.core.io

    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "old.txt").write_text("old")
    real = os.replace

    def replace(src: Path, dst: Path) -> None:
        if ".old." not in Path(src).name and Path(dst) == target:  # the new folder onto the target
            raise OSError("disk gone")
        real(src, dst)

    monkeypatch.setattr(synthrr.core.io.os, "replace", replace)
    with pytest.raises(OSError, match="disk gone"), atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
