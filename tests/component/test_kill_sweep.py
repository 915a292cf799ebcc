"""Kill -9 sweep: ``synthrr generate`` is killed at 20 seeded random points of one run and resumed
each time. After every kill the run directory is consistent (a reader gets the committed data or a
clear refusal, never torn files) and the killed process asked the engine nothing twice; the last
resume asks exactly the prompts not yet answered; the final data equal an uninterrupted run's.

The points are progress points (answered prompts, drawn with a fixed seed, and the write phase after
the last answer), so they spread over the whole run whatever the machine's speed. The fake backend
counts its engine calls in a log file (``llm.options.call_log``).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from support.kill_sweep import Sweep, check_consistent, kill_at, run_to_end, texts

pytestmark = pytest.mark.processes

KILLS = 20


def _fake(root: Path) -> Sweep:
    log = root / "calls.log"
    llm = ["--llm", "fake", "--set", "llm.options.delay=0.03", "--set", f"llm.options.call_log={log}"]
    return Sweep(root, llm)


def test_twenty_kills_lose_nothing_and_repeat_nothing(tmp_path: Path) -> None:
    ref, sweep = _fake(tmp_path / "ref"), _fake(tmp_path / "sweep")
    for s in (ref, sweep):
        s.root.mkdir(parents=True)
    done = run_to_end(ref)
    assert done.returncode == 0, done.stderr
    prompts = ref.calls()
    assert prompts > KILLS + 10, f"the run is too short to place {KILLS} kill points ({prompts} prompts)"

    rng = random.Random(20261202)
    # 18 points while prompts are answered, 2 in the write phase after the last answer
    targets = [*sorted(rng.sample(range(1, prompts), KILLS - 2)), prompts, prompts]
    extras = [*([0.0] * (KILLS - 2)), rng.uniform(0.0, 0.3), rng.uniform(0.3, 0.8)]
    states, kills = [], 0
    for target, extra in zip(targets, extras, strict=True):
        answered, calls = sweep.answered(), sweep.calls()
        if not kill_at(sweep, target, extra):
            break  # it finished before this point: later points cannot be reached either
        kills += 1
        made, stored = sweep.calls() - calls, sweep.answered() - answered
        assert made <= prompts - answered, "a killed run asked the engine for an answered prompt"
        assert made - stored in (0, 1), "more than the one in-flight answer was lost"
        states.append(check_consistent(sweep))
    assert kills >= KILLS - 1, f"only {kills} kill points were reached"  # the last write-phase point may miss

    before, calls = sweep.answered(), sweep.calls()
    final = run_to_end(sweep)
    assert final.returncode == 0, final.stderr
    assert sweep.calls() - calls == prompts - before  # the last resume asks exactly what is unanswered
    run, ref_run = sweep.run_dir(), ref.run_dir()
    assert run is not None and ref_run is not None
    assert texts(run) == texts(ref_run)  # the same data as the uninterrupted run, in the same order
    assert sweep.calls() <= prompts + kills  # over the whole sweep: at most one lost answer per kill
    assert set(states) <= {"no run yet", "refused", "readable"}
