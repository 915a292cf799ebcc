"""What each generator costs per kept example, read from the run directories of ``bench.quality`` runs.

The generator table of docs/results.md puts, beside the five measures of each row, what the rows cost:
the label verifier's rejection rate (of the parsed answers, the share it dropped as disagreeing or
unsure), prompts per kept example, and engine seconds per kept example (answers served from the LLM
cache count with the seconds they took when they were generated). Each ``--out NAME=FOLDER`` is one
generator's ``bench.quality --out`` folder; every run directory under it is counted, per task and
method, summed over draws.

    .venv/bin/python -m bench.generators --out smollm2-135m=runs/q-test --out qwen-coder-0.5b=runs/q-qwen05
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.table import emit, heading

#: drop reasons that are the label verifier's verdicts (the others are parsing and the filters)
VERIFIER_DROPS = ("label_disagrees", "low_label_confidence")


@dataclass
class Cost:
    """Sums over the run directories of one (generator, task, method)."""

    runs: int = 0
    prompts: int = 0
    parsed: int = 0
    kept: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def add(self, manifest: dict[str, Any]) -> None:
        counts, drops, llm = manifest.get("counts", {}), manifest.get("drops", {}), manifest.get("llm", {})
        self.runs += 1
        self.prompts += int(counts.get("prompts", 0))
        self.parsed += int(counts.get("parsed", 0))
        self.kept += int(counts.get("kept", 0))
        self.rejected += sum(int(drops.get(reason, 0)) for reason in VERIFIER_DROPS)
        self.seconds += float(llm.get("seconds", 0.0)) + float(llm.get("cached_seconds", 0.0))

    def row(self, generator: str, task: str, method: str) -> str:
        kept = max(self.kept, 1)
        rejected = 100 * self.rejected / max(self.parsed, 1)
        return (
            f"| {generator} | {task} | {method} | {self.runs} | {self.kept} | {rejected:.0f} % | "
            f"{self.prompts / kept:.2f} | {self.seconds / kept:.1f} |"
        )


def finished_runs(folder: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(manifest path, manifest) of every finished generation run directory under ``folder``."""
    for path in sorted(folder.rglob("manifest.json")):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("status", "complete") == "complete" and "method" in manifest:
            yield path, manifest


def costs(folder: Path) -> dict[tuple[str, str], Cost]:
    """(task, method) -> the summed cost of every finished run directory under ``folder``."""
    out: dict[tuple[str, str], Cost] = defaultdict(Cost)
    for _, manifest in finished_runs(folder):
        out[(str(manifest.get("task", "?")), str(manifest["method"]))].add(manifest)
    return out


def table(generators: list[tuple[str, Path]]) -> str:
    lines = [
        heading("generators"),
        "",
        "| generator | task | method | runs | kept | verifier rejected | prompts per kept | engine s per kept |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, folder in generators:
        for (task, method), cost in sorted(costs(folder).items()):
            lines.append(cost.row(name, task, method))
    return "\n".join(lines) + "\n"


def name_and_folder(text: str) -> tuple[str, Path]:
    name, sep, folder = text.partition("=")
    if not sep or not name or not folder:
        raise argparse.ArgumentTypeError(f"expected NAME=FOLDER, got {text!r}")
    return name, Path(folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=name_and_folder, action="append", required=True, metavar="NAME=FOLDER",
                    help="a generator's name and its bench.quality --out folder, repeatable")  # fmt: skip
    ap.add_argument("--md", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    emit(table(args.out), args.md)


if __name__ == "__main__":
    main()
