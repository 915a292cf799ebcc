"""``synthrr show``: examples of a run with their seed, passage, demonstrations and exact prompt."""

from __future__ import annotations

from pathlib import Path

import click

from synthrr.core.errors import UsageError
from synthrr.run.provenance import ALL, describe, provenance


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--label", default=None, help="only this label")
@click.option("--verdict", default="kept", show_default=True,
              help="kept, a drop reason (e.g. label_disagrees, near_duplicate), or 'all'")  # fmt: skip
@click.option("--n", "n", type=click.IntRange(0), default=5, show_default=True, help="how many examples")
@click.option("--seed", type=int, default=0, show_default=True, help="which sample of the matching rows")
@click.option("--full-prompt", is_flag=True, help="print whole prompts (default: the first 1,500 characters)")
def show(run_dir: Path, label: str | None, verdict: str, n: int, seed: int, full_prompt: bool) -> None:
    """Print N examples of RUN_DIR with the seed, passage, demonstrations and prompt behind each."""
    frame = provenance(run_dir)
    if label is not None:
        if label not in set(frame["label"]):
            raise UsageError(f"no rows with label '{label}'; labels: {', '.join(sorted(set(frame['label'])))}")
        frame = frame[frame["label"] == label]
    if verdict != ALL:
        if verdict not in set(frame["verdict"]):
            raise UsageError(f"no rows with verdict '{verdict}'; verdicts: {', '.join(sorted(set(frame['verdict'])))}")
        frame = frame[frame["verdict"] == verdict]
    picked = frame.sample(n=min(n, len(frame)), random_state=seed) if n < len(frame) else frame
    click.echo(f"{len(picked)} of {len(frame)} matching rows of {run_dir}\n")
    for _, row in picked.iterrows():
        click.echo(describe(row, None if full_prompt else 1500) + "\n")
