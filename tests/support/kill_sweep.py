"""Kill -9 sweeps of ``synthrr generate``: start a run in a child process, kill it at a progress
point (answered prompts, read from its LLM cache), check what a reader sees, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from synthrr.core.errors import SynthrrError
from synthrr.llm.cache.store import LLMCache
from synthrr.run.rundir import load_run

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


@dataclass
class Sweep:
    """One run folder and SYNTHRR_HOME under ``root``; ``llm`` and ``n`` choose the run."""

    root: Path
    llm: list[str] = field(default_factory=list)
    n: int = 40

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def log(self) -> Path:
        return self.root / "calls.log"

    def args(self) -> list[str]:
        return [
            sys.executable, "-m", "synthrr.cli", "generate", "--task", TASK, "--method", "fewgen",
            "--n", str(self.n), "--per-label", "5", "--out", str(self.root / "runs"), "--no-progress",
            "--set", "synthesis.filters.label_consistency=none", *self.llm,
        ]  # fmt: skip

    def start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "SYNTHRR_HOME": str(self.home)}
        return subprocess.Popen(self.args(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def answered(self) -> int:
        cache = self.home / "llm-cache.sqlite"
        if not cache.exists():
            return 0
        with LLMCache(cache) as c:
            return int(c.stats()["entries"])

    def calls(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def run_dir(self) -> Path | None:
        found = [p for p in (self.root / "runs").glob("*") if p.is_dir()] if (self.root / "runs").is_dir() else []
        return found[0] if found else None


def run_to_end(sweep: Sweep) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNTHRR_HOME": str(sweep.home)}
    return subprocess.run(sweep.args(), env=env, capture_output=True, text=True, timeout=300)


def kill_at(sweep: Sweep, target: int, extra_s: float) -> bool:
    """Start a resume, kill -9 it once ``target`` prompts are answered (plus ``extra_s``); False if
    it finished first."""
    proc = sweep.start()
    deadline = time.time() + 120
    while proc.poll() is None and sweep.answered() < target and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(extra_s)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return True


def check_consistent(sweep: Sweep) -> str:
    """A reader sees the committed run or refuses it cleanly; returns which."""
    run = sweep.run_dir()
    if run is None:
        return "no run yet"
    try:
        data = load_run(run)
    except SynthrrError:
        return "refused"
    rows = data.examples
    assert len({r.id for r in rows}) == len(rows), "duplicate rows in a committed run"
    return "readable"


def texts(run: Path) -> list[tuple[str, str]]:
    df = pd.read_parquet(run / "data.parquet")
    return list(zip(df["label"], df["text"], strict=True))
