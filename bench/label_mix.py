"""The label mix of the synthetic set: ``balanced`` vs the train split's mix vs a prior-corrected student.

For each task and draw, two real SynthesizRR-3 runs of ``bench/quality.py``'s protocol (same seeds,
prompts and sampling; the LLM cache shares every prompt the two have in common):

  balanced          ``synthesis.label_distribution: balanced`` (N/L examples per label)
  train             ``synthesis.label_distribution: train`` (N in the train split's proportions)
  balanced + prior  the balanced run's student, its class probabilities multiplied by the train
                    split's label shares (a prior correction: the synthetic prior is uniform)

Each student is scored on the evaluation split (default: validation, never test) twice: as it is,
and reweighted to the train split's label mix (each example weighted by train share / split share
of its label), i.e. the expected scores on a split that follows the train mix. The second matters
where the evaluation split was balanced by construction while the train split is not (the
8-label custom task ``tests/data/tasks/newsgroups8.yaml``); on a split cut at random from one file
(``synthrr tasks new --from``, bbc_news) the two agree.

    .venv/bin/python -m bench.label_mix --tasks bbc_news tests/data/tasks/newsgroups8.yaml --draws 2 \\
        --md docs/bench-label-mix.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench import quality_options  # the quality benchmark's protocol
from bench.table import emit, heading
from synthrr.core.log import progress_switch

OPTIONS = ("balanced", "train", "balanced + prior")


def scores(y_true: list[str], y_pred: list[str], labels: list[str], weights: list[float] | None) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred, sample_weight=weights)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", sample_weight=weights, zero_division=0)
        ),
    }


def shares(labels: list[str], names: list[str]) -> np.ndarray:
    counts = Counter(labels)
    v = np.array([counts.get(n, 0) for n in names], dtype=float)
    out: np.ndarray = v / v.sum()
    return out


def student_proba(student: str, rows: list[Any], test_texts: list[str], names: list[str], seed: int) -> np.ndarray:
    """Fit ``student`` on the synthetic ``rows``; class probabilities of ``test_texts``, columns in ``names`` order."""
    from synthrr.students.base import get_student

    model = get_student(student)
    model.fit([r.text for r in rows], [r.label for r in rows], label_names=names, seed=seed)
    proba = model.predict_proba(test_texts)
    return proba[:, [model.labels.index(n) for n in names]]


def predictions(proba: np.ndarray, names: list[str], prior: np.ndarray | None, rows: list[Any]) -> list[str]:
    """The likeliest label, after multiplying by ``prior`` over the rows' own label shares if given."""
    if prior is not None:
        proba = proba * prior[None, :] / np.maximum(shares([r.label for r in rows], names), 1e-9)[None, :]
    return [names[i] for i in proba.argmax(axis=1)]


