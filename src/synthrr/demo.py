"""``make demo``: the main job on the embedded offline default, with progress throughout.

seed set -> content sourcing (dense retrieval over movie plots) -> SynthesizRR and FewGen data
(SmolLM2-135M-Instruct through llama.cpp) -> students -> one comparison table with a Gold row.
Every stage is cached, so a second ``make demo`` replays LLM calls and reuses indexes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from synthrr.cli.retrieve import print_examples
from synthrr.config import RunConfig, parse_set_option
from synthrr.core.errors import SynthrrError
from synthrr.report.html import write_report
from synthrr.report.table import format_markdown
from synthrr.stages.compare import compare_runs
from synthrr.stages.generate import generate
from synthrr.stages.retrieve import run_retrieval, write_retrieval

if TYPE_CHECKING:
    from synthrr.core.records import SyntheticExample
    from synthrr.stages.retrieve import RetrievalResult


def _header(step: str, text: str) -> None:
    click.secho(f"\n== {step} {text}", bold=True)


def _show_examples(rows: list[SyntheticExample], passages: dict[str, str], n: int = 2) -> None:
    for label in sorted({r.label for r in rows}):
        for row in [r for r in rows if r.label == label][:n]:
            click.echo(f"  [{label}] {_short(row.text, 220)}")
            if row.passage_id is not None and row.passage_id in passages and row.rank is not None:
                click.echo(
                    f"      from passage (rank {int(row.rank)}, score {row.score:.2f}): "
                    f"{_short(passages[row.passage_id], 160)}"
                )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


#: (row key, name, higher is better) of the measures the demo's verdict names
VERDICT = (
    ("self_bleu_5", "Self-BLEU-5", False),
    ("entity_entropy", "entity entropy", True),
    ("mauve", "MAUVE", True),
    ("label_preservation", "label preservation", True),
    ("accuracy_mean", "student accuracy", True),
)


def verdict(rows: Sequence[Mapping[str, object]], ours: str = "synthesizrr", base: str = "fewgen") -> str:
    """One line: which method won each measure (ties named as such); one run, so no error bars."""
    a = next((r for r in rows if r.get("method") == ours), None)
    b = next((r for r in rows if r.get("method") == base), None)
    if a is None or b is None:
        return f"verdict: needs a {ours} and a {base} run"
    won: dict[str, list[str]] = {ours: [], base: [], "tie": []}
    for key, name, higher in VERDICT:
        x, y = a.get(key), b.get(key)
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            continue
        winner = "tie" if x == y else (ours if (x > y) == higher else base)
        won[winner].append(name)
    parts = [f"{m} won on {', '.join(v)}" for m, v in won.items() if v and m != "tie"]
    if won["tie"]:
        parts.append(f"tied on {', '.join(won['tie'])}")
    return "verdict (one draw): " + ("; ".join(parts) or "nothing to compare")


def demo_config(args: argparse.Namespace, overrides: list[tuple[str, object]]) -> RunConfig:
    """The demo's run config: the defaults, demo-sized prompts, then ``--set`` overrides."""
    return RunConfig().with_overrides(
        {
            "task": args.task,
            "corpus.name": args.corpus,
            "llm.backend": args.llm,
            "seeds.per_label": args.per_label,
            "synthesis.n": args.n,
            # demo-sized prompts: shorter passages keep prefill (the dominant cost on CPU) small
            "synthesis.context_tokens": [1, 160],
            "synthesis.demo_tokens": 80,
            "llm.sampling.max_tokens": 96,
            "eval.students": [args.student],
            "eval.seeds": 3,
            "eval.test_limit": args.test_limit,
            "out": str(args.out),
            **dict(overrides),
        }
    )


def _generate_both(base: RunConfig, result: RetrievalResult, retrieval_dir: Path) -> list[Path]:
    """Steps 2 and 3: SynthesizRR (reusing step 1's hits) and FewGen, 3-shot each, with examples shown."""
    runs: list[Path] = []
    for step, method, shots in (("2/4", "synthesizrr", 3), ("3/4", "fewgen", 3)):
        cfg = base.with_overrides(
            {"synthesis.method": method, "synthesis.shots": shots, "hits_from": str(retrieval_dir)}
        )
        _header(step, f"generate {cfg.synthesis.n} examples with {method} ({shots}-shot) via {cfg.llm.backend}")
        run = generate(cfg)
        m = run.manifest
        click.echo(f"  {run.run_dir}: kept {m.kept}/{cfg.synthesis.n}; drops {m.drops}")
        hits = {h.passage_id for h in result.hits}
        passages = {p.id: p.text for p in result.corpus.get(sorted(hits))} if method == "synthesizrr" else {}
        _show_examples(run.rows, passages)
        runs.append(run.run_dir)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthrr.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder [runs/demo]")
    parser.add_argument("--task", default="imdb")
    parser.add_argument("--corpus", default="movie_plots")
    parser.add_argument("--llm", default="llamacpp", help="LLM backend [llamacpp]")
    parser.add_argument("--n", type=int, default=100, help="synthetic examples per method [100]")
    parser.add_argument("--per-label", type=int, default=None, help="seeds per label [paper default]")
    parser.add_argument("--student", default="tfidf", help="student for the comparison: tfidf or minilm [tfidf]")
    parser.add_argument("--test-limit", type=int, default=500, help="real test examples to score students on [500]")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="run-config override, repeatable (e.g. synthesis.demo_block=1)",
    )
    args = parser.parse_args(argv)

    try:
        base = demo_config(args, [parse_set_option(item) for item in args.overrides])
    except SynthrrError as e:
        click.echo(f"error: {e}", err=True)
        return e.exit_code
    started = time.perf_counter()
    try:
        _header("1/4", f"seed set + retrieval: task={base.task} corpus={base.corpus.name} ({base.retrieval.retriever})")
        result = run_retrieval(base)
        write_retrieval(result, base, args.out / "retrieval")
        print_examples(result, 2)

        runs = _generate_both(base, result, args.out / "retrieval")

        _header("4/4", f"evaluate: metrics + {args.student} students on real test data, vs Gold")
        rows = compare_runs(runs, args.out, base, student=args.student, gold=True)
        click.echo("\n" + format_markdown(rows))
        click.secho(verdict(rows), bold=True)
        report = write_report(runs, args.out / "report.html", compare_rows=rows)
    except SynthrrError as e:
        click.echo(f"error: {e}", err=True)
        return e.exit_code
    click.secho(f"\n== done in {time.perf_counter() - started:.0f}s; table in {args.out}/compare.md", bold=True)
    click.secho(f"== report (open it in a browser): {report}", bold=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
