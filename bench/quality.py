"""Quality benchmark: SynthesizRR vs FewGen vs ZeroGen vs Gold on imdb, rotten_tomatoes, bbc_news.

For each task, with one LLM and one student, six rows at the same N, sampling and filters:

=================  ===========================================================================
Gold               the student trained on N real train examples (compare_runs' Gold row)
FewGen-0           ``fewgen``, 0 shots (label-conditioned instruction only)
FewGen-32          ``fewgen``, 32 random same-label seed demonstrations
ZeroGen            ``zerogen``
SynthesizRR-0      ``synthesizrr``, 0-shot (retrieved passage only)
SynthesizRR-3      ``synthesizrr``, 3-shot RetrICL
SuperGen           ``supergen`` (on request): zero-shot, the likeliest half kept
AttrPrompt         ``attrprompt`` (on request): zero-shot with LLM-proposed subtopic and style
ProGen             ``progen`` (on request): rounds with 3 influence-chosen demonstrations
ReGen              ``regen`` (on request): retrieved passages, no generation
=================  ===========================================================================

Each synthetic row is one :func:`synthrr.stages.generate.generate` call (run folders under
``--out/<task>/``); :func:`synthrr.stages.compare.compare_runs` (``gold=True``) then writes
``compare.md/.csv/.json`` into that task folder, and the whole benchmark is summarised in
``--results`` (default ``docs/results.md``) with the command line, versions, model identity, date
and wall times.

Corpora (``--corpus TASK=NAME`` overrides): imdb and rotten_tomatoes -> ``movie_plots``;
bbc_news -> ``wiki`` (the news-like ``headlines`` and ``abc_news+wiki`` did not beat it on
validation, see docs/validation.md); a custom task (``--tasks path/to/task.yaml``, keyed by the
file's stem) -> ``wiki``.
``--gold-full MAX`` adds the paper's Gold: the student on a label-balanced sample of up to MAX
examples of the whole train split.

Default N = 40 per row. Cost on 2 CPU cores with the default SmolLM2-135M llama.cpp model
(max_tokens 96), with demonstration blocks: FewGen-32 ~1-3 s per prompt (its 32 demonstrations are
one shared prefix per block), SynthesizRR-3 ~3-5 s (decoding bounds it; docs/bench-prefix.md);
~1.5-2.3 prompts per kept example (the label verifier drops and the quota loop tops up). A MiniLM
student fit is ~1.5-3 min. The headline protocol (N=100, FewGen-32 and SynthesizRR-3, MiniLM and
TF-IDF students, Gold-full) is ~45-60 min per task and draw.

The llama.cpp context defaults to 6144 tokens here (``--llm-opt n_ctx=...`` overrides) so that
32 demonstrations of up to 80 words fit.

``--draws K``: each task K times, draw d moving the seed set's, the demonstrations', the sampling
and the students' seeds, and Gold's real sample, by d (run folders ``<out>/<task>/draw-<d>``); the
tables then show mean ± std over draws, the targets a paired comparison (mean ± std of the per-draw
difference, draws won), and every draw's rows go to ``<results>.json`` for ``bench/paired.py``.
``--rows FewGen-3`` adds the demo's 3-shot FewGen.

Records: every draw is saved as ``<records>/<task>/draw-<d>.json`` (default records folder: the
results file with ``.records`` for its suffix) with its protocol (N, students, split, LLM,
overrides, ...), and the tables combine every draw recorded there under the current protocol. So a
protocol too long for one sitting runs a draw at a time (``--first-draw D --draws 1``), and
``--report-only`` rebuilds the results file from the records without running anything. Records of
another protocol are named and left out. Rows are not part of the protocol: ``--rows SuperGen
--first-draw 0 --draws 1`` adds SuperGen to draw 0's record (Gold comes from its cache), and the
table shows each row over the draws it was measured in.

``--gold-full-once``: Gold-full does not depend on the generated data, so later draws may skip it
(its row then shows the draw-0 value, labelled "Gold-full (1 of 3 draws)"); not part of the protocol.

``--student minilm tfidf``: the first student is the headline (targets, Gold share); the second
gets an accuracy column of its own.

Each draw also writes ``<out>/<task>[/draw-<d>]/report.html`` (``synthrr report`` of its runs,
with the Gold rows), and with two or more draws ``<out>/<task>/report.html`` puts the mean ± std
table and the targets above the runs of every draw still on disk; not in quick mode.

``--quick``: a smoke run (N=4, max_tokens 24, 4 seeds per label, BM25 retrieval so no dense index
is built, TF-IDF student with one seed, 50 test examples, only the cheap intrinsic metrics,
first task only unless ``--tasks`` is given). Its results go to ``--results`` if given, else to
``<out>/results.md``; quick mode never writes ``docs/results.md`` unless asked to explicitly.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import records
from protocol import (  # noqa: F401 - re-exported for the tests
    ANALYSIS_BEGIN,
    ANALYSIS_END,
    COLUMNS,
    aggregate,
    alt_student,
    check_targets,
    format_table,
    kept_analysis,
    write_results,
)
from rows import draw_rows

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
    ("SuperGen", "supergen", 0),
    ("AttrPrompt", "attrprompt", 0),
    ("ProGen", "progen", 3),
    ("ReGen", "regen", 0),
)
ROW_NAMES = ("Gold", "Gold-full", *(name for name, _, _ in ROWS))


@functools.cache
def corpus_rows() -> frozenset[str]:
    """The rows whose method reads the corpus (retrieval): their records keep the corpus per row."""
    from synthrr.synth.methods import METHODS

    return frozenset(
        name for name, method, _ in ROWS if METHODS.get(method).needs_retrieval or METHODS.get(method).needs_index
    )


DEFAULT_ROWS = ("FewGen-0", "FewGen-32", "ZeroGen", "SynthesizRR-0", "SynthesizRR-3")  # others: on request
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
    p.add_argument(
        "--student",
        dest="students",
        nargs="+",
        choices=("tfidf", "minilm"),
        default=None,
        help="student(s); the first is the tables' headline, a second gets its own accuracy column [tfidf]",
    )
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
        "--first-draw",
        type=int,
        default=0,
        help="number of the first draw run [0]; with --draws 1, runs one draw of a longer protocol",
    )
    p.add_argument(
        "--records",
        type=Path,
        default=None,
        help="folder of per-draw records; the tables combine every draw recorded there under the same "
        "protocol [<results without suffix>.records]",
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rebuild the results file from the records",
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
    p.add_argument(
        "--gold-full-once",
        action="store_true",
        help="measure Gold-full in draw 0 only (it does not depend on the generated data; ~15 min of MiniLM "
        "fitting per draw on 2 cores); later draws' tables show its draw-0 value",
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
    args.students = pick(args.students, ["tfidf"], ["tfidf"])
    if len(args.students) > 2 or len(set(args.students)) != len(args.students):
        raise SystemExit("--student: one or two different students")
    args.student = args.students[0]
    args.seeds = pick(args.seeds, 3, 1)
    args.test_limit = pick(args.test_limit, 1000, 50)
    if args.metrics is not None:
        args.metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    elif q:
        args.metrics = list(QUICK_METRICS)
    args.out = pick(args.out, Path("runs/quality"), Path("runs/quality-quick"))
    args.results = pick(args.results, Path("docs/results.md"), args.out / "results.md")
    args.records = args.records or args.results.with_suffix(".records")
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
            "eval.students": list(args.students),
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
    from synthrr.core.errors import SynthrrError
    from synthrr.stages.evaluate import evaluate_run
    from synthrr.stages.generate import generate
    from synthrr.synth.methods import METHODS

    started = time.perf_counter()
    key = task_key(task)
    out = args.out / key if args.draws == 1 and draw == 0 else args.out / key / f"draw-{draw}"
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
        if METHODS.get(method).uses_llm:  # a method that writes no text with the LLM names no model
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
        if name in corpus_rows():
            info[name]["corpus"] = args.corpora[key]
        if kept == 0:
            info[name]["error"] = "no kept examples"
            continue
        try:  # evaluate here so the metric set is ours; compare_runs then reuses metrics.json
            evaluate_run(result.run_dir, cfg, progress=progress)
        except SynthrrError as e:
            info[name]["error"] = f"evaluate: {e}"
            continue
        runs[name] = result.run_dir
    rows = draw_rows(args, runs, out, base, progress, draw)
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


def run_draws(args: argparse.Namespace, argv: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the asked draws of every task (unless ``--report-only``), record each, and combine every
    recorded draw of the same protocol: the summaries and each task's per-draw rows."""
    summaries, per_draw = [], {}
    for task in args.tasks:
        key = task_key(task)
        proto = records.protocol(args, args.corpora[key])
        for d in [] if args.report_only else range(args.first_draw, args.first_draw + args.draws):
            records.save(args.records, run_task(args, task, d), d, proto, argv, corpus_rows())
        draws, skipped = records.load(args.records, key, proto, corpus_rows())
        for why in skipped:
            _log(args, f"   left out: {why}")
        if not draws:
            _log(args, f"== {task}: no draw recorded under this protocol in {args.records}")
            continue
        per_draw[key] = [d["rows"] for d in draws]
        summary = aggregate(draws)
        summary["draw_ids"] = [d["draw"] for d in draws]
        summary["commands"] = sorted(
            {shlex.join(["python", "bench/quality.py", *a]) for d in draws for a in d.get("argvs", [d["argv"]])}
        )
        summaries.append(summary)
        _log(args, f"== {task}: {len(draws)} draw(s) recorded, {summaries[-1]['wall_s']:.0f} s in all")
        if len(draws) > 1 and not args.quick:
            task_report(args, key, summary, draws)
    return summaries, per_draw