def run_draw(args: argparse.Namespace, task: str, draw: int) -> dict[str, Any]:
    """One draw of one task: {option: {student/scoring: {accuracy, macro_f1}}} plus run facts."""
    from synthrr.stages.evaluate import real_test_examples
    from synthrr.stages.generate import generate
    from synthrr.tasks import get_task

    argv = ["--tasks", task, "--n", str(args.n), "--llm", args.llm, "--quiet"]
    qargs = quality_options.resolve(quality_options.build_parser().parse_args(argv))
    out = args.out / quality_options.task_key(task) / f"draw-{draw}"
    base = quality_options.base_config(qargs, task, out, draw).with_overrides(
        {"synthesis.method": "synthesizrr", "synthesis.shots": 3, "eval.students": []}
    )
    spec = get_task(task)
    names = list(spec.spec.label_names)
    train_prior = shares([e.label for e in spec.load_split("train")], names)
    test = real_test_examples(spec, args.eval_split, args.test_limit, seed=draw)
    texts, truth = [e.text for e in test], [e.label for e in test]
    split_prior = shares(truth, names)
    reweight = [float(train_prior[names.index(y)] / split_prior[names.index(y)]) for y in truth]
    runs: dict[str, list[Any]] = {}
    facts: dict[str, Any] = {}
    for dist in ("balanced", "train"):
        t0 = time.perf_counter()
        with progress_switch(not args.quiet):
            result = generate(base.with_overrides({"synthesis.label_distribution": dist}))
        runs[dist] = result.rows
        counts = Counter(r.label for r in result.rows)
        facts[dist] = {
            "kept": len(result.rows),
            "per_label": [counts.get(n, 0) for n in names],
            "prompts": int(result.manifest.counts.get("prompts", 0)),
            "gen_s": round(time.perf_counter() - t0, 1),
        }
    out_scores: dict[str, dict[str, dict[str, float]]] = {}
    for student in args.student:  # one fit per run: the prior option reuses the balanced run's student
        proba = {dist: student_proba(student, rows, texts, names, seed=draw) for dist, rows in runs.items()}
        for option in OPTIONS:
            dist = "train" if option == "train" else "balanced"
            prior = train_prior if option.endswith("prior") else None
            pred = predictions(proba[dist], names, prior, runs[dist])
            out_scores.setdefault(option, {})[f"{student} as is"] = scores(truth, pred, names, None)
            out_scores[option][f"{student} train mix"] = scores(truth, pred, names, reweight)
    print(f"{task} draw {draw}: {facts}", file=sys.stderr, flush=True)
    return {**out_scores, "runs": facts}


def table(results: dict[str, list[dict[str, Any]]], students: list[str]) -> list[str]:
    lines = [
        "| task | label mix | student | scored | accuracy % | macro-F1 % |",
        "|---|---|---|---|---:|---:|",
    ]
    for task, draws in results.items():
        if not draws:
            continue
        lines.append(f"| {task} ({len(draws)} draw{'s' if len(draws) > 1 else ''}) | | | | | |")
        for option in OPTIONS:
            for student in students:
                for scoring in ("as is", "train mix"):
                    key = f"{student} {scoring}"
                    cells = []
                    for metric in ("accuracy", "macro_f1"):
                        xs = [100 * d[option][key][metric] for d in draws]
                        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
                        cells.append(f"{statistics.mean(xs):.1f} ± {sd:.1f}")
                    lines.append(f"| {task} | {option} | {student} | {scoring} | {cells[0]} | {cells[1]} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["bbc_news", "tests/data/tasks/newsgroups8.yaml"])
    p.add_argument("--draws", type=int, default=2)
    p.add_argument("--first-draw", type=int, default=0)
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--student", nargs="+", default=["tfidf", "minilm"])
    p.add_argument("--llm", default="llamacpp", help="backend (fake: a plumbing check) [llamacpp]")
    p.add_argument("--eval-split", default="validation")
    p.add_argument("--test-limit", type=int, default=1000)
    p.add_argument("--out", type=Path, default=Path("runs/label-mix"))
    p.add_argument("--md", type=Path, default=None, help="also write the table as Markdown here")
    p.add_argument("--report-only", action="store_true", help="tabulate the draws saved under --out, run nothing")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    if not args.report_only:  # draws outer, tasks inner: a stopped run still covers every task
        for d in range(args.first_draw, args.first_draw + args.draws):
            for t in args.tasks:
                saved = args.out / quality_options.task_key(t) / f"draw-{d}.json"
                if not saved.exists():
                    result = run_draw(args, t, d)
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    saved.write_text(json.dumps(result, indent=1), encoding="utf-8")
    results = {
        quality_options.task_key(t): [
            json.loads(f.read_text()) for f in sorted((args.out / quality_options.task_key(t)).glob("draw-*.json"))
        ]
        for t in args.tasks
    }
    lines = [heading("label_mix"), "", *table(results, args.student)]
    emit("\n".join(lines) + "\n", args.md, blank_line=True)


if __name__ == "__main__":
    main()
