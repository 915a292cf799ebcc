"""How good is the label verifier? Per-label precision of the seed classifier that filters generations
(``synthesis.filters.label_consistency: seed_classifier``), measured two ways, never on a test split:

1. **Real validation texts.** The verifier of a run (fitted on that run's seed set, same features)
   labels the task's validation split, each text cut at a sentence end to the task's max new tokens
   (the length of a generation). Per label: precision (of the texts it calls L, the share that are
   L), recall, and the share of the split. Precision is what the filter buys: a generation it accepts
   for L is L that often, if generations looked like real texts.
2. **Synthetic candidates** (``--runs``: run folders of ``generate`` or ``bench/quality.py``). Each
   candidate the verifier scored is checked against the task's oracle (the label-preservation
   classifier trained on the full train split): per label, the oracle's agreement with the rows the
   verifier accepted and with those it rejected (``label_disagrees``), and the share rejected.

    .venv/bin/python -m bench.verifier --tasks imdb rotten_tomatoes bbc_news --draws 3
    .venv/bin/python -m bench.verifier --tasks imdb --runs runs/quality/imdb/draw-*/imdb-synthesizrr-*
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

TASKS = ("imdb", "rotten_tomatoes", "bbc_news")


def precision_table(truth: list[str], pred: list[str], labels: list[str]) -> dict[str, dict[str, float]]:
    """Per label: precision, recall and support share of ``pred`` against ``truth``."""
    out: dict[str, dict[str, float]] = {}
    for lab in labels:
        called = [t for t, p in zip(truth, pred, strict=True) if p == lab]
        real = [p for t, p in zip(truth, pred, strict=True) if t == lab]
        out[lab] = {
            "precision": sum(t == lab for t in called) / len(called) if called else float("nan"),
            "recall": sum(p == lab for p in real) / len(real) if real else float("nan"),
            "share": len(real) / len(truth) if truth else 0.0,
        }
    return out


def on_validation(task_name: str, draw: int, features: str) -> dict[str, dict[str, float]]:
    """Part 1 for one seed draw (seeds.seed = 42 + draw, as in bench/quality.py)."""
    from synthrr.config import RunConfig
    from synthrr.stages.seeds import draw_seed_set
    from synthrr.synth.consistency import SeedClassifierFilter
    from synthrr.synth.prompts import cut_context

    task, seeds = draw_seed_set(RunConfig().with_overrides({"task": task_name, "seeds.seed": 42 + draw}))
    val = task.load_split("validation")
    verifier = SeedClassifierFilter(seeds, features, require_agreement=True, seed=draw)
    preds = verifier.predict([cut_context(ex.text, 1, task.spec.max_new_tokens) or ex.text for ex in val])
    return precision_table([ex.label for ex in val], preds, task.spec.label_names)


def on_runs(task_name: str, runs: list[Path]) -> dict[str, dict[str, float]]:
    """Part 2: oracle agreement of accepted vs rejected candidates, per label."""
    import pandas as pd

    from synthrr.metrics.fidelity import get_oracle
    from synthrr.tasks import get_task

    task = get_task(task_name)
    oracle, _ = get_oracle(task, "tfidf")
    frames = [pd.read_parquet(r / "candidates.parquet") for r in runs if (r / "candidates.parquet").is_file()]
    if not frames:
        return {}
    d = pd.concat(frames)
    d = d[d["confidence"].notna()].copy()
    d["agree"] = [p == lab for p, lab in zip(oracle.predict(d["text"].tolist()), d["label"], strict=True)]
    out: dict[str, dict[str, float]] = {}
    for lab, g in d.groupby("label"):
        rejected = g["verdict"] == "label_disagrees"
        out[str(lab)] = {
            "scored": float(len(g)),
            "rejected_share": float(rejected.mean()),
            "oracle_agrees_accepted": float(g.loc[~rejected, "agree"].mean()) if (~rejected).any() else float("nan"),
            "oracle_agrees_rejected": float(g.loc[rejected, "agree"].mean()) if rejected.any() else float("nan"),
        }
    return out


def _pct(x: float) -> str:
    return "—" if x != x else f"{100 * x:.1f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    p.add_argument("--draws", type=int, default=3, help="seed draws (seeds.seed = 42 + d) [3]")
    p.add_argument("--features", default="tfidf+minilm", help="verifier features [tfidf+minilm]")
    p.add_argument("--runs", nargs="*", type=Path, default=[], help="run folders whose candidates to check")
    args = p.parse_args(argv)
    import statistics

    print("| task | label | verifier precision % | recall % | share of split % |")
    print("|---|---|---:|---:|---:|")
    for task in args.tasks:
        per_draw = [on_validation(task, d, args.features) for d in range(args.draws)]
        for lab in per_draw[0]:
            cells: list[str] = []
            for key in ("precision", "recall"):
                vals = [t[lab][key] for t in per_draw if t[lab][key] == t[lab][key]]
                sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
                cells.append(f"{100 * statistics.mean(vals):.1f} ± {100 * sd:.1f}" if vals else "—")
            print(f"| {task} | {lab} | {cells[0]} | {cells[1]} | {_pct(per_draw[0][lab]['share'])} |")
    if args.runs:
        print("\n| task | label | scored | rejected % | oracle agrees, accepted % | oracle agrees, rejected % |")
        print("|---|---|---:|---:|---:|---:|")
        for task in args.tasks:
            runs: list[Any] = [r for r in args.runs if r.name.startswith(f"{task}-")]
            for lab, s in on_runs(task, runs).items():
                print(
                    f"| {task} | {lab} | {int(s['scored'])} | {_pct(s['rejected_share'])} | "
                    f"{_pct(s['oracle_agrees_accepted'])} | {_pct(s['oracle_agrees_rejected'])} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
