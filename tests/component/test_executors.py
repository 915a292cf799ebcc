"""Executors: local and Ray give the same dataset; finished shards are skipped on rerun."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.config import RunConfig
from synthrr.core.errors import BackendError, ConfigError, MissingExtraError
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.base import LLMRequest
from synthrr.llm.cache.store import LLMCache
from synthrr.llm.client import LLMClient
from synthrr.run.manifest import StageStats
from synthrr.stages.generate import generate

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")
ANSWER = "Ticket: my {h} problem number {n} is about: {prompt}"


def _cfg(tmp_path: Path, **top: Any) -> RunConfig:
    data: dict[str, Any] = {
        "task": TASK,
        "seeds": {"per_label": 5},
        "llm": {"backend": "fake", "options": {"default": ANSWER}},
        # blocks of 2 prompts share their demonstrations; shards never split a block
        "synthesis": {
            "method": "fewgen",
            "n": 12,
            "shots": 2,
            "demo_block": 2,
            "filters": {"label_consistency": "none"},
        },
        "out": str(tmp_path / "runs"),
    }
    data.update(top)
    return RunConfig.from_dict(data)


def _rows(result: Any) -> list[tuple[str, str, str]]:
    return sorted((r.id, r.label, r.text) for r in result.rows)


def _markers(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "shards" / "completions").iterdir())


# ---- local: shard markers and resume -------------------------------------------------------------
def test_local_writes_markers_stats_and_outputs_per_shard(tmp_path: Path) -> None:
    result = generate(_cfg(tmp_path, shard_size=4))
    shards = result.run_dir / "shards"
    ids = [m.name for m in _markers(result.run_dir)]
    assert ids and all((shards / "outputs" / f"{i}.jsonl").is_file() for i in ids)
    assert all((shards / "stats" / f"{i}.json").is_file() for i in ids)
    assert result.manifest["counts"]["shards"] == len(ids) >= 3
    assert result.manifest["llm"]["requests"] == result.manifest["counts"]["prompts"]
    # the shards' own tallies add up to the manifest's LLM use and shard counts
    total = sum(
        (StageStats.from_dict(json.loads((shards / "stats" / f"{i}.json").read_text())) for i in ids), StageStats()
    )
    whole = result.manifest.stats.llm  # seconds are rounded per record, so compare the counts
    assert replace(total.llm, seconds=0.0) == replace(whole, seconds=0.0) and total.llm.calls > 0
    assert total.counts == {"shards": len(ids), "shards_skipped": 0}


def test_rerun_after_failure_skips_finished_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend that dies mid-run leaves markers for finished shards; the rerun only does the rest."""
    cfg = _cfg(tmp_path, shard_size=3, llm={"backend": "fake", "cache": False, "options": {"default": ANSWER}})
    full = generate(cfg, client=LLMClient(FakeLLM(FakeLLM.Options(default=ANSWER))))
    total = full.manifest["llm"]["calls"]
    import shutil

    shutil.rmtree(full.run_dir)

    def dying(request: LLMRequest, sample: int) -> str:
        if dying.n >= 7:  # type: ignore[attr-defined]
            raise BackendError("fake", "engine crashed")
        dying.n += 1  # type: ignore[attr-defined]
        return FakeLLM(FakeLLM.Options(default=ANSWER))._answer(request, sample)

    dying.n = 0  # type: ignore[attr-defined]
    with pytest.raises(BackendError):
        generate(cfg, client=LLMClient(FakeLLM(respond=dying)))
    finished = _markers(full.run_dir)
    assert len(finished) == 2  # shards of >= 3 requests (whole blocks of 2): two answered and marked
    assert not (full.run_dir / "data.parquet").exists()
    outputs = full.run_dir / "shards" / "outputs"
    answered = sum((outputs / f"{m.name}.jsonl").read_text().count("\n") for m in finished)
    assert 6 <= answered <= 7

    healthy = FakeLLM(FakeLLM.Options(default=ANSWER))
    again = generate(cfg, client=LLMClient(healthy))
    assert healthy.calls == total - answered  # no cache: only unfinished shards reached the engine
    assert again.manifest["counts"]["shards_skipped"] == 2
    assert _rows(again) == _rows(full)


