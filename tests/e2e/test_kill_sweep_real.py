"""The kill -9 sweep once on the real default model (SmolLM2, llama.cpp): killed at 3 progress
points (first answer, half way, the write phase), resumed each time; the final run asks the engine
only what was unanswered (its manifest's calls), replays every stored answer, holds no duplicates
and meets its quota like an uninterrupted run. (Equal texts are asserted with the fake backend in
``tests/component/test_kill_sweep.py``: llama.cpp's sampled tokens depend on its thread count and
on how a prompt's prefill is split, which differ between processes.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.kill_sweep import Sweep, check_consistent, kill_at, run_to_end, texts

pytestmark = [pytest.mark.e2e, pytest.mark.processes]

REAL = ["--llm", "llamacpp", "--set", "llm.sampling.max_tokens=40", "--set", "llm.options.n_ctx=2048"]


def test_three_kills_on_the_real_model(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    ref, sweep = Sweep(tmp_path / "ref", REAL, n=6), Sweep(tmp_path / "sweep", REAL, n=6)
    for s in (ref, sweep):
        s.root.mkdir(parents=True)
    done = run_to_end(ref)
    assert done.returncode == 0, done.stderr
    prompts = ref.answered()
    assert prompts >= 4, prompts

    kills = 0
    for target, extra in ((1, 0.0), (prompts // 2, 0.0), (prompts, 0.2)):
        before = sweep.answered()
        if not kill_at(sweep, target, extra):
            break
        kills += 1
        assert sweep.answered() <= prompts and sweep.answered() >= before
        assert check_consistent(sweep) in ("no run yet", "refused", "readable")
    assert kills >= 2, kills

    before = sweep.answered()
    final = run_to_end(sweep)
    assert final.returncode == 0, final.stderr
    run = sweep.run_dir()
    ref_run = ref.run_dir()
    assert run is not None and ref_run is not None
    llm = json.loads((run / "manifest.json").read_text())["llm"]
    assert llm["calls"] == prompts - before and llm["cache_hits"] == before
    got, want = texts(run), texts(ref_run)
    assert len(set(got)) == len(got) == len(want) == 6
    assert sorted(label for label, _ in got) == sorted(label for label, _ in want)
