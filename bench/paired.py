"""Paired comparison of two ``bench/quality.py`` results (the ``.json`` beside each results file):
the same tasks, rows and draws under two settings, e.g. ``--set synthesis.demo_block=1`` against the
default. Prints, per task, row and metric: A and B as mean ± std over the draws both recorded (paired
by draw number), the per-draw difference B - A (mean ± std) and whether it lies within the draw-to-draw
noise (|mean| <= the larger std). Older files, a bare list of draws per task, pair by position.

    .venv/bin/python -m bench.paired runs/parity-old/results.json runs/parity-new/results.json \\
        --names "demo_block 1" "demo_block 8" --md docs/parity.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.table import emit

#: (key, title, scale, higher is better)
METRICS = (
    ("self_bleu_5", "Self-BLEU-5", 1.0, False),
    ("entity_entropy", "entity entropy", 1.0, True),
    ("mauve", "MAUVE", 1.0, True),
    ("label_preservation", "label pres. %", 100.0, True),
    ("accuracy_mean", "student acc. %", 100.0, True),
)


def _ms(values: list[float], scale: float) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{scale * statistics.mean(values):.3f} ± {scale * sd:.3f}"


Draws = dict[int, dict[str, Any]]  # draw number -> that draw's rows


def by_draw(per_task: list[dict[str, Any]] | dict[str, Any]) -> Draws:
    """One task's entry of a results JSON as {draw number: rows}."""
    if isinstance(per_task, list):  # files written before draw numbers were recorded
        return dict(enumerate(per_task))
    return dict(zip(per_task["draw_ids"], per_task["rows"], strict=True))


def compare(a: dict[str, Any], b: dict[str, Any], names: list[str]) -> list[str]:
    lines = [
        f"| task | row | metric | {names[0]} | {names[1]} | paired B - A | within noise |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    within = total = 0
    paired_draws: list[str] = []
    for task in [t for t in a if t in b]:
        da, db = by_draw(a[task]), by_draw(b[task])
        ids = sorted(set(da) & set(db))
        if not ids:
            continue
        pairs = [(da[i], db[i]) for i in ids]
        rows = [r for r in pairs[0][0] if r != "Gold" and all(r in x and r in y for x, y in pairs)]
        draws = len(ids)
        paired_draws.append(f"{task} {', '.join(map(str, ids))}")
        for row in rows:
            for key, title, scale, _ in METRICS:
                xs = [x[row].get(key) for x, _ in pairs]
                ys = [y[row].get(key) for _, y in pairs]
                if any(not isinstance(v, int | float) for v in xs + ys):
                    continue
                diffs = [y - x for x, y in zip(xs, ys, strict=True)]
                noise = max(statistics.stdev(xs), statistics.stdev(ys)) if draws > 1 else 0.0
                ok = abs(statistics.mean(diffs)) <= noise
                within += ok
                total += 1
                lines.append(
                    f"| {task} | {row} | {title} | {_ms(xs, scale)} | {_ms(ys, scale)} | {_ms(diffs, scale)} | "
                    f"{'yes' if ok else 'NO'} |"
                )
    lines.append("")
    lines.append(f"Draws paired by number: {'; '.join(paired_draws) or 'none in common'}.")
    lines.append(f"{within} of {total} comparisons within the draw-to-draw noise.")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", type=Path, help="results JSON of setting A")
    p.add_argument("b", type=Path, help="results JSON of setting B")
    p.add_argument("--names", nargs=2, default=["A", "B"], help="column titles of A and B")
    p.add_argument("--md", type=Path, default=None, help="also write the table here")
    args = p.parse_args(argv)
    try:
        a, b = (json.loads(path.read_text(encoding="utf-8")) for path in (args.a, args.b))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    emit("\n".join(compare(a, b, args.names)) + "\n", args.md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
