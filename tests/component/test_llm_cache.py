"""The SQLite cache under concurrent writers and crashes, and the ``synthrr cache`` command."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.llm import LLMCache, LLMClient, LLMRequest, Sampling
from synthrr.llm.backends.fake import FakeLLM

CTX = mp.get_context("spawn")  # a fresh interpreter: no inherited connection or lock


def _writer(path: str, worker: int, n: int, barrier: object) -> None:
    client = LLMClient(FakeLLM(), LLMCache(path, busy_timeout_s=30))
    barrier.wait()  # type: ignore[attr-defined]  # start writing together
    # half the prompts are shared by all workers, half are this worker's own
    prompts = [f"shared {i}" if i % 2 == 0 else f"worker {worker} prompt {i}" for i in range(n)]
    for p in prompts:  # one request per call: many small commits racing with the other writers
        client.generate([LLMRequest.completion(p)])


@pytest.mark.processes
def test_concurrent_writers_in_several_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    barrier = CTX.Barrier(3)
    procs = [CTX.Process(target=_writer, args=(path, w, 40, barrier)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cache = LLMCache(path)
    assert len(cache) == 20 + 3 * 20  # shared prompts stored once
    # all writers' answers are readable by a fresh client: no engine call needed
    fake = FakeLLM()
    LLMClient(fake, cache).generate([LLMRequest.completion(f"shared {i}") for i in range(0, 40, 2)])
    assert fake.calls == 0


def _slow_run(path: str) -> None:
    # each answer takes 0.2 s; the parent kills us after a few have arrived
    client = LLMClient(FakeLLM(FakeLLM.Options(delay=0.2)), LLMCache(path))
    client.generate([LLMRequest.completion(f"prompt {i}") for i in range(100)])


@pytest.mark.processes
def test_answers_survive_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    proc = CTX.Process(target=_slow_run, args=(str(path),))
    proc.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if path.exists() and len(LLMCache(path)) >= 3:
            break
    assert proc.is_alive() and proc.pid is not None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    n = len(LLMCache(path))
    assert 3 <= n < 100
    fake = FakeLLM()
    LLMClient(fake, LLMCache(path)).generate([LLMRequest.completion(f"prompt {i}") for i in range(n)])
    assert fake.calls == 0, "every answer received before the kill was committed"


def test_cache_stats_and_clear_cli(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    c = LLMClient(FakeLLM(), LLMCache(path))
    c.generate([LLMRequest.completion(f"p{i}", sampling=Sampling(n=2)) for i in range(3)])
    c.generate([LLMRequest.completion("p0", sampling=Sampling(n=2))])
    runner = CliRunner()
    res = runner.invoke(cli, ["cache", "stats", "--path", str(path)])
    assert res.exit_code == 0, res.output
    assert "entries: 6  hits: 2" in res.output and "fake" in res.output
    res = runner.invoke(cli, ["cache", "stats", "--path", str(path), "--json"])
    assert '"entries": 6' in res.output
    res = runner.invoke(cli, ["cache", "clear", "--path", str(path)], input="n\n")
    assert res.exit_code == 1 and len(LLMCache(path)) == 6  # declined
    res = runner.invoke(cli, ["cache", "clear", "--path", str(path), "--backend", "other", "--yes"])
    assert "deleted 0 entries" in res.output and len(LLMCache(path)) == 6
    res = runner.invoke(cli, ["cache", "clear", "--path", str(path), "--yes"])
    assert res.exit_code == 0 and "deleted 6 entries" in res.output and len(LLMCache(path)) == 0


def test_cache_cli_default_path_is_under_synthrr_home(synthrr_home: Path) -> None:
    res = CliRunner().invoke(cli, ["cache", "stats"])
    assert res.exit_code == 0 and str(synthrr_home / "llm-cache.sqlite") in res.output


def _fill(path: Path, prompts: list[str], template: str) -> None:
    fake = FakeLLM(FakeLLM.Options(default=template))
    with LLMCache(path) as cache:
        LLMClient(fake, cache).generate([LLMRequest.completion(p) for p in prompts])


def test_cache_merge_adds_missing_entries_and_keeps_existing_answers(tmp_path: Path) -> None:
    """Per-node caches merged afterwards: new keys are copied, a key already there keeps its answer."""
    main, node1, node2 = tmp_path / "main.sqlite", tmp_path / "node1.sqlite", tmp_path / "node2.sqlite"
    _fill(main, ["a", "b"], "main answer to {prompt}")
    _fill(node1, ["b", "c", "d"], "node1 answer to {prompt}")
    _fill(node2, ["d", "e"], "node2 answer to {prompt}")
    res = CliRunner().invoke(cli, ["cache", "merge", str(node1), str(node2), "--into", str(main)])
    assert res.exit_code == 0, res.output
    assert f"{node1}: 2 new of 3 entries" in res.output  # b was already in main
    assert f"{node2}: 1 new of 2 entries" in res.output  # d came with node1
    assert "merged 3 entries" in res.output and "(5 entries now)" in res.output
    fake = FakeLLM()  # every answer is now served from main, none reaches an engine
    with LLMCache(main) as cache:
        got = LLMClient(fake, cache).generate([LLMRequest.completion(p) for p in "abcde"])
    assert fake.calls == 0
    assert [r.completions[0].text for r in got] == [
        "main answer to a",
        "main answer to b",  # kept: merge never overwrites
        "node1 answer to c",
        "node1 answer to d",
        "node2 answer to e",
    ]
    again = CliRunner().invoke(cli, ["cache", "merge", str(node1), "--into", str(main)])
    assert again.exit_code == 0 and f"{node1}: 0 new of 3 entries" in again.output


def test_cache_merge_rejects_bad_sources_and_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    main = tmp_path / "home" / "llm-cache.sqlite"
    _fill(main, ["a"], "answer {prompt}")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE completions (key TEXT)")
    for bad, why in ((junk, "not a readable SQLite"), (other, "not a synthrr LLM cache"), (main, "is the cache being")):
        res = CliRunner().invoke(cli, ["cache", "merge", str(bad)])  # default --into: $SYNTHRR_HOME's cache
        assert res.exit_code != 0 and why in res.output, res.output
    res = CliRunner().invoke(cli, ["cache", "merge", str(tmp_path / "missing.sqlite")])
    assert res.exit_code != 0 and "missing.sqlite" in res.output
    with LLMCache(main) as cache:
        assert len(cache) == 1


# ---- log-probabilities through the client and the cache ------------------------------------------
def test_logprobs_are_cached_and_never_served_from_answers_without_them(tmp_path: Path) -> None:
    from synthrr.llm.backends.fake import fake_logprob

    path = tmp_path / "c.sqlite"
    plain = [LLMRequest.completion(f"p{i}", sampling=Sampling(n=2)) for i in range(2)]
    scored = [LLMRequest.completion(f"p{i}", sampling=Sampling(n=2, logprobs=True)) for i in range(2)]
    fake = FakeLLM()
    with LLMCache(path) as cache:
        client = LLMClient(fake, cache)
        without = client.generate(plain)
        assert all(c.logprob is None for r in without for c in r.completions)
        first = client.generate(scored)  # same prompts and sampling, but the cached answers have no logprob
        assert fake.calls == 8 and client.last_stats.cache_hits == 0 and not any(r.cached for r in first)
    assert [c.text for r in first for c in r.completions] == [c.text for r in without for c in r.completions]
    logprobs = [c.logprob for r in first for c in r.completions]
    assert logprobs == [fake_logprob(c.text) for r in first for c in r.completions]
    assert all(lp is not None and -4.0 <= lp <= -0.5 for lp in logprobs)

    again = FakeLLM()  # a fresh process: the logprobs come from the file
    with LLMCache(path) as cache:
        client = LLMClient(again, cache)
        second = client.generate(scored)
        assert again.calls == 0 and client.last_stats.cache_hits == 4 and all(r.cached for r in second)
        assert [r.completions for r in second] == [r.completions for r in first]
        assert all(c.logprob is None for r in client.generate(plain) for c in r.completions)
    assert again.calls == 0 and len(LLMCache(path)) == 8
