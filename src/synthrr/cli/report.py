"""``synthrr report``: one self-contained HTML page for one or several runs of a task."""

from __future__ import annotations

from pathlib import Path

import click

from synthrr.cli.options import quiet_option
from synthrr.report.html import write_report


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True,
              help="the HTML file to write")  # fmt: skip
@click.option(
    "--max-rows",
    type=click.IntRange(0),
    default=2000,
    show_default=True,
    help="candidates per run shown (sampled above)",
)
@click.option("--no-map", is_flag=True, help="skip the embedding map (it encodes texts with MiniLM)")
@click.option("--evaluate", "evaluate_first", is_flag=True,
              help="first run `synthrr evaluate` (default students) on each run without metrics")  # fmt: skip
@quiet_option
def report(run_dirs: tuple[Path, ...], out: Path, max_rows: int, no_map: bool, evaluate_first: bool) -> None:
    """Write one HTML page (no network needed to open it) comparing RUN_DIRS of one task.

    Runs never evaluated show empty measures and diversity panels; the page names the
    `synthrr evaluate RUN` to run, or pass --evaluate to do it first."""
    path = write_report(
        run_dirs,
        out,
        max_rows=max_rows,
        embedding_map=not no_map,
        evaluate=evaluate_first,
    )
    click.echo(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
