"""evaluate and compare end to end on a small real run: the real rotten_tomatoes task, a run made by
``synthrr.stages.generate.generate`` (fewgen, real filters), the packaged MiniLM, spaCy (when installed),
mauve-text and the real oracle. The LLM is the fake backend answering with real validation reviews
of the requested sentiment, so the texts are realistic and labels are faithful."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.evaluation import eval_settings
from synthrr.cli import cli
from synthrr.config import RunConfig
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.base import LLMRequest
from synthrr.llm.cache.store import LLMCache
from synthrr.llm.client import LLMClient
from synthrr.stages.compare import compare_runs
from synthrr.stages.evaluate import evaluate_run
from synthrr.stages.generate import generate
from synthrr.tasks import get_task

pytestmark = pytest.mark.e2e
N = 40


def _responder():  # type: ignore[no-untyped-def]
    task = get_task("rotten_tomatoes")
    pools = {
        lab: itertools.cycle([e.text for e in task.load_split("validation") if e.label == lab])
        for lab in task.spec.label_names
    }

    def respond(request: LLMRequest, sample: int) -> str:
        text = "\n".join(m.get("content", "") for m in request.messages or []) or request.text or ""
        pos, neg = text.rfind("positive movie review"), text.rfind("negative movie review")
        label = "positive" if pos > neg else "negative"
        return f"{task.spec.answer_prefix} {next(pools[label])}"

    return respond


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("eval_real")
    cfg = RunConfig.from_dict(
        {
            "task": "rotten_tomatoes",
            "seeds": {"per_label": 10},
            "llm": {"backend": "fake"},
            "synthesis": {"method": "fewgen", "n": N, "shots": 2},
            "out": str(tmp / "runs"),
        }
    )
    client = LLMClient(FakeLLM(respond=_responder()), LLMCache(tmp / "cache.sqlite"))
    result = generate(cfg, client=client)
    assert len(result.rows) == N
    return result.run_dir


def test_evaluate_all_metrics_on_a_real_run(real_run: Path) -> None:
    out = evaluate_run(real_run, eval_settings(student="tfidf", seeds=3, test_limit=300, device="cpu"))
    m = out["metrics"]
    assert not [k for k, v in m.items() if "error" in v], m
    assert 0 < m["self_bleu"]["self_bleu_5"] < m["self_bleu"]["self_bleu_1"] < 1
    assert 0.5 < m["distinct"]["distinct_1"] < m["distinct"]["distinct_2"] <= 1
    ee = m["entity_entropy"]
    assert ee["overall"] > 0 and ee["n_mentions"] > 0 and ee["ner"]
    cos = m["cosine"]
    assert set(cos["matrix"]) == {"negative", "positive"} and 0 < cos["within"] < 0.6 and "MiniLM" in cos["featurizer"]
    mv = m["mauve"]
    assert 0 < mv["mauve"] <= 1 and mv["scaling_factor"] == 1.0 and mv["n_p"] == mv["n_q"] == N
    assert mv["num_buckets"] == 4 and "MiniLM" in mv["featurizer"]
    lp = m["label_preservation"]
    assert lp["accuracy"] > 0.6  # real reviews of the intended sentiment
    st = out["students"]["tfidf"]
    assert st["n_test"] == 300 and st["accuracy_mean"] > 0.5 and st["accuracy_std"] == 0.0
    assert (real_run / "students" / "tfidf" / "model.joblib").is_file()
    assert json.loads((real_run / "metrics.json").read_text())["n"] == N


def test_compare_real_run_with_gold_and_cli(real_run: Path, tmp_path: Path) -> None:
    rows = compare_runs([real_run], tmp_path / "cmp", eval_settings(device="cpu", test_limit=300))
    gold, run = rows
    assert gold["name"] == "Gold" and gold["n"] == N and gold["n_test"] == run["n_test"] == 300
    assert gold["within_cosine"] is not None and gold["mauve"] is None and gold["label_preservation"] is None
    assert run["mauve"] is not None and run["label_preservation"] is not None
    res = CliRunner().invoke(cli, ["compare", str(real_run), "--out", str(tmp_path / "cli"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "| Gold | gold | 40 |" in res.output and f"| {real_run.name} | fewgen | 40 |" in res.output
    md = (tmp_path / "cli" / "compare.md").read_text()
    assert "MAUVE: scaling factor 1.0" in md and "NER" in md
