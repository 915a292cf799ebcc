"""Component tests of the generation run with the fake LLM: quotas, top-up, budget, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from synthrr.config import RunConfig
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.base import LLMRequest
from synthrr.llm.cache.store import LLMCache
from synthrr.llm.client import LLMClient
from synthrr.stages.generate import generate

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")
WORDS = {
    "billing": "refund invoice charge payment card billed twice subscription price",
    "technical": "crash bug error app freezes screen update broken button sync",
    "account": "password login username profile email locked close account settings",
}


def _label_of(request: LLMRequest) -> str:
    prompt = FakeLLM.prompt_of(request)
    for label, verb in (("billing", "charge"), ("technical", "bug"), ("account", "logging")):
        if verb in prompt:
            return label
    raise AssertionError(prompt)


def responder(dup_every: int = 0):  # type: ignore[no-untyped-def]
    """Label-faithful fake answers; every ``dup_every``-th answer is a duplicate of a fixed text."""
    count = {"n": 0}

    def respond(request: LLMRequest, sample: int) -> str:
        count["n"] += 1
        label = _label_of(request)
        if dup_every and count["n"] % dup_every == 0:
            return "Ticket: the same duplicate text every single time here"
        words = WORDS[label].split()
        seed = request.sampling.seed + sample
        picked = [words[(seed // (i + 1)) % len(words)] for i in range(8)]
        return f"Ticket: my {label} issue #{seed}: " + " ".join(picked)

    return respond


def _cfg(tmp_path: Path, **synthesis: object) -> RunConfig:
    return RunConfig.from_dict(
        {
            "task": TASK,
            "seeds": {"per_label": 5},
            "llm": {"backend": "fake"},
            "synthesis": {"method": "fewgen", "n": 12, "shots": 2, **synthesis},
            "out": str(tmp_path / "runs"),
        }
    )


def _client(tmp_path: Path, backend: FakeLLM) -> LLMClient:
    return LLMClient(backend, LLMCache(tmp_path / "cache.sqlite"))


def test_quota_met_with_top_up_after_filters(tmp_path: Path) -> None:
    fake = FakeLLM(respond=responder(dup_every=3))
    result = generate(_cfg(tmp_path, filters={"label_consistency": "none"}), client=_client(tmp_path, fake))
    m = result.manifest
    assert m["status"] == "complete" and len(result.rows) == 12
    assert {lab: v["kept"] for lab, v in m["per_label"].items()} == {"billing": 4, "technical": 4, "account": 4}
    assert m["drops"]["exact_duplicate"] >= 1
    assert m["counts"]["rounds"] >= 2  # the duplicates forced a top-up round
    data = pd.read_parquet(result.run_dir / "data.parquet")
    assert len(data) == 12 and data["id"].is_unique and data["text"].is_unique
    assert set(data.columns) >= {"text", "label", "method", "seed_id", "passage_id", "rank", "score", "prompt_hash"}
    assert (data["verdict"] == "kept").all()
    cands = pd.read_parquet(result.run_dir / "candidates.parquet")
    assert (cands["verdict"] == "exact_duplicate").sum() == m["drops"]["exact_duplicate"]
    jsonl = [json.loads(line) for line in (result.run_dir / "data.jsonl").read_text().splitlines()]
    assert [r["id"] for r in jsonl] == data["id"].tolist()
    assert RunConfig.from_yaml(result.run_dir / "config.yaml") == _cfg(tmp_path, filters={"label_consistency": "none"})


def test_identical_rerun_makes_zero_calls_and_same_rows(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    first = generate(cfg, client=_client(tmp_path, FakeLLM(respond=responder())))
    fake = FakeLLM(respond=responder())
    again = generate(cfg, client=_client(tmp_path, fake))
    assert fake.calls == 0 and again.manifest["llm"]["calls"] == 0
    assert again.manifest["llm"]["cache_hits"] == first.manifest["llm"]["calls"]
    assert [r.id for r in again.rows] == [r.id for r in first.rows]
    assert again.run_dir == first.run_dir


def test_changed_config_gets_new_run_dir(tmp_path: Path) -> None:
    a = generate(_cfg(tmp_path), client=_client(tmp_path, FakeLLM(respond=responder())))
    b = generate(_cfg(tmp_path, shots=1), client=_client(tmp_path, FakeLLM(respond=responder())))
    assert a.run_dir != b.run_dir and a.run_dir.exists() and b.run_dir.exists()


def test_label_consistency_drops_mislabelled(tmp_path: Path) -> None:
    def respond(request: LLMRequest, sample: int) -> str:
        label = _label_of(request)
        seed = request.sampling.seed
        if label == "billing" and seed % 3 == 0:  # the "LLM" writes an account ticket instead
            return f"Ticket: I forgot my password and cannot login to my profile {seed}"
        return responder()(request, sample)

    cfg = _cfg(tmp_path, n=30, filters={"label_consistency": "seed_classifier", "keep_fraction": 0.7})
    result = generate(cfg, client=_client(tmp_path, FakeLLM(respond=respond)))
    bad = [c for c in result.candidates if c.label == "billing" and "password" in c.text]
    assert bad and not [c for c in bad if c.verdict == "kept"]
    disagree = [c for c in bad if c.verdict == "label_disagrees"]  # dropped as they arrived
    assert disagree and result.manifest["drops"]["label_disagrees"] >= len(disagree)  # (the rest: near-duplicates)
    assert result.manifest["drops"]["low_label_confidence"] > 0  # then the keep_fraction cut
    assert len(result.rows) == 30 and result.manifest["status"] == "complete"  # topped up for the drops
    assert all(r.confidence is not None and r.confidence > 1 / 3 for r in result.rows)

    # without agreement the mislabelled rows reach the end and only the keep_fraction cut sees them
    loose = cfg.with_overrides({"synthesis.filters.require_agreement": False})
    result = generate(loose, client=_client(tmp_path, FakeLLM(respond=respond)))
    assert "label_disagrees" not in result.manifest["drops"]
    bad_dropped = [c for c in result.candidates if "password" in c.text and c.verdict == "low_label_confidence"]
    bad_kept = [r for r in result.rows if r.label == "billing" and "password" in r.text]
    assert len(bad_dropped) > len(bad_kept)


def test_budget_stops_cleanly_and_writes_what_it_has(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, n=30, filters={"label_consistency": "none"}).with_overrides({"llm.budget.max_calls": 7})
    result = generate(cfg, client=None)
    m = result.manifest
    assert m["stop_reason"] == "budget" and m["status"] == "incomplete"
    assert m["llm"]["calls"] <= 7
    assert len(pd.read_parquet(result.run_dir / "data.parquet")) == len(result.rows) > 0


def test_max_prompts_cap_reports_shortfall(tmp_path: Path) -> None:
    fake = FakeLLM(respond=lambda req, s: "Ticket: the same duplicate text every single time here")
    cfg = _cfg(tmp_path, max_prompts=9, filters={"label_consistency": "none"})
    result = generate(cfg, client=_client(tmp_path, fake))
    assert result.manifest["status"] == "incomplete" and result.manifest["stop_reason"] == "max_prompts"
    assert result.manifest["counts"]["prompts"] == 9


def _start_and_signal(tmp_path: Path, sig: int) -> tuple[list[str], dict[str, str], subprocess.Popen[str], int]:
    """Start a slow fake-LLM run in a child process and send ``sig`` once 5 answers are cached."""
    home = tmp_path / "home"
    args = [
        sys.executable, "-m", "synthrr.cli", "generate", "--task", TASK, "--method", "fewgen", "--llm", "fake",
        "--n", "30", "--per-label", "5", "--out", str(tmp_path / "runs"), "--no-progress",
        "--set", "llm.options.delay=0.2", "--set", "synthesis.filters.label_consistency=none",
    ]  # fmt: skip
    env = {**os.environ, "SYNTHRR_HOME": str(home)}
    proc = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job (`make test &`) ignores SIGINT, and a child inherits that: Python then never
        # installs its Ctrl-C handler, so give the child the default disposition a user's terminal would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    cache_file = home / "llm-cache.sqlite"
    deadline = time.time() + 180  # generous: on a loaded 2-core machine the child's imports alone take long
    answered = 0
    while time.time() < deadline:
        if cache_file.exists():
            with LLMCache(cache_file) as c:
                answered = c.stats()["entries"]
            if answered >= 5:
                break
        time.sleep(0.1)
    proc.send_signal(sig)
    proc.wait(timeout=180)
    assert answered >= 5, "the run never got going"
    assert not list((tmp_path / "runs").glob("*/data.parquet")), "an interrupted run must not leave outputs"
    return args, env, proc, answered


@pytest.mark.processes
@pytest.mark.parametrize(
    ("sig", "code", "says"),
    [(signal.SIGKILL, -9, None), (signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_resume_after_kill_has_no_repeated_calls_or_duplicate_rows(
    tmp_path: Path, sig: int, code: int, says: str | None
) -> None:
    args, env, proc, answered_before_kill = _start_and_signal(tmp_path, sig)
    assert proc.returncode == code
    if says is not None:  # one line naming what happened and how to resume, no traceback
        err = proc.stderr.read() if proc.stderr else ""
        assert f"{says}; rerun the same command to resume" in err and "Traceback" not in err, err

    done = subprocess.run(args, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    run_dir = next((tmp_path / "runs").glob("*/manifest.json")).parent
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["llm"]["cache_hits"] >= answered_before_kill  # finished calls were replayed, not repeated
    assert m["llm"]["calls"] + m["llm"]["cache_hits"] == m["llm"]["requests"]
    data = pd.read_parquet(run_dir / "data.parquet")
    assert len(data) == 30 and data["id"].is_unique and data["text"].is_unique


def test_cli_exit_status_says_whether_the_quota_was_met(tmp_path: Path) -> None:
    """0 when every label is full, 3 on a budget stop, 4 when a quota is unmet; the run is written each time."""
    from click.testing import CliRunner

    from synthrr.cli import cli

    base = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--no-progress"]
    base += ["--set", "synthesis.filters.label_consistency=none"]
    runner = CliRunner()
    ok = runner.invoke(cli, [*base, "--n", "6", "--out", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    budget = runner.invoke(cli, [*base, "--n", "30", "--out", str(tmp_path / "b"), "--set", "llm.budget.max_calls=7"])
    assert budget.exit_code == 3 and "quota not met (budget)" in budget.output
    # answers that are all the same text: dedup keeps one per label, max_prompts stops the run
    same = ["--set", "llm.options.default='Ticket: the same duplicate text every single time here'"]
    unmet = runner.invoke(
        cli, [*base, "--n", "9", "--out", str(tmp_path / "u"), "--set", "synthesis.max_prompts=9", *same]
    )
    assert unmet.exit_code == 4 and "quota not met (max_prompts): short by" in unmet.output, unmet.output
    assert len(list((tmp_path / "u").glob("*/data.parquet"))) == 1


def _help_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "help.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"{label}-{i}",
                "text": f"Help article {i} on {label}: " + " ".join(words.split()[i:] + words.split()[:i]) * 2,
            }
        )
        for label, words in WORDS.items()
        for i in range(6)
    ]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def test_an_exhausted_score_band_widens_by_rank_and_the_manifest_says_so(tmp_path: Path) -> None:
    """Every passage scores below the input band: the run goes on below it instead of starving."""
    corpus = _help_corpus(tmp_path)
    overrides = {
        "synthesis.method": "synthesizrr",
        "synthesis.shots": 1,
        "synthesis.n": 6,
        "synthesis.input_band": [1000.0, 2000.0],  # BM25 scores are far below: nothing is in the band
        "corpus.name": str(corpus),
        "retrieval.retriever": "bm25",
        "retrieval.k": 10,
    }
    cfg = _cfg(tmp_path, filters={"label_consistency": "none"}).with_overrides(overrides)
    result = generate(cfg, client=_client(tmp_path, FakeLLM(respond=responder())))
    m = result.manifest
    assert m["status"] == "complete" and len(result.rows) == 6
    assert all(v["widened_prompts"] > 0 for v in m["per_label"].values()), m["per_label"]
    # the run directory holds the seeds and the hits it used: every row's passage is among them
    seeds = pd.read_parquet(result.run_dir / "seeds.parquet")
    hits = pd.read_parquet(result.run_dir / "hits.parquet")
    assert list(seeds.columns) == ["id", "text", "label"] and len(seeds) == 3 * 5
    assert set(hits.columns) == {"seed_id", "passage_id", "rank", "score"} and set(hits["seed_id"]) <= set(seeds["id"])
    assert {r.passage_id for r in result.rows} <= set(hits["passage_id"])
    starved = generate(cfg.with_overrides({"synthesis.widen": False, "out": str(tmp_path / "b")}))
    assert starved.manifest["stop_reason"] == "candidate_pool_exhausted" and not starved.rows


def test_generate_reuses_the_hits_of_a_matching_retrieve(tmp_path: Path) -> None:
    """`retrieve --out D` then `generate --hits-from D`: the same data as retrieving again; hits of
    other settings are refused with one line naming the setting."""
    from click.testing import CliRunner

    from synthrr.cli import cli

    corpus = _help_corpus(tmp_path)
    common = ["--task", TASK, "--corpus", str(corpus), "--retriever", "bm25", "-k", "10", "--per-label", "5"]
    res = CliRunner().invoke(cli, ["retrieve", *common, "--out", str(tmp_path / "r"), "--no-progress"])
    assert res.exit_code == 0, res.output
    overrides = {"synthesis.method": "synthesizrr", "synthesis.shots": 1, "synthesis.n": 6, "corpus.name": str(corpus),
                 "retrieval.retriever": "bm25", "retrieval.k": 10}  # fmt: skip
    cfg = _cfg(tmp_path, filters={"label_consistency": "none"}).with_overrides(overrides)
    fresh = generate(cfg, client=_client(tmp_path, FakeLLM(respond=responder())))
    reused = generate(
        cfg.with_overrides({"hits_from": str(tmp_path / "r"), "out": str(tmp_path / "b")}),
        client=_client(tmp_path / "b", FakeLLM(respond=responder())),
    )
    assert reused.run_dir.name == fresh.run_dir.name  # where the hits came from is not part of the data
    assert [(r.text, r.passage_id) for r in reused.rows] == [(r.text, r.passage_id) for r in fresh.rows]
    assert pd.read_parquet(reused.run_dir / "hits.parquet").equals(pd.read_parquet(tmp_path / "r" / "hits.parquet"))
    res = CliRunner().invoke(
        cli,
        ["generate", *common, "-k", "5", "--llm", "fake", "--method", "synthesizrr", "--n", "6",
         "--hits-from", str(tmp_path / "r"), "--out", str(tmp_path / "c"), "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 2 and "hits_from" in res.output and "retrieval.k" in res.output, res.output
    assert "Traceback" not in res.output


def test_dry_run_projects_round_one_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--dry-run: seeds and round 1's prompts, projected through the cache; no LLM call, no run directory."""
    from click.testing import CliRunner

    from synthrr.cli import cli

    home = tmp_path / "home"
    monkeypatch.setenv("SYNTHRR_HOME", str(home))
    base = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "6"]
    base += ["--no-progress", "--out", str(tmp_path / "runs"), "--set", "synthesis.filters.label_consistency=none"]
    dry = CliRunner().invoke(cli, [*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing sent, nothing written" in dry.output and "quota per label: billing=2" in dry.output
    assert "9 requests, 9 completions, 0 cached, 9 to generate" in dry.output and "first prompt:" in dry.output
    assert not (tmp_path / "runs").exists()
    assert CliRunner().invoke(cli, base).exit_code == 0
    again = CliRunner().invoke(cli, [*base, "--dry-run"])
    assert "9 requests, 9 completions, 9 cached, 0 to generate" in again.output  # the cache is consulted
