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
difference, draws won), and every draw's rows, with its number, go to ``<results>.json`` for
``bench/paired.py``.
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
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from bench import records
from bench.protocol import aggregate, alt_student, check_targets, format_table, write_results
from bench.quality_options import ROW_NAMES, ROWS, base_config, build_parser, corpus_rows, resolve, task_key
from bench.rows import draw_rows
from synthrr.core.log import progress_switch


def _log(args: argparse.Namespace, msg: str) -> None:
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def run_row(
    args: argparse.Namespace, base: Any, task: str, draw: int, row: tuple[str, str, int]
) -> tuple[dict[str, Any], Path | None, Any]:
    """Generate one row of a task's draw and evaluate it: the row's info, its run folder (None when it
    failed or kept nothing) and the model that wrote it (None for a method that writes no text with the LLM)."""
    from synthrr.core.errors import SynthrrError
    from synthrr.stages.evaluate import evaluate_run
    from synthrr.stages.generate import generate
    from synthrr.synth.methods import METHODS

    name, method, shots = row
    cfg = base.with_overrides({"synthesis.method": method, "synthesis.shots": shots})
    _log(args, f"== {task} draw {draw}: {name} ({method}, {shots}-shot, n={cfg.synthesis.n})")
    t0 = time.perf_counter()
    try:
        result = generate(cfg)
    except SynthrrError as e:
        info: dict[str, Any] = {"error": f"generate: {e}", "gen_s": time.perf_counter() - t0}
        _log(args, f"   failed: {e}")
        return info, None, None
    m = result.manifest
    model = m.get("model") if METHODS.get(method).uses_llm else None
    kept = int(m.get("counts", {}).get("kept", 0))
    llm = m.get("llm", {})
    info = {
        "run_dir": str(result.run_dir),
        "kept": kept,
        "gen_s": time.perf_counter() - t0,
        "requests": int(llm.get("requests", 0)),
        "cache_hits": int(llm.get("cache_hits", 0)),
    }
    if name in corpus_rows():
        info["corpus"] = args.corpora[task_key(task)]
    if kept == 0:
        info["error"] = "no kept examples"
        return info, None, model
    try:  # evaluate here so the metric set is ours; compare_runs then reuses metrics.json
        evaluate_run(result.run_dir, cfg)
    except SynthrrError as e:
        info["error"] = f"evaluate: {e}"
        return info, None, model
    return info, result.run_dir, model


def run_task(args: argparse.Namespace, task: str, draw: int = 0) -> dict[str, Any]:
    """Generate the synthetic rows, evaluate them, compare with Gold; one draw's summary of the task."""
    started = time.perf_counter()
    key = task_key(task)
    out = args.out / key if args.draws == 1 and draw == 0 else args.out / key / f"draw-{draw}"
    base = base_config(args, task, out, draw)
    runs: dict[str, Path] = {}
    info: dict[str, dict[str, Any]] = {}
    model: dict[str, Any] | None = None
    for row in ROWS:
        if row[0] not in args.rows:
            continue
        info[row[0]], run_dir, row_model = run_row(args, base, task, draw, row)
        model = model or row_model
        if run_dir is not None:
            runs[row[0]] = run_dir
    rows = draw_rows(args, runs, out, base, draw)
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
        per_draw[key] = {"draw_ids": [d["draw"] for d in draws], "rows": [d["rows"] for d in draws]}
        summary = aggregate(draws)
        summary["draw_ids"] = [d["draw"] for d in draws]
        summary["commands"] = sorted(
            {shlex.join(["python", "-m", "bench.quality", *a]) for d in draws for a in d.get("argvs", [d["argv"]])}
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
    args = resolve(build_parser(__doc__).parse_args(argv))
    from synthrr.core.errors import SynthrrError

    try:
        with progress_switch(not args.quiet):  # bars and step lines of every stage and report, or none
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
