"""The paper's other baselines through the whole generation run (fake LLM, temp dirs): quotas,
provenance, resume without new calls, and the same dataset on the Ray executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthrr.config import RunConfig
from synthrr.stages.generate import generate
from synthrr.synth.baselines import AttrPrompt
from synthrr.tasks import get_task

DATA = Path(__file__).parent.parent / "data"
TASK = str(DATA / "tasks" / "support_tickets.yaml")
TINY = str(DATA / "corpora" / "tiny.jsonl")
ANSWER = "Ticket: my {h} problem number {n} is about: {prompt}"


def _attribute_answers() -> dict[str, str]:
    """Fake answers to AttrPrompt's attribute questions (exact prompt -> a list of values)."""
    spec = get_task(TASK).spec
    m = AttrPrompt()
    ctx: Any = type("Ctx", (), {"spec": spec})()
    lists = {
        "subtopic": "1. a late fee\n2. a locked screen\n3. two-factor codes",
        "style": "- polite\n- furious\n- terse",
    }
    return {m.question(ctx, lab, a): lists[a] for lab in spec.label_names for a in ("subtopic", "style")}


def _cfg(tmp_path: Path, method: str, **top: Any) -> RunConfig:
    data: dict[str, Any] = {
        "task": TASK,
        "seeds": {"per_label": 5},
        "llm": {"backend": "fake", "options": {"default": ANSWER, "responses": _attribute_answers()}},
        "synthesis": {"method": method, "n": 12, "shots": 2, "filters": {"label_consistency": "none"}},
        "out": str(tmp_path / "runs"),
    }
    if method == "regen":
        data["corpus"] = {"name": TINY, "min_tokens": 5}
        data["retrieval"] = {"retriever": "dense"}
        data["synthesis"]["n"] = 6
        data["synthesis"]["filters"] = {"label_consistency": "none", "dedup": "none"}
    data.update(top)
    return RunConfig.from_dict(data)


def _rows(result: Any) -> list[tuple[str, str, str]]:
    return sorted((r.id, r.label, r.text) for r in result.rows)


def test_supergen_keeps_the_likeliest_half_of_an_overgenerated_pool(tmp_path: Path) -> None:
    result = generate(_cfg(tmp_path, "supergen"))
    m = result.manifest
    assert m["status"] == "complete" and len(result.rows) == 12
    cands = pd.read_parquet(result.run_dir / "candidates.parquet")
    assert cands["logprob"].notna().all() and (cands["logprob"] < 0).all()
    assert m["drops"]["low_likelihood"] == (cands["verdict"] == "low_likelihood").sum() >= 12
    for label, group in cands.groupby("label"):  # every kept row is at least as likely as every dropped one
        kept = group[group["verdict"].isin(["kept", "over_quota"])]["logprob"]
        low = group[group["verdict"] == "low_likelihood"]["logprob"]
        assert kept.min() >= low.max(), label


def test_attrprompt_prompts_carry_llm_proposed_attribute_values(tmp_path: Path) -> None:
    result = generate(_cfg(tmp_path, "attrprompt"))
    m = result.manifest
    assert m["status"] == "complete" and len(result.rows) == 12
    prompts = pd.read_parquet(result.run_dir / "prompts.parquet")
    text = " ".join(prompts["prompt"])
    assert "Subtopic: " in text and "Style: " in text
    assert any(v in text for v in ("a late fee", "a locked screen", "two-factor codes"))
    # the attribute questions (3 labels x 2 attributes, 3 samples each) went through the same client
    assert m["llm"]["calls"] == m["counts"]["prompts"] + 3 * 2 * 3


def test_progen_feeds_helpful_candidates_back_over_rounds_and_resumes_without_calls(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "progen", synthesis={"method": "progen", "n": 12, "shots": 2, "method_options": {"rounds": 3}})
    first = generate(cfg)
    assert first.manifest["status"] == "complete" and first.manifest["counts"]["rounds"] >= 3
    cands = pd.read_parquet(first.run_dir / "candidates.parquet")
    ids = set(cands["id"])
    later = cands[cands["block"] > 0]
    assert len(cands[cands["block"] == 0]) and len(later)
    assert cands[cands["block"] == 0]["demo_ids"].map(len).eq(0).all()  # round 1: zero-shot
    # later rounds show earlier candidates of the same label as demonstrations
    demos = {d for ds in later["demo_ids"] for d in ds}
    assert demos and demos <= ids
    label_of = dict(zip(cands["id"], cands["label"], strict=True))
    assert all(label_of[d] == lab for ds, lab in zip(later["demo_ids"], later["label"], strict=True) for d in ds)
    again = generate(cfg)
    assert again.manifest["llm"]["calls"] == 0 and _rows(again) == _rows(first)


def test_regen_keeps_retrieved_passages_and_calls_no_llm(tmp_path: Path) -> None:
    result = generate(_cfg(tmp_path, "regen"))
    m = result.manifest
    assert m["llm"]["calls"] == 0 and m["status"] == "complete" and len(result.rows) == 6
    assert m["model"]["identity"] == "none"  # no model is named for texts that no model wrote
    corpus = pd.read_json(TINY, lines=True)
    assert {r.text for r in result.rows} <= set(corpus["text"])
    data = pd.read_parquet(result.run_dir / "data.parquet")
    assert data["passage_id"].notna().all() and data["rank"].ge(1).all()
    passages = pd.read_parquet(result.run_dir / "passages.parquet")
    assert set(data["passage_id"]) <= set(passages["passage_id"])


@pytest.mark.parametrize("method", ["supergen", "attrprompt", "progen", "regen"])
def test_each_baseline_gives_the_same_dataset_on_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ray_local: Any, method: str
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "a", method))
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))  # a fresh cache: the actors really generate
    encoded = _count_ray_encoding(monkeypatch)
    remote = generate(_cfg(tmp_path / "b", method, executor="ray", ray={"actors": 2, "cpus_per_actor": 0.5}))
    assert _rows(remote) == _rows(local) and local.rows
    assert remote.manifest["llm"]["calls"] == local.manifest["llm"]["calls"]
    if method != "regen":
        assert len(remote.manifest["executor"]["workers"]) == 2  # the actors answered
    else:
        assert sum(encoded) >= 1  # ReGen's missing index was encoded on the encoder actors


def _count_ray_encoding(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Shards each Ray encode pool encoded, recorded as the pool closes."""
    from synthrr.executors.encode import RayEncodePool

    counts: list[int] = []
    close = RayEncodePool.close

    def counting_close(self: RayEncodePool, *args: Any, **kwargs: Any) -> None:
        counts.append(self.encoded)
        close(self, *args, **kwargs)

    monkeypatch.setattr(RayEncodePool, "close", counting_close)
    return counts
