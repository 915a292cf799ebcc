"""A damaged LLM cache is detected and reported in one line with the fix; damaged answers are never used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.log import progress_switch
from synthrr.llm import LLMCache, LLMClient, LLMRequest
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.cache.integrity import CacheDamagedError

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")
PROMPTS = [f"prompt number {i} " + "padding " * 40 for i in range(300)]


def _fill(path: Path, prompts: list[str] = PROMPTS, template: str = "answer to {prompt}") -> None:
    with LLMCache(path) as cache, progress_switch(False):
        LLMClient(FakeLLM(FakeLLM.Options(default=template)), cache).generate(
            [LLMRequest.completion(p) for p in prompts]
        )
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, as after a clean exit
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _ask(path: Path, prompts: list[str]) -> tuple[list[str], int]:
    fake = FakeLLM(FakeLLM.Options(default="fresh {prompt}"))
    with LLMCache(path) as cache, progress_switch(False):
        got = LLMClient(fake, cache).generate([LLMRequest.completion(p) for p in prompts])
    return [r.completions[0].text for r in got], fake.calls


def _one_line_exit_2(res: object, *needles: str) -> None:
    out = res.output  # type: ignore[attr-defined]
    assert res.exit_code == 2, out  # type: ignore[attr-defined]
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1, out
    for n in needles:
        assert n in out, out


def test_an_altered_answer_is_dropped_and_asked_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "c.sqlite"
    _fill(path, PROMPTS[:3])
    with sqlite3.connect(path) as conn:
        raw = conn.execute("SELECT key, response FROM completions").fetchall()
        victim, bad_json = raw[0][0], raw[1][0]
        conn.execute(
            "UPDATE completions SET response = replace(response, 'answer', 'poisoned') WHERE key = ?", (victim,)
        )
        conn.execute("UPDATE completions SET response = '{not json' WHERE key = ?", (bad_json,))
    texts, calls = _ask(path, PROMPTS[:3])
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # one warning line, through logging
    assert "2 damaged cache entries dropped" in caplog.records[0].getMessage()
    assert calls == 2 and not any("poisoned" in t for t in texts)
    assert sorted(t.split(" ")[0] for t in texts) == ["answer", "fresh", "fresh"]
    assert _ask(path, PROMPTS[:3])[1] == 0  # the fresh answers were stored in their place


@pytest.mark.parametrize("damage", ["header", "middle", "truncated"])
def test_a_damaged_file_stops_with_the_fix_named(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "c.sqlite"
    _fill(path)
    data = bytearray(path.read_bytes())
    assert len(data) > 16 * 4096
    if damage == "header":
        data[:100] = b"\xff" * 100
    elif damage == "middle":  # two pages past the tables' roots (pages 1-4) get a garbage header
        pages = len(data) // 4096
        for page in (pages // 2, 3 * pages // 4):
            data[page * 4096 : page * 4096 + 64] = b"\x07" * 64
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    with pytest.raises(CacheDamagedError, match="cache repair"):
        _ask(path, PROMPTS[:1])
    res = CliRunner().invoke(cli, ["cache", "stats", "--path", str(path)])
    _one_line_exit_2(res, str(path), "synthrr cache repair")
    check = CliRunner().invoke(cli, ["cache", "check", "--path", str(path)])
    assert check.exit_code in (1, 2) and "Traceback" not in check.output
    fixed = CliRunner().invoke(cli, ["cache", "repair", "--path", str(path), "--yes"])
    assert fixed.exit_code == 0, fixed.output
    assert "damaged file is kept at" in fixed.output and list(tmp_path.glob("c.sqlite.damaged-*"))
    again = CliRunner().invoke(cli, ["cache", "check", "--path", str(path)])
    assert again.exit_code == 0 and "ok" in again.output, again.output
    texts, calls = _ask(path, PROMPTS)
    salvaged = len(PROMPTS) - calls
    if damage == "middle":  # what SQLite could still read came back (all of it, when only index pages were hit)
        assert 0 < salvaged <= len(PROMPTS)
    else:  # no readable header, or a truncated B-tree: nothing to salvage, the new cache starts empty
        assert salvaged == 0
    assert all(t.startswith(("answer to prompt", "fresh prompt")) for t in texts)


def test_check_and_repair_of_rows_that_lost_their_digest(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    _fill(path, PROMPTS[:5])
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE completions SET response = replace(response, 'answer', 'ANSWER') "
            "WHERE key = (SELECT min(key) FROM completions)"
        )
    res = CliRunner().invoke(cli, ["cache", "check", "--path", str(path)])
    assert res.exit_code == 1 and "intact entries: 4  damaged entries: 1" in res.output, res.output
    fixed = CliRunner().invoke(cli, ["cache", "repair", "--path", str(path), "--yes"])
    assert fixed.exit_code == 0 and "salvaged 4 entries" in fixed.output and "dropped 1" in fixed.output
    assert _ask(path, PROMPTS[:5])[1] == 1


def test_a_cache_from_before_digests_is_upgraded_and_still_hits(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _fill(path, PROMPTS[:4])
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE completions DROP COLUMN digest")
    texts, calls = _ask(path, PROMPTS[:4])
    assert calls == 0 and all(t.startswith("answer to") for t in texts)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM completions WHERE digest IS NULL").fetchone()[0] == 0


def test_bad_cache_paths_fail_cleanly_and_create_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 200)
    runner = CliRunner()
    for cmd in (["stats"], ["clear", "--yes"], ["check"]):
        _one_line_exit_2(runner.invoke(cli, ["cache", *cmd, "--path", str(junk)]), str(junk))
    _one_line_exit_2(runner.invoke(cli, ["cache", "stats", "--path", str(tmp_path / "typo.sqlite")]), "not found")
    into = tmp_path / "new" / "merged.sqlite"
    _one_line_exit_2(runner.invoke(cli, ["cache", "merge", str(junk), "--into", str(into)]), str(junk))
    assert not into.exists() and not into.parent.exists()
    home_file = tmp_path / "home-is-a-file"
    home_file.write_text("x")
    monkeypatch.setenv("SYNTHRR_HOME", str(home_file))
    _one_line_exit_2(runner.invoke(cli, ["cache", "stats"]), "is a file, not a folder")


def test_generate_on_a_damaged_cache_says_how_to_fix_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "llm-cache.sqlite").write_bytes(b"garbage" * 1000)
    monkeypatch.setenv("SYNTHRR_HOME", str(home))
    args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "6"]
    res = CliRunner().invoke(cli, [*args, "--no-progress", "--out", str(tmp_path / "runs")])
    _one_line_exit_2(res, "llm-cache.sqlite", "synthrr cache repair", "llm.cache=false")