def test_changed_shard_is_not_skipped(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, shard_size=4, llm={"backend": "fake", "cache": False, "options": {"default": ANSWER}})
    first = generate(cfg)
    marker = _markers(first.run_dir)[0]
    marker.write_text("stale-digest\n")
    fake = FakeLLM(FakeLLM.Options(default=ANSWER))
    again = generate(cfg, client=LLMClient(fake))
    assert fake.calls == 4 and again.manifest["counts"]["shards_skipped"] == again.manifest["counts"]["shards"] - 1
    assert _rows(again) == _rows(first)


def test_logprobs_survive_a_shard_replayed_from_disk(tmp_path: Path) -> None:
    from synthrr.executors.base import Shard, ShardStore, run_shard
    from synthrr.llm.base import Sampling

    store = ShardStore(tmp_path / "shards")
    reqs = [LLMRequest.completion(f"p{i}", sampling=Sampling(n=2, logprobs=i == 0)) for i in range(2)]
    shard = Shard("r000-00000", reqs)
    done = run_shard(LLMClient(FakeLLM()), shard, store)
    replayed = store.load(shard)
    assert store.is_done(shard) and replayed.skipped
    got = [r.completions for r in replayed.responses if r is not None]
    assert got == [r.completions for r in done.responses if r is not None]
    assert [c.logprob is None for cs in got for c in cs] == [False, False, True, True]
    lines = store.output(shard.id).read_text().splitlines()
    assert '"logprob"' in lines[0] and '"logprob"' not in lines[1]  # only where there is one


# ---- ray: missing extra, budget ------------------------------------------------------------------
def test_ray_missing_extra_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(MissingExtraError, match=r"synthrr\[ray\]"):
        generate(_cfg(tmp_path, executor="ray"))
    from synthrr.cli import cli

    args = ["generate", "--task", TASK, "--llm", "fake", "--method", "fewgen", "--n", "6", "--per-label", "5"]
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "cli"), "--no-progress", "--executor", "ray"])
    assert res.exit_code == 2 and "pip install 'synthrr[ray]'" in res.output


def test_ray_rejects_budget_when_the_config_is_made(tmp_path: Path) -> None:
    """A budget is enforced per client: with Ray it is refused by the config itself (exit 2), in Python
    as on the command line, before anything runs; the local executor keeps it."""
    with pytest.raises(ConfigError, match=r"llm\.budget.*not supported with executor 'ray'") as info:
        _cfg(tmp_path, executor="ray").with_overrides({"llm.budget.max_calls": 5})
    assert info.value.exit_code == 2
    assert _cfg(tmp_path).with_overrides({"llm.budget.max_calls": 5}).llm.budget.max_calls == 5
    from synthrr.cli import cli

    args = ["generate", "--task", TASK, "--llm", "fake", "--method", "fewgen", "--n", "6", "--per-label", "5"]
    out = ["--out", str(tmp_path / "cli"), "--no-progress", "--executor", "ray", "--set", "llm.budget.max_calls=5"]
    res = CliRunner().invoke(cli, [*args, *out])
    assert res.exit_code == 2 and "llm.budget" in res.output and "executor 'ray'" in res.output
    assert not (tmp_path / "cli").exists()


# ---- ray: same dataset as local, resume ----------------------------------------------------------
def test_local_and_ray_give_the_same_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ray_local: Any) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "a"))
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))  # a fresh cache: ray really generates
    ray_cfg = _cfg(tmp_path / "b", executor="ray", ray={"actors": 2, "cpus_per_actor": 0.5}, shard_size=3)
    remote = generate(ray_cfg)
    assert _rows(remote) == _rows(local) and len(local.rows) == 12
    assert remote.manifest["llm"]["calls"] == local.manifest["llm"]["calls"] > 0
    assert remote.manifest["counts"]["shards"] > remote.manifest["counts"]["rounds"]
    workers = remote.manifest["executor"]["workers"]
    assert len(workers) == 2 and f"{socket.gethostname()}:{os.getpid()}" not in workers  # two actor processes
    assert local.manifest["executor"]["workers"] == [f"{socket.gethostname()}:{os.getpid()}"]
    with LLMCache(tmp_path / "home-ray" / "llm-cache.sqlite") as cache:  # the actors wrote the shared cache
        assert cache.stats()["entries"] == remote.manifest["llm"]["calls"]
    assert remote.run_dir.name == local.run_dir.name  # executor settings are not part of the fingerprint
    # each shard holds whole demonstration blocks: a block's rows came from one actor's shard
    data = pd.read_parquet(remote.run_dir / "candidates.parquet")
    assert (
        data["block"].notna().all()
        and data.groupby(["label", "block"])["demo_ids"].agg(lambda s: len({tuple(x) for x in s})).eq(1).all()
    )


