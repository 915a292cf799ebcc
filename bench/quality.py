"""Quality benchmark: SynthesizRR vs FewGen vs ZeroGen vs Gold on imdb, rotten_tomatoes, bbc_news.

For each task, with one LLM and one student, six rows at the same N, sampling and filters:

=================  ===========================================================================
Gold               the student trained on N real train examples (compare_runs' Gold row)
FewGen-0           ``fewgen``, 0 shots (label-conditioned instruction only)
FewGen-32          ``fewgen``, 32 random same-label seed demonstrations
ZeroGen            ``zerogen``
SynthesizRR-0      ``synthesizrr``, 0-shot (retrieved passage only)
SynthesizRR-3      ``synthesizrr``, 3-shot RetrICL
=================  ===========================================================================

Each synthetic row is one :func:`synthrr.stages.generate.generate` call (run folders under
``--out/<task>/``); :func:`synthrr.stages.compare.compare_runs` (``gold=True``) then writes
``compare.md/.csv/.json`` into that task folder, and the whole benchmark is summarised in
``--results`` (default ``docs/results.md``) with the command line, versions, model identity, date
and wall times.

Corpora (``--corpus TASK=NAME`` overrides): imdb and rotten_tomatoes -> ``movie_plots``;
bbc_news -> ``wiki`` (the news-like ``headlines`` corpus tied with it on validation, see
docs/validation.md); a custom task (``--tasks path/to/task.yaml``, keyed by the file's stem) -> ``wiki``.
``--gold-full MAX`` adds the paper's Gold: the student on a label-balanced sample of up to MAX
examples of the whole train split.

Default N = 40 per row. Measured on 2 shared CPU cores with the default SmolLM2-135M llama.cpp model
(max_tokens 96; prefill of long prompts dominates), seconds per prompt:

==============  =====  ========  ===============
row             imdb   bbc_news  rotten_tomatoes
==============  =====  ========  ===============
FewGen-0        0.5    0.7       ~0.5
FewGen-32       ~11    13.5      ~4   (3.6k prompt tokens on bbc_news; short seeds on rotten_tomatoes)
ZeroGen         0.5    0.7       ~0.5
SynthesizRR-0   1.0    1.2       ~1
SynthesizRR-3   3.1    3.2       ~2.5 (RetrICL, ~1k prompt tokens)
==============  =====  ========  ===============

(These per-prompt costs predate demonstration blocks: with ``synthesis.demo_block: 8``, the default
now, FewGen-32 runs 3.5-4.6x and SynthesizRR-3 ~1.9x faster; see docs/bench-prefix.md.)

Reaching N kept examples after the filters and the label-consistency cut (keep 83 %) takes
~1.5-1.8 N prompts (1.8 measured at N=10). So one N costs ~1.6 x (16 + 19 + 8.5) s ~ 70 s over the
three tasks: N=40 -> ~47 min of generation, plus ~2-3 min of evaluation per task and one-off dense
index builds (movie_plots, wiki) -> ~60 min on quiet cores; N=60 -> ~85 min, which leaves no room
for other load on a shared machine (other jobs on the same two cores doubled the FewGen-32 cost to
22-25 s per imdb prompt). FewGen-32 is about half of the total.

The llama.cpp context defaults to 6144 tokens here (``--llm-opt n_ctx=...`` overrides) so that
32 demonstrations of up to 80 words fit.

``--draws K``: each task K times, draw d moving the seed set's, the demonstrations', the sampling
and the students' seeds, and Gold's real sample, by d (run folders ``<out>/<task>/draw-<d>``); the
tables then show mean ± std over draws, the targets a paired comparison (mean ± std of the per-draw
difference, draws won), and every draw's rows go to ``<results>.json`` for ``bench/paired.py``.
``--rows FewGen-3`` adds the demo's 3-shot FewGen.

``--quick``: a smoke run (N=4, max_tokens 24, 4 seeds per label, BM25 retrieval so no dense index
is built, TF-IDF student with one seed, 50 test examples, only the cheap intrinsic metrics,
first task only unless ``--tasks`` is given). Its results go to ``--results`` if given, else to
``<out>/results.md``; quick mode never writes ``docs/results.md`` unless asked to explicitly.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from protocol import (  # noqa: F401 - re-exported for the tests
    ANALYSIS_BEGIN,
    ANALYSIS_END,
    COLUMNS,
    aggregate,
    check_targets,
    format_table,
    kept_analysis,
)

TASKS = ("imdb", "rotten_tomatoes", "bbc_news")
DEFAULT_CORPUS = {"imdb": "movie_plots", "rotten_tomatoes": "movie_plots", "bbc_news": "wiki"}
#: (row name, synthesis.method, synthesis.shots)
ROWS = (
    ("FewGen-0", "fewgen", 0),
    ("FewGen-3", "fewgen", 3),
    ("FewGen-32", "fewgen", 32),
    ("ZeroGen", "zerogen", 0),
    ("SynthesizRR-0", "synthesizrr", 0),
    ("SynthesizRR-3", "synthesizrr", 3),
)
ROW_NAMES = ("Gold", "Gold-full", *(name for name, _, _ in ROWS))
DEFAULT_ROWS = ("FewGen-0", "FewGen-32", "ZeroGen", "SynthesizRR-0", "SynthesizRR-3")  # FewGen-3: on request
QUICK_METRICS = ("self_bleu", "distinct")


def _mapping(items: list[str], what: str) -> dict[str, Any]:
    from synthrr.config import parse_set_option

    out: dict[str, Any] = {}
    for item in items:
        key, value = parse_set_option(item)
        if what == "corpus":
            value = str(value)
        out[key] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/quality.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--tasks",
        nargs="+",
        default=None,
        help="built-in task names or custom task YAML paths (corpus: wiki unless --corpus says) "
        "[the three built-ins; quick: rotten_tomatoes]",
    )
    p.add_argument(
        "--corpus",
        action="append",
        default=[],
        metavar="TASK=NAME",
        help="corpus per task, repeatable [imdb=movie_plots rotten_tomatoes=movie_plots bbc_news=wiki]",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="run-config override for every row, repeatable (e.g. llm.sampling.seed=1 for another draw)",
    )
    p.add_argument("--llm", default="llamacpp", help="LLM backend [llamacpp]")
    p.add_argument("--llm-opt", action="append", default=[], metavar="KEY=VALUE", help="llm.options entry, repeatable")
    p.add_argument("--max-tokens", type=int, default=None, help="max new tokens per completion [96; quick 24]")
    p.add_argument("--n", type=int, default=None, help="synthetic examples per row (and Gold's N) [40; quick 4]")
    p.add_argument("--per-label", type=int, default=None, help="seeds per label [paper default; quick 4]")
    p.add_argument("--retriever", default=None, help="retriever for SynthesizRR rows [dense; quick bm25]")
    p.add_argument("--student", choices=("tfidf", "minilm"), default=None, help="student [tfidf]")
    p.add_argument("--seeds", type=int, default=None, help="student fits per row [3; quick 1]")
    p.add_argument("--test-limit", type=int, default=None, help="real test examples scored [1000; quick 50]")
    p.add_argument(
        "--rows",
        nargs="+",
        choices=[n for n, _, _ in ROWS],
        default=None,
        help=f"synthetic rows to run [{' '.join(DEFAULT_ROWS)}]",
    )
    p.add_argument(
        "--draws",
        type=int,
        default=1,
        help="draws per task (seed set, demonstrations and sampling seeds moved by the draw); tables show "
        "mean ± std over draws and a paired comparison [1]",
    )
    p.add_argument(
        "--eval-split",
        default="test",
        help="real split students and MAUVE are scored on [test]; tune on 'validation', report on 'test'",
    )
    p.add_argument("--metrics", default=None, help="comma-separated intrinsic metrics [all; quick self_bleu,distinct]")
    p.add_argument("--out", type=Path, default=None, help="runs folder [runs/quality; quick runs/quality-quick]")
    p.add_argument("--results", type=Path, default=None, help="results file [docs/results.md; quick <out>/results.md]")
    p.add_argument(
        "--gold-full",
        type=int,
        default=0,
        metavar="MAX",
        help="add Gold-full: the student on the whole train split, or MAX examples of it if smaller [0: off]",
    )
    p.add_argument("--quick", action="store_true", help="tiny smoke run (see above)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    q = args.quick

    def pick(value: Any, full: Any, quick: Any) -> Any:
        return value if value is not None else (quick if q else full)

    args.tasks = args.tasks or ([TASKS[1]] if q else list(TASKS))
    args.rows = args.rows or list(DEFAULT_ROWS)
    args.n = pick(args.n, 40, 4)
    args.max_tokens = pick(args.max_tokens, 96, 24)
    args.per_label = pick(args.per_label, None, 4)
    args.retriever = pick(args.retriever, "dense", "bm25")
    args.student = pick(args.student, "tfidf", "tfidf")
    args.seeds = pick(args.seeds, 3, 1)
    args.test_limit = pick(args.test_limit, 1000, 50)
    if args.metrics is not None:
        args.metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    elif q:
        args.metrics = list(QUICK_METRICS)
    args.out = pick(args.out, Path("runs/quality"), Path("runs/quality-quick"))
    args.results = pick(args.results, Path("docs/results.md"), args.out / "results.md")
    for t in args.tasks:
        if t not in TASKS and not Path(t).is_file():
            raise SystemExit(f"--tasks: '{t}' is neither a built-in task ({', '.join(TASKS)}) nor a task file")
    corpora = {task_key(t): DEFAULT_CORPUS.get(t, "wiki") for t in args.tasks}
    given = _mapping(args.corpus, "corpus")
    unknown = sorted(set(given) - set(corpora))
    if unknown:
        raise SystemExit(f"--corpus: unknown task(s) {', '.join(unknown)}")
    corpora.update(given)
    args.corpora = corpora
    args.llm_options = _mapping(args.llm_opt, "llm")
    if args.llm == "llamacpp":
        args.llm_options.setdefault("n_ctx", 6144)  # room for 32 demonstrations
    return args


def task_key(task: str) -> str:
    """A task's short name: the built-in name, or a task file's stem (folders, --corpus keys)."""
    return task if task in TASKS else Path(task).stem


def base_config(args: argparse.Namespace, task: str, out: Path, draw: int = 0) -> Any:
    """The run config every row of ``task`` shares; draw ``d`` moves the seed set's, the
    demonstrations' and the sampling seeds by ``d`` (``--set`` still wins)."""
    from synthrr.config import RunConfig

    return RunConfig().with_overrides(
        {
            "task": task,
            "corpus.name": args.corpora[task_key(task)],
            "retrieval.retriever": args.retriever,
            "llm.backend": args.llm,
            "llm.options": args.llm_options,
            "llm.sampling.max_tokens": args.max_tokens,
            "seeds.per_label": args.per_label,
            "synthesis.n": args.n,
            # the demo's prompt sizes: shorter passages/demonstrations keep prefill (the CPU cost) small
            "synthesis.context_tokens": [1, 160],
            "synthesis.demo_tokens": 80,
            "out": str(out),
            "seeds.seed": 42 + draw,
            "synthesis.seed": draw,
            "llm.sampling.seed": draw,
            # student seeds (and Gold's real sample) move with the draw too
            "eval.metrics": args.metrics,
            "eval.students": [args.student],
            "eval.seeds": args.seeds,
            "eval.test_limit": args.test_limit,
            "eval.test_split": args.eval_split,
            "eval.seed": draw,
            **_mapping(args.overrides, "set"),
        }
    )


