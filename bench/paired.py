"""Paired comparison of two ``bench/quality.py`` results (the ``.json`` beside each results file):
the same tasks, rows and draws under two settings, e.g. ``--set synthesis.demo_block=1`` against the
default. Prints, per task, row and metric: A and B as mean ± std over draws, the per-draw difference
B - A (mean ± std) and whether it lies within the draw-to-draw noise (|mean| <= the larger std).

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


def compare(a: dict[str, list[dict[str, Any]]], b: dict[str, list[dict[str, Any]]], names: list[str]) -> list[str]:
    lines = [
        f"| task | row | metric | {names[0]} | {names[1]} | paired B - A | within noise |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    within = total = 0
    for task in [t for t in a if t in b]:
        draws = min(len(a[task]), len(b[task]))
        rows = [r for r in a[task][0] if r != "Gold" and all(r in d for d in a[task][:draws] + b[task][:draws])]
        for row in rows:
            for key, title, scale, _ in METRICS:
                xs = [d[row].get(key) for d in a[task][:draws]]
                ys = [d[row].get(key) for d in b[task][:draws]]
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
