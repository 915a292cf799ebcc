"""The Python API's settings are keyword parameters an editor can complete and mypy can check,
with concrete return types, and results print as one short line."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import synthrr
from synthrr.api import KEYWORDS, Comparison, EvalSettings, Settings, SynthesisResult
from synthrr.core.errors import UsageError
from synthrr.report.table import table_row
from synthrr.run.manifest import RunManifest


def test_generate_names_every_setting_and_plan_build_share_them() -> None:
    params = inspect.signature(synthrr.generate).parameters
    keywords = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert keywords == [*KEYWORDS, "overrides", "progress"]
    assert list(Settings.__annotations__) == [*KEYWORDS, "overrides"]  # plan(**settings), build(**settings)
    assert all(params[k].default is None for k in [*KEYWORDS, "overrides"])
    for fn in (synthrr.generate, synthrr.plan, synthrr.evaluate, synthrr.compare, synthrr.build_config):
        assert "Any" not in str(inspect.signature(fn).return_annotation), fn.__name__
    assert inspect.signature(synthrr.plan).return_annotation == "Plan"
    assert inspect.signature(synthrr.evaluate).return_annotation == "RunMetrics"
    assert inspect.signature(SynthesisResult.to_pandas).return_annotation == "pd.DataFrame"
    assert inspect.signature(SynthesisResult.to_hf).return_annotation == "datasets.Dataset"
    eval_keywords = set(inspect.signature(synthrr.evaluate).parameters)
    assert {*EvalSettings.__annotations__, "progress"} <= eval_keywords  # run.evaluate(**settings) passes them on
    assert {*EvalSettings.__annotations__} == {"students", "metrics", "executor", "overrides"}


def test_keywords_then_overrides_and_unknown_settings() -> None:
    cfg = synthrr.build_config(n=5, k=7, out=Path("somewhere"), overrides={"retrieval.k": 3})
    assert (cfg.synthesis.n, cfg.retrieval.k, Path(cfg.out or "")) == (5, 3, Path("somewhere"))  # overrides apply last
    with pytest.raises(UsageError, match="unknown setting"):
        synthrr.build_config(nn=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        synthrr.generate(nn=5)  # type: ignore[call-arg]


def _manifest(kept: int, targets: dict[str, int]) -> RunManifest:
    return RunManifest.from_dict({
        "status": "complete" if kept == sum(targets.values()) else "incomplete", "stop_reason": None,
        "fingerprint": "ab12cd", "task": "imdb", "method": "synthesizrr", "prompt_form": "chat", "model": {},
        "counts": {"kept": kept}, "drops": {}, "llm": {}, "executor": {}, "timings_s": {},
        "per_label": {lab: {"target": t, "kept": min(t, kept)} for lab, t in targets.items()},
        "files": {f"file{i}.parquet": {"sha256": "0" * 64, "rows": i} for i in range(40)},
    })  # fmt: skip


def test_results_print_as_one_short_line() -> None:
    run = SynthesisResult(Path("runs/imdb-synthesizrr-ab12cd"), _manifest(100, {"pos": 50, "neg": 50}))
    assert repr(run) == "SynthesisResult('runs/imdb-synthesizrr-ab12cd', kept=100/100, complete)"
    short = SynthesisResult(Path("runs/x"), _manifest(30, {"pos": 50, "neg": 50}))
    assert repr(short) == "SynthesisResult('runs/x', kept=30/100, incomplete)"
    rows = [table_row("a", None, "tfidf"), table_row("b", None, "tfidf")]
    assert repr(Comparison(rows, Path("runs/compare"))) == "Comparison('runs/compare', rows=2)"


def test_manifests_plans_and_metrics_print_short_too() -> None:
    from synthrr.llm.projection import Projection
    from synthrr.run.manifest import StudentResult
    from synthrr.run.plan import Plan
    from synthrr.stages.evaluate import RunMetrics

    assert repr(_manifest(100, {"pos": 50, "neg": 50})) == (
        "RunManifest(imdb-synthesizrr-ab12cd: complete, kept 100 of 100, 0 LLM calls, 0 cache hits)"
    )
    p = Projection(requests=40, completions=40, cached=10, to_send=30, prompt_tokens=900, completion_tokens=300, cost=0)
    plan = Plan(Path("runs/x"), {"pos": 2}, p, max_prompts=80, example=None, label="fake")
    assert repr(plan) == "Plan('runs/x', round 1: 40 requests, 10 cached, <= 1,200 tokens)"
    metrics = RunMetrics(
        format=1, run="runs/x", task="imdb", task_ref="imdb", method="fewgen", n=6, label_counts={},
        data_fingerprint="f", metrics={"distinct": {}, "self_bleu": {}}, timings_s={}, device="cpu", executor="local",
        students={"tfidf": StudentResult("tfidf", {}, 6, 8, [0, 1, 2], 0.8125, 0.0, 0.8, 0.0, [{}] * 3)},
        versions={"python": "3"}, updated="now",
    )  # fmt: skip
    assert repr(metrics) == "RunMetrics('runs/x', n=6, tfidf accuracy 81.2%, 2 metrics)"