def task_report(args: argparse.Namespace, key: str, summary: dict[str, Any], draws: list[dict[str, Any]]) -> None:
    """``<out>/<task>/report.html``: the mean ± std table and targets over draws above the runs of the
    draws whose run directories are still here (records from other machines have none)."""
    from synthrr.report.html import write_report

    dirs = [i.get("run_dir") for d in draws for i in d["info"].values()]
    here = [Path(rd) for rd in dirs if rd and Path(rd).is_dir()]
    if not here:
        return
    text = "\n".join([format_table(summary, ROW_NAMES, alt_student(args)), "", *check_targets(summary["rows"])])
    page = write_report(here, args.out / key / "report.html", summary=text)
    _log(args, f"== {key}: report over {len(draws)} draws in {page}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = resolve(build_parser().parse_args(argv))
    from synthrr.core.errors import SynthrrError

    try:
        summaries, per_draw = run_draws(args, argv)
    except SynthrrError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    if not summaries:
        print(f"error: nothing to report: no draw recorded in {args.records} under this protocol", file=sys.stderr)
        return 2
    text = write_results(args, summaries, ROW_NAMES)
    # every draw's rows, for paired comparisons across invocations (bench/paired.py)
    args.results.with_suffix(".json").write_text(json.dumps(per_draw, indent=1, default=str), encoding="utf-8")
    if not args.quiet:
        print(text)
    _log(args, f"== results in {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