def _log(args: argparse.Namespace, msg: str) -> None:
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def run_task(args: argparse.Namespace, task: str, draw: int = 0) -> dict[str, Any]:
    """Generate the synthetic rows, evaluate them, compare with Gold; one draw's summary of the task."""
    from synthrr.errors import SynthrrError
    from synthrr.stages.compare import compare_runs
    from synthrr.stages.evaluate import evaluate_run
    from synthrr.stages.generate import generate

    started = time.perf_counter()
    key = task_key(task)
    out = args.out / key if args.draws == 1 else args.out / key / f"draw-{draw}"
    base = base_config(args, task, out, draw)
    progress = not args.quiet
    runs: dict[str, Path] = {}
    info: dict[str, dict[str, Any]] = {}
    model: dict[str, Any] | None = None
    for name, method, shots in ROWS:
        if name not in args.rows:
            continue
        cfg = base.with_overrides({"synthesis.method": method, "synthesis.shots": shots})
        _log(args, f"== {task} draw {draw}: {name} ({method}, {shots}-shot, n={cfg.synthesis.n})")
        t0 = time.perf_counter()
        try:
            result = generate(cfg, progress=progress)
        except SynthrrError as e:
            info[name] = {"error": f"generate: {e}", "gen_s": time.perf_counter() - t0}
            _log(args, f"   failed: {e}")
            continue
        m = result.manifest
        model = model or m.get("model")
        kept = int(m.get("counts", {}).get("kept", 0))
        llm = m.get("llm", {})
        info[name] = {
            "run_dir": str(result.run_dir),
            "kept": kept,
            "gen_s": time.perf_counter() - t0,
            "requests": int(llm.get("requests", 0)),
            "cache_hits": int(llm.get("cache_hits", 0)),
        }
        if kept == 0:
            info[name]["error"] = "no kept examples"
            continue
        try:  # evaluate here so the metric set is ours; compare_runs then reuses metrics.json
            evaluate_run(result.run_dir, cfg, progress=progress)
        except SynthrrError as e:
            info[name]["error"] = f"evaluate: {e}"
            continue
        runs[name] = result.run_dir
    rows: dict[str, dict[str, Any]] = {}
    if runs:
        compared = compare_runs(list(runs.values()), out, base, student=args.student, gold=True, progress=progress)
        golds = [r for r in compared if r.get("method") == "gold"]
        if golds:  # one Gold row per distinct kept n: take the one at (or nearest to) N
            rows["Gold"] = min(golds, key=lambda r: (abs(int(r.get("n") or 0) - args.n), -int(r.get("n") or 0)))
        if args.gold_full:
            rows["Gold-full"] = gold_full_row(args, base, progress)
        by_dir = {Path(str(r.get("run_dir"))).name: r for r in compared if r.get("method") != "gold"}
        for name, rd in runs.items():
            if rd.name in by_dir:
                rows[name] = by_dir[rd.name]
    return {
        "task": key,
        "corpus": args.corpora[key],
        "rows": rows,
        "info": info,
        "model": model,
        "config": base,
        "wall_s": time.perf_counter() - started,
        "out": str(out),
    }


