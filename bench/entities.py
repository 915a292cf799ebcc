"""Where the named entities of a synthetic set come from, read from ``bench.quality`` run directories.

The imdb analysis of docs/results.md asked why SynthesizRR-3 names fewer entities than FewGen-32:
are the retrieved passages poor in names, or does the generator drop them? Per generation run
directory (every finished one under each ``--out NAME=FOLDER``, per task, method and draw), with
the spaCy NER of the entity-entropy metric:

- ``mentions`` / ``distinct``: entity mentions in the kept texts, and distinct (type, string) pairs;
- ``words``: mean words per kept text (fewer words leave room for fewer names);
- ``from passage``: mentions whose string occurs (case-insensitively) in the text's own passage
  (SynthesizRR only), and ``passage mentions``: mentions in the passages behind the kept texts;
- ``from seeds``: mentions whose string occurs in some text of the run's seed set (the
  demonstrations of both methods come from it).

    .venv/bin/python -m bench.entities --out smollm2-135m=runs/q-smol --out qwen-coder-0.5b=runs/q-qwen05
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.generators import finished_runs, name_and_folder
from bench.table import emit, heading
from synthrr.metrics.entities import NER, Entity, get_ner


@dataclass(frozen=True)
class Origins:
    """The entity figures of one run directory."""

    texts: int
    words: float
    mentions: int
    distinct: int
    from_passage: int | None
    passage_mentions: int | None
    from_seeds: int

    def row(self, name: str, task: str, method: str, draw: str) -> str:
        def opt(n: int | None) -> str:
            return "—" if n is None else str(n)

        return (
            f"| {name} | {task} | {method} | {draw} | {self.texts} | {self.words:.0f} | {self.mentions} | "
            f"{self.distinct} | {opt(self.from_passage)} | {opt(self.passage_mentions)} | {self.from_seeds} |"
        )


def occurs_in(mentions: Sequence[Sequence[Entity]], sources: Sequence[str]) -> int:
    """How many mentions of ``mentions[i]`` occur as a string in ``sources[i]`` (case-insensitive)."""
    lowered = (source.lower() for source in sources)  # once per source, not per mention
    return sum(text.lower() in low for row, low in zip(mentions, lowered, strict=True) for text, _ in row)


def origins(run: Path, ner: NER) -> Origins:
    """The entity figures of the run directory ``run`` (its ``data.jsonl``, ``seeds`` and ``passages``)."""
    data = pd.read_json(run / "data.jsonl", lines=True)
    if "verdict" in data:
        data = data[data["verdict"] == "kept"]
    texts = data["text"].astype(str).tolist()
    found = ner(texts)
    seed_text = " \n ".join(pd.read_parquet(run / "seeds.parquet")["text"].astype(str)).lower()
    from_passage = passage_mentions = None
    if (run / "passages.parquet").exists() and "passage_id" in data:
        passages = pd.read_parquet(run / "passages.parquet").set_index("passage_id")["text"].astype(str)
        behind = [passages.get(pid, "") for pid in data["passage_id"]]
        from_passage = occurs_in(found, behind)
        passage_mentions = sum(len(row) for row in ner(behind))
    return Origins(
        texts=len(texts),
        words=sum(len(t.split()) for t in texts) / max(len(texts), 1),
        mentions=sum(len(row) for row in found),
        distinct=len({e for row in found for e in row}),
        from_passage=from_passage,
        passage_mentions=passage_mentions,
        from_seeds=sum(text.lower() in seed_text for row in found for text, _ in row),
    )


def runs(folder: Path, tasks: Sequence[str]) -> list[tuple[str, str, str, Path]]:
    """(task, method, draw, directory) of every finished generation run under ``folder`` (a run outside
    a ``draw-<d>`` folder is draw 0: ``bench.quality`` keeps draw 0 of a one-draw call there)."""
    out = []
    for path, manifest in finished_runs(folder):
        task = str(manifest.get("task", "?"))
        if tasks and task not in tasks:
            continue
        draw = next((p.name.removeprefix("draw-") for p in path.parents if p.name.startswith("draw-")), "0")
        out.append((task, str(manifest["method"]), draw, path.parent))
    return sorted(out)


def table(generators: list[tuple[str, Path]], tasks: Sequence[str]) -> str:
    ner, ner_name = get_ner("spacy")
    lines = [
        heading("entities"),
        "",
        f"NER: {ner_name}",
        "",
        "| generator | task | method | draw | texts | words | mentions | distinct | from passage | "
        "passage mentions | from seeds |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, folder in generators:
        for task, method, draw, run in runs(folder, tasks):
            lines.append(origins(run, ner).row(name, task, method, draw))
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=name_and_folder, action="append", required=True, metavar="NAME=FOLDER",
                    help="a generator's name and its bench.quality --out folder, repeatable")  # fmt: skip
    ap.add_argument("--tasks", nargs="*", default=[], help="only these tasks [all]")
    ap.add_argument("--md", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    emit(table(args.out, args.tasks), args.md)


if __name__ == "__main__":
    main()
