"""Shared CLI plumbing: ``--config`` / ``--set`` and flag-to-field mapping onto :class:`RunConfig`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from synthrr.config import RunConfig, parse_set_option
from synthrr.core.errors import ConfigError
from synthrr.core.log import progress_switch

F = TypeVar("F", bound=Callable[..., Any])


def config_options(func: F) -> F:
    """Add ``--config FILE`` and repeatable ``--set KEY=VALUE`` to a command."""
    func = click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="KEY=VALUE",
        help="override any config field by its dotted name, e.g. --set retrieval.k=20",
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=None,
        help="run config YAML; flags and --set override it",
    )(func)
    return func


def build_config(config_path: Path | None, sets: tuple[str, ...], flags: dict[str, Any]) -> RunConfig:
    """Config file (or defaults) <- flags (dotted keys, ``None`` = not given) <- ``--set`` items."""
    cfg = RunConfig.from_yaml(config_path) if config_path else RunConfig()
    given = dict(parse_set_option(s) for s in sets)
    try:
        return cfg.with_overrides({**flags, **given})
    except ConfigError as e:
        if e.field not in given:
            raise  # a flag's value: the message names the field the flag sets
        raise ConfigError(e.field, e.detail, source="--set") from None


def executor_options(what: str) -> Callable[[F], F]:
    """Add ``--executor local|ray`` (``what``: where it applies) and ``--ray-address`` to a command."""

    def deco(func: F) -> F:
        func = click.option(
            "--ray-address",
            envvar="RAY_ADDRESS",
            default=None,
            help="Ray cluster address (--executor ray) [local instance]",
        )(func)
        return click.option("--executor", type=click.Choice(["local", "ray"]), default=None, help=f"{what} [local]")(
            func
        )

    return deco


def _progress_switch(ctx: click.Context, param: click.Parameter, quiet: bool) -> None:
    ctx.with_resource(progress_switch(not quiet))  # for the command's run, restored when it ends


def quiet_option(func: F) -> F:
    """Add ``-q/--quiet`` (also spelt ``--no-progress``): no progress bars or step lines; warnings,
    errors and the result still print. It sets the progress switch (:func:`synthrr.core.log.progress_switch`)
    for the command's run; the command does not receive it."""
    return click.option(
        "-q",
        "--quiet",
        "--no-progress",
        "quiet",
        is_flag=True,
        expose_value=False,
        callback=_progress_switch,
        help="no progress bars or step lines (warnings, errors and results still print)",
    )(func)


def _deprecated_text_field(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        logging.getLogger("synthrr.cli").warning("--text-field is deprecated; use --text-column %s", value)
    return value


def text_column_option(func: F) -> F:
    """Add ``--text-column`` (``corpus.text_column``) and its old, hidden spelling ``--text-field``
    (a warning when used); the command receives ``text_column`` and ``text_field``."""
    func = click.option("--text-field", hidden=True, default=None, callback=_deprecated_text_field)(func)
    return click.option(
        "--text-column",
        default=None,
        metavar="COLUMN",
        help="text column (CSV/TSV/Parquet) or key (JSONL) of a corpus file [default: text]",
    )(func)
