"""The ``synthrr`` command line: a thin layer over the library, one module per command.

Commands are imported lazily, so ``synthrr --help`` stays fast and never imports torch.
Every :class:`~synthrr.errors.SynthrrError` becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from synthrr.errors import SynthrrError

# command name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "tasks": "synthrr.cli.tasks:tasks",
    "corpora": "synthrr.cli.corpora:corpora",
    "seeds": "synthrr.cli.retrieve:seeds",
    "retrieve": "synthrr.cli.retrieve:retrieve",
    "cache": "synthrr.cli.cache:cache",
    "generate": "synthrr.cli.generate:generate",
    "evaluate": "synthrr.cli.evaluate:evaluate",
    "compare": "synthrr.cli.evaluate:compare",
    "predict": "synthrr.cli.evaluate:predict",
    "export": "synthrr.cli.export:export",
    "show": "synthrr.cli.show:show",
    "report": "synthrr.cli.report:report",
    "assets": "synthrr.cli.assets:assets",
    "doctor": "synthrr.cli.assets:doctor",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SynthrrError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt as e:
            term = isinstance(e, Terminated)
            click.echo(f"{'terminated' if term else 'interrupted'}; rerun the same command to resume", err=True)
            ctx.exit(143 if term else 130)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs (engines stopped, partial work kept)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="synthrr")
def cli() -> None:
    """synthrr: labelled training data from a few examples, a corpus and any LLM (SynthesizRR)."""
    # Model and dataset hubs are never needed for the offline default; users who want them
    # online set HF_HUB_OFFLINE=0 explicitly.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. SIGTERM ends a command like Ctrl-C (message, exit 143, resumable)."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="synthrr")
