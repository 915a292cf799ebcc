"""The ``synthrr`` command line: a thin layer over the library, one module per command.

Commands are imported lazily, so ``synthrr --help`` stays fast and never imports torch.
Every :class:`~synthrr.core.errors.SynthrrError` becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import atexit
import importlib
import os
import re
import signal
import sys
from typing import Any

import click

from synthrr.core.errors import SynthrrError
from synthrr.core.log import command_voice

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

#: command name -> the first sentence of its help, listed by ``synthrr --help`` without importing every
#: command (and through them the whole library); tests/unit/test_imports.py keeps the two equal
SUMMARIES: dict[str, str] = {
    "assets": "Check and install the offline assets of the default path.",
    "cache": "Inspect, check, repair, clear or merge LLM caches (every LLM answer synthrr has received).",
    "compare": "Compare runs in one table (Markdown on stdout; CSV and JSON files too), with a Gold row: the same "
    "student trained on the same number of real train examples (label-balanced).",
    "corpora": "List the built-in corpora with their passage counts, or ingest and describe one corpus.",
    "doctor": "The same as `synthrr assets status`.",
    "evaluate": "Measure a run: intrinsic metrics and student scores on real test data -> RUN_DIR/metrics.json.",
    "export": "Export the kept examples of RUN_DIR into the new folder OUT, with a dataset card (README.md).",
    "generate": "Generate a labelled synthetic dataset into OUT/<task>-<method>-<fingerprint>/.",
    "predict": "Classify TEXTS (or --file) with a saved student: prints label and probability per text.",
    "report": "Write one HTML page (no network needed to open it) comparing RUN_DIRS of one task.",
    "retrieve": "Retrieve the top-K corpus passages for every seed and write them as Parquet.",
    "seeds": "Draw a label-balanced seed set from a task's train split.",
    "show": "Print N examples of RUN_DIR with the seed, passage, demonstrations and prompt behind each.",
    "tasks": "List the classification tasks: labels, split sizes and data source.",
}

_DEFAULT_NOTE = re.compile(r"\s*(?:\[(?:default: )?([^\[\]]+)\]|\(default:? ([^()]+)\))$")


def uniform_defaults(cmd: click.Command) -> None:
    """Write every option's default one way, click's own: a help text ending in ``[X]`` or
    ``(default: X)`` ends in ``[default: X]`` (subcommands of a group too)."""
    for param in cmd.params:
        help_text = getattr(param, "help", None)
        if isinstance(param, click.Option) and help_text:
            param.help = _DEFAULT_NOTE.sub(lambda m: f"  [default: {m.group(1) or m.group(2)}]", help_text)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            uniform_defaults(sub)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        uniform_defaults(cmd)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with the whole first sentence of its help, wrapped rather than cut with "..."."""
        rows = [(name, SUMMARIES[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:  # before click's teardown, where a Ctrl-C would print "Aborted!"; only under `main`
                if signal.getsignal(signal.SIGTERM) is _on_sigterm:
                    _install_exit_handlers()
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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="synthrr")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """synthrr: labelled training data from a few examples, a corpus and any LLM (SynthesizRR)."""
    # Hugging Face tokenizers warn when a process forks after using them (Ray, worker pools); a user's setting wins.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    ctx.call_on_close(command_voice())  # warnings as `warning: ...`, step lines as they are


def _interrupted_while_exiting(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM once the command is over: say so and leave at once (its output is written)."""
    name = "terminated" if signum == signal.SIGTERM else "interrupted"
    os.write(2, f"{name} while exiting; the command had finished, so there is nothing to resume\n".encode())
    os._exit(128 + signum)


def _ignore_late_signals() -> None:
    """The last exit handler: from here on the interpreter tears down modules without running Python
    signal handlers (it resets them to the default, which kills the process with no message), so a
    Ctrl-C that lands now is ignored and the exit status stays the command's."""
    if signal.getsignal(signal.SIGINT) is _interrupted_while_exiting:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


atexit.register(_ignore_late_signals)  # registered on import, so it runs after the handlers of later imports


def _install_exit_handlers() -> None:
    """From here on the command is over: an interrupt says so and leaves (see `_interrupted_while_exiting`).
    `signal.signal` runs a pending handler before it swaps, so a Ctrl-C that landed just before this
    call is raised here as KeyboardInterrupt: callers catch it."""
    signal.signal(signal.SIGINT, _interrupted_while_exiting)
    signal.signal(signal.SIGTERM, _interrupted_while_exiting)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. SIGTERM ends a command like Ctrl-C (message, exit 143, resumable);
    an interrupt after the command is over (while threads stop and exit handlers run) says so."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="synthrr")
        finally:
            _install_exit_handlers()
    except KeyboardInterrupt as e:  # landed while the handlers were being swapped: the command was over
        _interrupted_while_exiting(signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT, None)
