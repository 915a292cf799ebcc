"""The MiniLM student's threads when a neighbour joins mid-fit: a pool sized once against one that
follows the free cores (``synthrr.core.resources.CoreFollower``).

Each condition fits the student in a fresh process on ``--examples`` real bbc_news train texts for
``--steps`` batches of 16; a busy-looping process takes one core ``--join-after`` seconds into the
fit and holds it to the end (the fit started on a machine whose cores were all free):

  pinned T              ``threads: T`` (the count never changes)
  followed              ``threads`` unset, the free cores measured at start and every 20 s after

Printed per condition: the threads at the end of the fit, the fit's wall seconds and examples/s,
and the ratio of its rate to ``pinned 1`` (higher is faster). ``--repeats R`` interleaves the
conditions R times.

    .venv/bin/python -m bench.student_threads --md docs/bench-student-threads.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import add_row, emit, heading
from bench.threads import spin

CONDITIONS: dict[str, dict[str, Any]] = {
    "pinned 2": {"threads": 2},
    "followed": {},
    "pinned 1": {"threads": 1},
}


def child(spec_path: Path) -> None:
    """One fit in a fresh process: free cores read as all of them at start (the machine is quiet then)."""
    from synthrr.students import get_student
    from synthrr.tasks import get_task
    from synthrr.tasks.sampling import balanced_sample

    spec = json.loads(spec_path.read_text())
    task = get_task("bbc_news")
    train = balanced_sample(task.load_split("train"), spec["examples"], task.spec.label_names, seed=0)
    opts = {"epochs": 1, "min_steps": spec["steps"], "batch_size": 16, "max_length": 128, "device": "cpu"}
    student = get_student("minilm", **opts, **spec["options"])
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    neighbour = ctx.Process(target=_join_later, args=(spec["join_after"], stop))
    neighbour.start()
    try:
        t0 = time.perf_counter()
        student.fit([e.text for e in train], [e.label for e in train], label_names=task.spec.label_names)
        wall = time.perf_counter() - t0
    finally:
        stop.set()
        neighbour.join()
    stats = dict(student.train_stats, wall_s=round(wall, 1))
    spec_path.with_suffix(".json").write_text(json.dumps(stats))


def _join_later(after: float, stop: Any) -> None:
    """The neighbour: idle for ``after`` seconds (unless stopped), then one busy core until stopped."""
    if not stop.wait(after):
        spin(stop)


def run_condition(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    spec = {
        "options": CONDITIONS[name],
        "examples": args.examples,
        "steps": args.steps,
        "join_after": args.join_after,
    }
    path = work / f"{name.replace(' ', '-')}.spec"
    path.write_text(json.dumps(spec))
    subprocess.run([sys.executable, "-m", "bench.student_threads", "--child", str(path)], check=True)
    result: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=100, help="bbc_news train texts [100]")
    p.add_argument("--steps", type=int, default=40, help="batches of 16 [40]")
    p.add_argument("--join-after", type=float, default=10.0, help="seconds into the fit the neighbour starts [10]")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--md", type=Path, default=None, help="also write the table here")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return 0
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONDITIONS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for name in CONDITIONS:
                runs[name].append(run_condition(name, args, Path(tmp)))
    base = statistics.mean(r["examples_per_s"] for r in runs["pinned 1"])
    lines = [
        heading("student_threads"),
        "",
        f"MiniLM student, {args.examples} bbc_news texts, {args.steps} steps of 16; a busy neighbour takes a "
        f"core {args.join_after:.0f} s into the fit; {args.repeats} repeat(s), values joined by /.",
        "",
        "| condition | threads at the end | wall s | examples/s | x pinned 1 |",
        "|---|---|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        rate = statistics.mean(r["examples_per_s"] for r in rs)
        threads = "/".join(str(r["threads"]) for r in rs)
        walls = "/".join(f"{r['wall_s']:.0f}" for r in rs)
        add_row(lines, f"| {name} | {threads} | {walls} | {rate:.2f} | {rate / base:.2f} |")
    emit("\n".join(lines) + "\n", args.md, blank_line=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