def gold_full_row(args: argparse.Namespace, base: Any, progress: bool) -> dict[str, Any]:
    """The paper's Gold: the student on the whole train split (capped at ``--gold-full``), scored
    like the other rows; no intrinsic metrics (they describe a set of N texts)."""
    from synthrr.report.table import table_row
    from synthrr.stages.compare import gold_evaluation
    from synthrr.tasks import get_task

    task = get_task(base.task)
    n = min(args.gold_full, len(task.load_split("train")))
    g = gold_evaluation(task, n, base.eval, student=args.student, metrics=(), progress=progress)
    return table_row("Gold-full", g, args.student)


def write_results(args: argparse.Namespace, summaries: list[dict[str, Any]], total_s: float, argv: list[str]) -> str:
    from synthrr.manifest import versions

    model = next((s["model"] for s in summaries if s["model"]), None)
    analysis = kept_analysis(args.results)
    requests = sum(v.get("requests", 0) for s in summaries for v in s["info"].values())
    hits = sum(v.get("cache_hits", 0) for s in summaries for v in s["info"].values())
    cfg = summaries[0]["config"] if summaries else None
    lines = [
        "# Quality benchmark: SynthesizRR vs FewGen vs ZeroGen vs Gold",
        "",
        f"- Command: `{shlex.join(['python', 'bench/quality.py', *argv])}`",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Mode: {'quick (smoke run, numbers are not meaningful)' if args.quick else 'full'}",
        f"- Model: `{json.dumps(model, sort_keys=True)}`",
        f"- Versions: `{json.dumps(versions(), sort_keys=True)}`",
        f"- Draws per task: {args.draws} (tables: mean ± std over draws)" if args.draws > 1 else "- Draws per task: 1",
        f"- N per row: {args.n}; seeds per label: {args.per_label or 'task default'}; "
        f"retriever: {args.retriever}; max new tokens: {args.max_tokens}",
    ]
    if cfg is not None:
        s = cfg.llm.sampling
        f = cfg.synthesis.filters
        lines += [
            f"- Sampling: temperature {s.temperature}, top_p {s.top_p}, seed {s.seed}; LLM options "
            f"`{json.dumps(cfg.llm.options, sort_keys=True)}`",
            f"- Filters (all rows): min_tokens {f.min_tokens}, dedup {f.dedup}, copy {f.copy_ngram}-gram "
            f"> {f.copy_threshold}, contamination {f.contamination}, label consistency {f.label_consistency} "
            f"(keep {f.keep_fraction}, features {f.consistency_features})",
            f"- Prompts: context_tokens {list(cfg.synthesis.context_tokens)}, demo_tokens {cfg.synthesis.demo_tokens}",
        ]
    lines += [
        f"- Student: {args.student}, {args.seeds} seed(s), scored on {args.test_limit} real {args.eval_split} "
        "examples; "
        f"metrics: {', '.join(args.metrics) if args.metrics else 'all'}",
        f"- Total wall time: {total_s:.0f} s ({hits} of {requests} LLM requests answered from the cache)",
        "",
        "Rows: Gold = the student on N real train examples; "
        + (f"Gold-full = on the whole train split (at most {args.gold_full} examples); " if args.gold_full else "")
        + "FewGen-0/-32 = fewgen with 0/32 seed "
        "demonstrations; ZeroGen = zerogen; SynthesizRR-0/-3 = synthesizrr 0-shot / 3-shot RetrICL. "
        "`gen. s` = generation wall time of the row; `n` = kept examples.",
    ]
    if analysis:
        lines += ["", analysis]
    for s in summaries:
        lines += ["", f"## {s['task']} (corpus: {s['corpus']})", "", format_table(s, ROW_NAMES), ""]
        lines.append(f"Wall time: {s['wall_s']:.0f} s. Runs and compare.md/.csv/.json: `{s['out']}`.")
        lines += ["", "Targets (SynthesizRR-3 vs FewGen-32):", *check_targets(s["rows"])]
        errors = {k: v["error"] for k, v in s["info"].items() if v.get("error")}
        for name, err in errors.items():
            lines.append(f"- {name}: {err}")
    text = "\n".join(lines) + "\n"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = resolve(build_parser().parse_args(argv))
    from synthrr.errors import SynthrrError

    started = time.perf_counter()
    summaries, per_draw = [], {}
    try:
        for task in args.tasks:
            draws = [run_task(args, task, d) for d in range(args.draws)]
            per_draw[task_key(task)] = [d["rows"] for d in draws]
            summaries.append(aggregate(draws))
            _log(args, f"== {task} done in {summaries[-1]['wall_s']:.0f}s")
    except SynthrrError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    text = write_results(args, summaries, time.perf_counter() - started, argv)
    # every draw's rows, for paired comparisons across invocations (bench/paired.py)
    args.results.with_suffix(".json").write_text(json.dumps(per_draw, indent=1, default=str), encoding="utf-8")
    if not args.quiet:
        print(text)
    _log(args, f"== results in {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
