"""A draw's table rows for bench/quality.py: each student's compare rows (Gold at N, Gold-full, the
synthetic rows), the second student's accuracy beside the headline's, and the draw's report page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bench.records import gold_distance


def draw_rows(
    args: argparse.Namespace, runs: dict[str, Path], out: Path, base: Any, draw: int
) -> dict[str, dict[str, Any]]:
    """The rows of one draw (headline student), and ``out/report.html`` unless in quick mode."""
    rows: dict[str, dict[str, Any]] = {}
    for i, student in enumerate(args.students):
        folder = out if i == 0 else out / f"compare-{student}"
        found = compare_rows(args, runs, folder, base, student, gold_full=not (args.gold_full_once and draw))
        if i == 0:
            rows = found
            continue
        for name, row in rows.items():  # the second student: its accuracy beside the headline's
            row["alt_accuracy_mean"] = found.get(name, {}).get("accuracy_mean")
    if runs and not args.quick:  # the draw's runs in one page (synthrr report), Gold rows included
        from synthrr.report.html import write_report

        page = write_report(list(runs.values()), out / "report.html", compare_rows=list(rows.values()))
        if not args.quiet:
            print(f"   report: {page}", file=sys.stderr, flush=True)
    return rows


def compare_rows(
    args: argparse.Namespace,
    runs: dict[str, Path],
    out: Path,
    base: Any,
    student: str,
    gold_full: bool = True,
) -> dict[str, dict[str, Any]]:
    """The task's rows for one student: Gold (at N), Gold-full if asked, and each synthetic row."""
    from synthrr.stages.compare import compare_runs

    if not runs:
        return {}
    rows: dict[str, dict[str, Any]] = {}
    compared = compare_runs(list(runs.values()), out, base, student=student, gold=True)
    golds = [r for r in compared if r.get("method") == "gold"]
    if golds:  # one Gold row per distinct kept n: take the one at (or nearest to) N
        rows["Gold"] = min(golds, key=lambda r: gold_distance(r, args.n))
    if args.gold_full and gold_full:
        rows["Gold-full"] = gold_full_row(args, base, student)
    by_dir = {Path(str(r.get("run_dir"))).name: r for r in compared if r.get("method") != "gold"}
    for name, rd in runs.items():
        if rd.name in by_dir:
            rows[name] = by_dir[rd.name]
    return rows


def gold_full_row(args: argparse.Namespace, base: Any, student: str) -> dict[str, Any]:
    """The paper's Gold: the student on the whole train split (capped at ``--gold-full``), scored
    like the other rows; no intrinsic metrics (they describe a set of N texts)."""
    from synthrr.report.table import table_row
    from synthrr.stages.compare import gold_evaluation
    from synthrr.tasks import get_task

    task = get_task(base.task)
    n = min(args.gold_full, len(task.load_split("train")))
    g = gold_evaluation(task, n, base.eval, student=student, metrics=())
    return table_row("Gold-full", g, student)
