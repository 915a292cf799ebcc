"""The real SmolLM2 model (llama.cpp) on Ray actors gives the same dataset as the local executor, also
when the driver is killed mid-run and the command is run again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthrr.config import RunConfig
from synthrr.stages.generate import generate

pytestmark = pytest.mark.e2e


def _cfg(out: Path, **top: Any) -> RunConfig:
    data: dict[str, Any] = {
        "task": "imdb",
        "seeds": {"per_label": 3},
        # one slot and no prompt-cache reuse: llama.cpp's continuous batching is not batch-invariant,
        # so only a serial engine gives bit-identical samples whichever process runs a shard
        "llm": {
            "backend": "llamacpp",
            "sampling": {"max_tokens": 32},
            "options": {"n_ctx": 2048, "n_parallel": 1, "cache_prompt": False},
        },
        "synthesis": {"method": "fewgen", "n": 4, "shots": 2, "demo_tokens": 40},
        "threads": 1,  # the same engine threads everywhere, so sampling is bit-identical
        "shard_size": 3,  # the same batches reach the engine on both executors
        "out": str(out),
    }
    data.update(top)
    return RunConfig.from_dict(data)


def test_real_model_same_dataset_on_local_and_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ray_local: Any
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "a"))
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))  # fresh cache: the actors really generate
    remote = generate(_cfg(tmp_path / "b", executor="ray", ray={"actors": 2, "cpus_per_actor": 1}))
    assert remote.manifest["llm"]["calls"] == local.manifest["llm"]["calls"] > 0
    assert len(remote.manifest["executor"]["workers"]) == 2
    rows = sorted((r.id, r.label, r.text) for r in local.rows)
    assert rows and sorted((r.id, r.label, r.text) for r in remote.rows) == rows
    cands = sorted((r.id, r.label, r.text, r.verdict) for r in local.candidates)
    assert sorted((r.id, r.label, r.text, r.verdict) for r in remote.candidates) == cands


def _session_pids(sid: int) -> list[int]:
    """Live processes of session ``sid`` (the killed driver's Ray processes: gcs, raylet, workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _kill_session(sid: int) -> None:
    for pid in [sid, *_session_pids(sid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="finds the driver's Ray processes in /proc")
@pytest.mark.ray
def test_killed_ray_driver_reruns_only_unfinished_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``synthrr generate --executor ray`` killed with -9 (driver, its Ray instance and actors) after a
    shard finished; the same command again skips the finished shards and gives the uninterrupted rows."""
    pytest.importorskip("ray")
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "local", shard_size=1))
    total = local.manifest["llm"]["calls"]
    _cfg(tmp_path / "runs", shard_size=1).to_yaml(tmp_path / "run.yaml")
    args = [
        sys.executable, "-m", "synthrr.cli", "generate", "--config", str(tmp_path / "run.yaml"), "--no-progress",
        "--executor", "ray", "--set", "ray.num_cpus=2", "--set", "ray.actors=2", "--set", "ray.cpus_per_actor=1",
    ]  # fmt: skip
    # no RAY_ADDRESS: the driver starts a local Ray instance of its own, in its session, killed with it
    env = {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}, "SYNTHRR_HOME": str(tmp_path / "home-ray")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        markers: list[Path] = []
        deadline = time.monotonic() + 120
        while not markers and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            # a marker being written is a hidden temporary file in the same folder: count renamed ones only
            markers = [p for p in (tmp_path / "runs").glob("*/shards/completions/*") if not p.name.startswith(".")]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    finally:
        _kill_session(proc.pid)  # Ray workers run in their own process groups, in the driver's session
    proc.wait()
    assert markers, f"no shard finished before the kill: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
    assert len(markers) < total and not list((tmp_path / "runs").glob("*/data.parquet"))

    again = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = again.communicate(timeout=300)
    finally:
        _kill_session(again.pid)
    assert again.returncode == 0, err.decode()[-3000:]
    run_dir = next((tmp_path / "runs").glob("*/manifest.json")).parent
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["counts"]["shards"] == local.manifest["counts"]["shards"]
    assert m["counts"]["shards_skipped"] >= len(markers)  # finished shards were replayed from disk
    assert m["llm"]["calls"] <= total - len(markers)  # only unfinished shards reached an engine
    data = pd.read_parquet(run_dir / "data.parquet")
    assert data["id"].is_unique and len(data) == len(local.rows)
    rows = sorted(zip(data["id"], data["label"], data["text"], strict=True))
    assert rows == sorted((r.id, r.label, r.text) for r in local.rows)
