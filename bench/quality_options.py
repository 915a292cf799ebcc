"""The quality benchmark's options (``bench/quality.py``): its command line, the defaults it resolves
to (full or ``--quick``), and the run config every row of a task shares. ``bench/label_mix.py`` runs
the same protocol through them."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

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


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    """The command line of ``python -m bench.quality`` (``description``: its ``--help`` text)."""
    p = argparse.ArgumentParser(
        prog="python -m bench.quality",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_options(p)
    _add_student_options(p)
    _add_draw_options(p)
    _add_output_options(p)
    return p


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """What is generated: tasks, corpora, overrides, the LLM and the size of each row."""
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


def _add_student_options(p: argparse.ArgumentParser) -> None:
    """How each row is scored, and which rows run."""
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


def _add_draw_options(p: argparse.ArgumentParser) -> None:
    """Which draws run, and where they are recorded."""
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


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """The evaluation split and metrics, Gold-full, where results go, and the quick and quiet modes."""
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