def test_ray_rerun_skips_finished_shards(tmp_path: Path, ray_local: Any) -> None:
    llm = {"backend": "fake", "cache": False, "options": {"default": ANSWER}}
    cfg = _cfg(tmp_path, executor="ray", ray={"actors": 2, "cpus_per_actor": 0.5}, shard_size=3, llm=llm)
    first = generate(cfg)
    markers = _markers(first.run_dir)
    markers[-1].unlink()  # as if the run died before the last shard finished
    again = generate(cfg)
    counts = again.manifest["counts"]
    assert counts["shards_skipped"] == counts["shards"] - 1 == len(markers) - 1
    redo = (first.run_dir / "shards" / "outputs" / f"{markers[-1].name}.jsonl").read_text().count("\n")
    assert again.manifest["llm"]["calls"] == redo  # only the unfinished shard was generated again
    assert _rows(again) == _rows(first)


def test_ray_actor_errors_reach_the_driver_as_synthrr_errors(tmp_path: Path, ray_local: Any) -> None:
    llm = {"backend": "fake", "cache": False, "options": {"default": ANSWER, "n_ctx": 5}}  # prompts too long
    cfg = _cfg(tmp_path, executor="ray", ray={"actors": 2, "cpus_per_actor": 0.5}, llm=llm)
    with pytest.raises(BackendError, match="exceeds the context") as info:
        generate(cfg)
    assert info.value.backend == "fake" and info.value.exit_code == 2


# ---- ray: a killed worker ------------------------------------------------------------------------
def test_a_killed_llm_actor_is_restarted_and_its_shard_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ray_local: Any
) -> None:
    """SIGKILL one LLM actor mid-run: Ray restarts it and retries its shard; same rows as local, once each."""
    from synthrr.executors.ray import RayExecutor

    llm = {"backend": "fake", "options": {"default": ANSWER, "delay": 0.25}}  # a shard of 2 takes 0.5 s
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "a", llm=llm, shard_size=2))

    pids: list[int] = []
    started = RayExecutor.__init__

    def spy(self: RayExecutor, *args: Any, **kwargs: Any) -> None:  # the actors' pids, before any shard
        started(self, *args, **kwargs)
        pids.extend(ray_local.get([actor.pid.remote() for actor in self.actors]))

    monkeypatch.setattr(RayExecutor, "__init__", spy)
    killed: dict[str, int] = {}

    def kill_after_first_shard() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = list((tmp_path / "b" / "runs").glob("*/shards/completions/*"))
            if pids and done:
                os.kill(pids[0], signal.SIGKILL)
                killed["markers"] = len(done)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_after_first_shard, daemon=True)
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))
    cfg = _cfg(tmp_path / "b", llm=llm, executor="ray", ray={"actors": 2, "cpus_per_actor": 0.5}, shard_size=2)
    killer.start()
    remote = generate(cfg)
    killer.join()
    assert killed and killed["markers"] < remote.manifest["counts"]["shards"]  # killed while shards remained
    workers = set(remote.manifest["executor"]["workers"])
    host = socket.gethostname()
    assert workers - {f"{host}:{p}" for p in pids}, "no shard ran on a restarted actor"
    assert _rows(remote) == _rows(local)
    data = pd.read_parquet(remote.run_dir / "data.parquet")
    assert len(data) == len(local.rows) and data["id"].is_unique and data["text"].is_unique
