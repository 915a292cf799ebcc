"""evaluate / compare / predict on small hand-made runs of the custom support_tickets task.

Only the text metrics, the tfidf oracle and the tfidf student run here (no MiniLM, no spaCy, no
MAUVE: those are in tests/e2e/test_evaluate_real.py), so this stays within a few seconds (plus a
local Ray instance for the student fits on Ray).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from support.evaluation import eval_settings
from synthrr.cli import cli
from synthrr.config import RunConfig
from synthrr.core.errors import InputError
from synthrr.core.records import SyntheticExample
from synthrr.report.table import format_markdown
from synthrr.run.rundir import load_run, write_generation
from synthrr.stages.compare import compare_runs
from synthrr.stages.evaluate import evaluate_run

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")
TEXT_METRICS = ["self_bleu", "distinct", "entity_entropy", "label_preservation"]
WORDS = {
    "billing": "refund invoice charge payment card billed twice subscription price",
    "technical": "crash bug error app freezes screen update broken button sync",
    "account": "password login username profile email locked close account settings",
}


def make_run(
    root: Path, name: str, n_per_label: int = 6, method: str = "fewgen", dropped: int = 2, variant: str = ""
) -> Path:
    """A run directory written by :func:`synthrr.run.rundir.write_generation`, as ``synthrr generate``
    writes it: ``n_per_label`` kept rows per label, ``dropped`` near-duplicates among the candidates
    (``variant`` is appended to the first text: other data, same shape)."""
    run = root / name
    candidates = []
    for lab, words in WORDS.items():
        w = words.split()
        for i in range(n_per_label + dropped):
            text = f"Hello, my {' '.join(w[(i + j) % len(w)] for j in range(4))} problem number {i} at Acme Corp."
            text += variant if not candidates else ""
            verdict = "kept" if i < n_per_label else "near_duplicate"
            candidates.append(
                SyntheticExample(
                    id=f"{lab}{i}", text=text, label=lab, method=method, job_id="j", prompt_hash="h", model="fake",
                    verdict=verdict,
                )
            )  # fmt: skip
    cfg = RunConfig.from_dict({"task": TASK, "llm": {"backend": "fake"}, "synthesis": {"method": method}})
    kept = [r for r in candidates if r.verdict == "kept"]
    write_generation(run, cfg, kept, candidates, {"task": "support_tickets", "method": method})
    return run


def test_load_run_keeps_only_kept_rows_and_refuses_a_torn_run(tmp_path: Path) -> None:
    run = load_run(make_run(tmp_path, "r1"))
    assert len(run.examples) == 18 and run.method == "fewgen" and run.task == TASK
    manifest = json.loads((tmp_path / "r1" / "manifest.json").read_text())
    assert manifest["files"]["data.parquet"]["rows"] == 18 and manifest["files"]["candidates.parquet"]["rows"] == 24
    # data.parquet replaced behind the manifest's back (a torn write, or an edit): refused, not read
    frame = pd.read_parquet(tmp_path / "r1" / "candidates.parquet")
    frame.to_parquet(tmp_path / "r1" / "data.parquet", index=False)
    with pytest.raises(InputError, match=r"data\.parquet: does not match manifest\.json.*rerun the same"):
        load_run(tmp_path / "r1")
    (tmp_path / "r1" / "manifest.json").unlink()
    with pytest.raises(InputError, match="incomplete run directory"):
        load_run(tmp_path / "r1")
    with pytest.raises(InputError, match=r"data\.parquet"):
        load_run(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_run(tmp_path / "nope")


def test_evaluate_run_writes_metrics_and_student(tmp_path: Path) -> None:
    run = make_run(tmp_path, "r1")
    out = evaluate_run(run, eval_settings(metrics=TEXT_METRICS, ner="heuristic"))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(out.to_dict(), default=str)) and dict(out) == out.to_dict()
    assert saved["task"] == "support_tickets" and saved["n"] == 18 and saved["method"] == "fewgen"
    assert saved["label_counts"] == {"account": 6, "billing": 6, "technical": 6}
    m = saved["metrics"]
    assert 0 < m["self_bleu"]["self_bleu_5"] < 1 and 0 < m["distinct"]["distinct_2"] <= 1
    assert m["entity_entropy"]["ner"].startswith("heuristic") and m["entity_entropy"]["per_type"]["ENTITY"] == 0.0
    assert m["label_preservation"]["accuracy"] >= 0.5 and "tfidf" in m["label_preservation"]["oracle"]
    st = saved["students"]["tfidf"]
    assert st["n_test"] == 15 and st["accuracy_mean"] > 1 / 3 and st["test_split"] == "test"
    # the saved student loads and predicts
    res = CliRunner().invoke(cli, ["predict", "--model", str(run / "students" / "tfidf"), "my refund for a charge"])
    assert res.exit_code == 0, res.output
    assert res.output.split("\t")[0] == "billing"


def test_evaluate_merges_and_resets_on_changed_data(tmp_path: Path) -> None:
    run = make_run(tmp_path, "r1")
    evaluate_run(run, eval_settings(metrics=["distinct"], student=None))
    second = evaluate_run(run, eval_settings(metrics=["self_bleu"], student="tfidf"))
    assert set(second["metrics"]) == {"distinct", "self_bleu"} and "tfidf" in second["students"]
    # an identical rerun into the same folder keeps the measurements; other data drops them
    make_run(tmp_path, "r1")
    assert (run / "metrics.json").exists()
    (run / ".data.parquet.abc.tmp").write_text("left by a killed write")
    make_run(tmp_path, "r1", variant=" and a completely different refund")
    assert not (run / "metrics.json").exists() and not (run / "students").exists()
    assert not list(run.glob(".*.tmp"))
    third = evaluate_run(run, eval_settings(metrics=["distinct"], student=None))
    assert set(third["metrics"]) == {"distinct"} and third["students"] == {}


def test_compare_runs_with_gold(tmp_path: Path) -> None:
    a = make_run(tmp_path / "runs", "a-fewgen", method="fewgen")
    b = make_run(tmp_path / "runs", "b-zerogen", n_per_label=6, method="zerogen")
    evaluate_run(a, eval_settings(metrics=TEXT_METRICS, ner="heuristic"))
    # b has no metrics.json: compare evaluates it (all metrics would need MiniLM, so pre-evaluate text ones)
    evaluate_run(b, eval_settings(metrics=TEXT_METRICS, ner="heuristic", student=None))
    rows = compare_runs([a, b], tmp_path / "cmp", eval_settings(ner="heuristic"))
    assert [r["name"] for r in rows] == ["Gold", "a-fewgen", "b-zerogen"]
    gold = rows[0]
    assert gold["method"] == "gold" and gold["n"] == 18 and gold["mauve"] is None
    assert gold["self_bleu_5"] is not None and gold["accuracy_mean"] is not None
    assert gold["within_cosine"] is None  # the runs have no cosine, so Gold does not compute it
    assert all(r["accuracy_mean"] is not None for r in rows)  # b was given its student scores
    assert rows[1]["n_test"] == rows[0]["n_test"] == 15
    for f in ("compare.md", "compare.csv", "compare.json"):
        assert (tmp_path / "cmp" / f).is_file()
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| Gold | gold | 18 |" in md and "Self-BLEU-5" in md and "heuristic" in md
    csv = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert csv["name"].tolist() == ["Gold", "a-fewgen", "b-zerogen"]
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert data["student"] == "tfidf" and len(data["rows"]) == 3
    # gold is cached: a second compare does not refit it and gives the same row
    again = compare_runs([a, b], tmp_path / "cmp2", eval_settings(ner="heuristic"))
    assert again[0] == rows[0]


def test_format_markdown_blanks() -> None:
    md = format_markdown([{"name": "x", "method": "m", "n": 3, "accuracy_mean": 0.5, "accuracy_std": 0.01}])
    assert "| x | m | 3 | — |" in md and "50.0 ± 1.0" in md


def test_cli_evaluate_compare_predict(tmp_path: Path) -> None:
    a = make_run(tmp_path / "runs", "a")
    runner = CliRunner()
    res = runner.invoke(
        cli, ["evaluate", str(a), "--metrics", "self_bleu,distinct", "--ner", "heuristic", "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert "metrics.json" in res.output and "| a | fewgen | 18 |" in res.output
    res = runner.invoke(cli, ["compare", str(a), "--out", str(tmp_path / "c"), "--ner", "heuristic", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("| run |") and "| Gold |" in res.output
    # predict on a file: txt and CSV; --out writes a table
    model = a / "students" / "tfidf"
    (tmp_path / "in.txt").write_text("refund my invoice\n\nthe app crashes\n")
    res = runner.invoke(cli, ["predict", "--model", str(model), "--file", str(tmp_path / "in.txt")])
    assert res.exit_code == 0 and [ln.split("\t")[0] for ln in res.output.splitlines()] == ["billing", "technical"]
    pd.DataFrame({"id": ["1", "2"], "body": ["forgot my password login", "charge twice"]}).to_csv(
        tmp_path / "in.csv", index=False
    )
    out = tmp_path / "pred.jsonl"
    args = ["predict", "--model", str(model), "--file", str(tmp_path / "in.csv"), "--text-column", "body"]
    res = runner.invoke(cli, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    preds = pd.read_json(out, lines=True, dtype={"id": str})
    assert preds["label"].tolist() == ["account", "billing"] and preds["id"].tolist() == ["1", "2"]
    assert preds["probability"].between(0, 1).all()


def test_cli_evaluate_and_compare_read_the_eval_section_then_flags_then_set(tmp_path: Path) -> None:
    a = make_run(tmp_path / "runs", "a")
    conf = tmp_path / "eval.yaml"
    conf.write_text(
        "eval:\n  metrics: [distinct]\n  ner: heuristic\n  test_limit: 6\n  seeds: 2\n  save_student: false\n"
    )
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", str(a), "--config", str(conf), "--seeds", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    saved = json.loads((a / "metrics.json").read_text())
    assert set(saved["metrics"]) == {"distinct"}  # the config's metric list
    st = saved["students"]["tfidf"]
    assert st["test_limit"] == 6 and st["n_test"] == 6  # the config's test set
    assert not (a / "students").exists()  # save_student: false from the config
    res = runner.invoke(
        cli, ["evaluate", str(a), "--config", str(conf), "--set", "eval.metrics=[self_bleu]", "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    assert set(json.loads((a / "metrics.json").read_text())["metrics"]) == {"distinct", "self_bleu"}  # --set wins
    b = make_run(tmp_path / "runs", "b")
    res = runner.invoke(cli, ["compare", str(b), "--out", str(tmp_path / "c"), "--config", str(conf), "--no-progress"])
    assert res.exit_code == 0, res.output
    ev = json.loads((b / "metrics.json").read_text())  # evaluated by compare with the config's settings
    assert set(ev["metrics"]) == {"distinct"} and ev["students"]["tfidf"]["n_test"] == 6
    assert "| Gold | gold | 18 |" in res.output
    res = runner.invoke(cli, ["compare", str(b), "--set", "eval.seeds=0"])
    assert res.exit_code == 2 and "eval.seeds" in res.output


def test_metrics_all_resets_the_config_list_and_set_still_wins(tmp_path: Path) -> None:
    from synthrr.cli.evaluate import eval_run_config

    conf = tmp_path / "eval.yaml"
    conf.write_text("eval:\n  metrics: [distinct]\n")
    assert eval_run_config(conf, (), {}, ()).eval.metrics == ["distinct"]
    assert eval_run_config(conf, (), {}, (), all_metrics=True).eval.metrics is None
    picked = eval_run_config(conf, ("eval.metrics=[mauve]",), {}, (), all_metrics=True)
    assert picked.eval.metrics == ["mauve"]
    opts = eval_run_config(None, (), {"students": ["minilm"], "epochs": 2.0}, ("C=4",))
    assert opts.eval.student_options == {"epochs": 2.0, "C": 4}
    assert opts.eval.options_for("minilm") == {"epochs": 2.0, "C": 4, "device": "auto"}  # as it runs
    assert opts.eval.options_for("tfidf") == {"epochs": 2.0, "C": 4}  # no device for a student without one


def test_eval_device_moves_the_minilm_student_from_python_as_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``eval.device`` reaches the minilm student's options whether the settings come from the CLI
    (``--device cpu``) or from ``synthrr.evaluate(..., overrides={"eval.device": "cpu"})``; a device
    the student options name themselves wins."""
    import synthrr
    import synthrr.stages.evaluate as evaluate_stage
    from synthrr.run.manifest import StudentScore

    seen: list[dict[str, Any] | None] = []

    def fake_distill(student: str, train: Any, test: Any, *, options: dict[str, Any] | None = None, **kw: Any) -> Any:
        seen.append(options)
        return StudentScore(student, dict(options or {}), len(train), len(test), [0], 0.5, 0.0, 0.5, 0.0)

    monkeypatch.setattr(evaluate_stage, "distill", fake_distill)
    run = make_run(tmp_path / "runs", "a")
    settings = {"eval.device": "cpu", "eval.save_student": False}
    scores = synthrr.evaluate(run, students=["minilm"], metrics=[], overrides=settings, progress=False)
    assert seen == [{"device": "cpu"}] and scores.students["minilm"].options == {"device": "cpu"}
    res = CliRunner().invoke(cli, ["evaluate", str(run), "--student", "minilm", "--metrics", "none", "--device", "cpu",
                                   "--no-save-student", "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert seen[1] == seen[0]
    synthrr.evaluate(run, students=["minilm"], metrics=[], overrides={"eval.device": "cpu",
                     "eval.student_options": {"device": "cuda"}}, progress=False)  # fmt: skip
    assert seen[2] == {"device": "cuda"}
    synthrr.evaluate(run, students=["tfidf"], metrics=[], overrides={"eval.device": "cpu"}, progress=False)
    assert seen[3] is None  # only minilm takes a device
    synthrr.evaluate(run, students=["minilm", "tfidf"], metrics=[], overrides={"eval.device": "cpu"}, progress=False)
    assert seen[4:] == [{"device": "cpu"}, None]  # both students in one run: the device still only to minilm


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "run directory not found" in res.output
    res = runner.invoke(cli, ["predict", "--model", str(tmp_path), "hello"])
    assert res.exit_code == 2 and "student.json" in res.output
    a = make_run(tmp_path / "runs", "a")
    res = runner.invoke(cli, ["evaluate", str(a), "--metrics", "nope"])
    assert res.exit_code == 2 and "unknown metric 'nope'" in res.output
    res = runner.invoke(cli, ["evaluate", str(a), "--epochs", "2", "--metrics", "none"])
    assert res.exit_code == 2 and "minilm" in res.output
    res = runner.invoke(cli, ["evaluate", str(a), "--student-opt", "bogus=1", "--metrics", "none"])
    assert res.exit_code == 2 and "student.bogus" in res.output


@pytest.mark.ray
def test_student_fits_on_ray_score_like_local(tmp_path: Path) -> None:
    """``evaluate --executor ray`` fits every (student, seed) as a Ray task: the same scores and the
    same saved student as the in-process fits, from other processes."""
    ray = pytest.importorskip("ray")
    from synthrr.config import RayConfig
    from synthrr.executors.fit import LocalFitPool, RayFitPool
    from synthrr.students import load_student
    from synthrr.students.distill import FitData, FitJob

    run = make_run(tmp_path / "runs", "a")
    here = f"{socket.gethostname()}:{os.getpid()}"
    probe = ["refund my invoice please", "the app crashes on start", "cannot log in to my account"]
    local = evaluate_run(run, eval_settings(metrics=[]))["students"]["tfidf"]
    local_pred = load_student(run / "students" / "tfidf").predict(probe)
    assert [r["worker"] for r in local["runs"]] == [here]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = CliRunner().invoke(cli, ["evaluate", str(run), "--metrics", "none", "--executor", "ray", "--no-progress"])
        assert res.exit_code == 0, res.output
        saved = json.loads((run / "metrics.json").read_text())
        remote = saved["students"]["tfidf"]
        assert saved["executor"] == "ray"
        for key in ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std", "n_train", "n_test", "seeds"):
            assert remote[key] == local[key], key
        assert [(r["seed"], r["accuracy"], r["macro_f1"]) for r in remote["runs"]] == [
            (r["seed"], r["accuracy"], r["macro_f1"]) for r in local["runs"]
        ]
        assert all(r["worker"] != here for r in remote["runs"])  # fitted in a Ray worker process
        assert load_student(run / "students" / "tfidf").predict(probe) == local_pred  # the model came back

        # one task per (student, seed), results in job order; only the kept job ships its model back
        examples = load_run(run).examples
        texts, labels = [e.text for e in examples], [e.label for e in examples]
        data = FitData(texts, labels, sorted(set(labels)), texts, labels)
        jobs = [FitJob("tfidf", {"C": c}, seed, keep_model=seed == 2) for seed, c in ((0, 0.01), (1, 1.0), (2, 4.0))]
        with RayFitPool(RayConfig(cpus_per_actor=1)) as pool:
            on_ray = pool.map(data, jobs)
        in_process = LocalFitPool().map(data, jobs)
        assert [(r["seed"], r["accuracy"], r["macro_f1"]) for r, _ in on_ray] == [
            (r["seed"], r["accuracy"], r["macro_f1"]) for r, _ in in_process
        ]
        assert [m is None for _, m in on_ray] == [True, True, False]
        assert ray.is_initialized()  # joined the running instance, so it left it running
    finally:
        ray.shutdown()


def test_readers_return_the_records_the_writers_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_run`` gives the run's :class:`RunManifest`, ``read_metrics`` the :class:`RunMetrics`
    ``evaluate`` wrote and a cached Gold evaluation its :class:`GoldEvaluation`; written again,
    each gives the same bytes as the file it was read from."""
    from synthrr.core.io import write_json
    from synthrr.run.manifest import GoldEvaluation, RunManifest, RunMetrics, StudentResult
    from synthrr.run.rundir import read_metrics
    from synthrr.stages.compare import gold_evaluation
    from synthrr.tasks import get_task

    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    run = make_run(tmp_path / "runs", "a")
    data = load_run(run)
    assert isinstance(data.manifest, RunManifest) and data.manifest.method == "fewgen"
    assert read_metrics(run) is None
    written = evaluate_run(run, eval_settings(metrics=["distinct"]))
    back = read_metrics(run)
    assert isinstance(back, RunMetrics) and isinstance(back.students["tfidf"], StudentResult) and back == written
    write_json(tmp_path / "again.json", back.to_dict())
    assert (tmp_path / "again.json").read_bytes() == (run / "metrics.json").read_bytes()

    ec = eval_settings(seeds=1).eval
    gold = gold_evaluation(get_task(TASK), 9, ec, metrics=())
    cached = gold_evaluation(get_task(TASK), 9, ec, metrics=())
    assert isinstance(cached, GoldEvaluation) and cached == gold and cached.students["tfidf"].n_train == 9
    (file,) = (tmp_path / "home" / "gold").iterdir()
    write_json(tmp_path / "gold.json", cached.to_dict())
    assert (tmp_path / "gold.json").read_bytes() == file.read_bytes()
