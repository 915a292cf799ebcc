"""Before a generate projected to take long, one or two lines on stderr: the calls, tokens and time
it will take and a smaller --n for a first look; nothing for short runs or with progress off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.llm.projection import Projection
from synthrr.run.plan import FIRST_LOOK_N, LONG_RUN_ENV, Forecast, duration, measured_tokens_per_s

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


def _generate(tmp_path: Path, *extra: str) -> tuple[int, str]:
    args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "6",
            "--out", str(tmp_path / "runs"), "--set", "synthesis.filters.label_consistency=none",
            "--set", "llm.sampling.max_tokens=40", *extra]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    return res.exit_code, res.stderr


def test_a_long_run_says_so_before_it_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LONG_RUN_ENV, "0")  # every run counts as long
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))  # an empty LLM cache: every call is to be made
    plan = CliRunner().invoke(cli, ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--dry-run"])
    assert plan.exit_code == 0 and "time: round 1 up to ~" in plan.output, plan.output
    code, err = _generate(tmp_path)
    assert code == 0, err
    notice = [line for line in err.splitlines() if line.startswith("a long run: ")]
    assert (
        len(notice) == 1 and "LLM calls" in notice[0] and "tokens" in notice[0] and "at 1,000,000 tokens/s" in notice[0]
    )
    assert "a default for this backend" in notice[0]  # no earlier run of this model under --out to measure


def test_short_runs_and_quiet_runs_say_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = _generate(tmp_path)  # the default threshold (minutes): the fake answers in no time
    assert code == 0 and "a long run" not in err
    monkeypatch.setenv(LONG_RUN_ENV, "0")
    code, err = _generate(tmp_path / "q", "--no-progress")
    assert code == 0 and "a long run" not in err


def test_a_bad_threshold_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LONG_RUN_ENV, "five minutes")
    code, err = _generate(tmp_path)
    assert code == 2 and LONG_RUN_ENV in err and "Traceback" not in err


def test_the_notice_suggests_a_first_look_and_times_it() -> None:
    p = Projection(requests=2000, completions=2000, cached=0, to_send=2000, prompt_tokens=600_000,
                   completion_tokens=150_000, cost=0.0)  # fmt: skip
    lines = Forecast(p, tokens_per_s=350.0, measured=False, n=1000).format().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("a long run: about 2,000 LLM calls, <= 750,000 tokens, up to ~") and "36 min" in lines[0]
    assert f"--n {FIRST_LOOK_N}" in lines[1] and "(up to ~107 s)" not in lines[1] and "up to ~" in lines[1]
    assert len(Forecast(p, 350.0, False, n=FIRST_LOOK_N).format().splitlines()) == 1  # already small: no --n
    assert (duration(45), duration(720), duration(3 * 3600 + 300)) == ("45 s", "12 min", "3 h 05 min")


def test_the_speed_is_measured_on_earlier_runs_of_the_model(tmp_path: Path) -> None:
    for i, (tokens, seconds) in enumerate([(1000, 2.0), (3000, 6.0)]):
        (tmp_path / f"run{i}").mkdir()
        manifest = {
            "model": {"identity": "m"},
            "llm": {"prompt_tokens": tokens, "completion_tokens": 0, "seconds": seconds},
        }
        (tmp_path / f"run{i}" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"model": {"identity": "x"}, "llm": {}}', encoding="utf-8")
    assert measured_tokens_per_s(tmp_path, "m") == 500.0
    assert measured_tokens_per_s(tmp_path, "x") is None and measured_tokens_per_s(tmp_path / "none", "m") is None
