"""``synthrr export``: a run as a Hugging Face dataset folder or a Parquet / JSONL / CSV file, with a
dataset card, optionally uploaded to the Hub."""

from __future__ import annotations

from pathlib import Path

import click

from synthrr.api import load
from synthrr.cli.options import quiet_option
from synthrr.run.export import FORMATS, export_run, push_to_hub


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="hf", show_default=True,
              help="hf: a DatasetDict folder (datasets.load_from_disk); else OUT/train.<ext>")  # fmt: skip
@click.option("--push-to-hub", "repo", default=None, metavar="OWNER/NAME",
              help="then upload OUT to this Hub dataset (online; token from HF_TOKEN or `hf auth login`)")  # fmt: skip
@click.option("--columns", default=None, metavar="NAME,NAME",
              help="keep only these columns, in this order (e.g. text,label) [all]")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="replace OUT if it holds an earlier export (atomically)")
@click.option("--public", is_flag=True, help="with --push-to-hub: create the dataset public (default: private)")
@quiet_option
def export(
    run_dir: Path,
    out: Path,
    fmt: str,
    repo: str | None,
    columns: str | None,
    overwrite: bool,
    public: bool,
) -> None:
    """Export the kept examples of RUN_DIR into the new folder OUT, with a dataset card (README.md)."""
    run = load(run_dir)
    keep = columns.split(",") if columns is not None else None
    folder = export_run(run, out, fmt, columns=keep, overwrite=overwrite, overwrite_hint="--overwrite")
    click.echo(f"wrote {run.manifest.kept} examples ({fmt}) and README.md to {folder}")
    if repo:
        click.echo(f"uploaded to {push_to_hub(folder, repo, private=not public)}")
