"""Shared CLI plumbing: ``--config`` / ``--set`` and flag-to-field mapping onto :class:`RunConfig`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from synthrr.config import RunConfig, parse_set_option

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
    overrides = dict(flags)
    overrides.update(parse_set_option(s) for s in sets)
    return cfg.with_overrides(overrides)


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
