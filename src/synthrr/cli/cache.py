"""``synthrr cache``: inspect, clear and merge content-addressed LLM caches."""

from __future__ import annotations

import json
from pathlib import Path

import click

from synthrr.core.errors import InputError
from synthrr.llm.cache.integrity import inspect_source
from synthrr.llm.cache.repair import check_cache, repair_cache
from synthrr.llm.cache.store import LLMCache, default_path

_path_option = click.option(
    "--path",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="cache file (default: $SYNTHRR_HOME/llm-cache.sqlite)",
)


@click.group()
def cache() -> None:
    """Inspect, check, repair, clear or merge LLM caches (every LLM answer synthrr has received)."""


def _existing(path: Path | None) -> Path:
    """The cache file a command reads: ``--path`` must exist; the default may not exist yet."""
    if path is not None and not path.exists():
        raise InputError(path, "cache file not found")
    return path or default_path()


@cache.command()
@_path_option
@click.option("--json", "as_json", is_flag=True, help="print the statistics as JSON")
def stats(path: Path | None, as_json: bool) -> None:
    """Entries, size on disk and cache hits, per backend and model."""
    with LLMCache(_existing(path)) as c:
        info = c.stats()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"cache: {info['path']}")
    click.echo(f"entries: {info['entries']:,}  hits: {info['hits']:,}  size: {_size(info['bytes'])}")
    if info["models"]:
        rows = [("backend", "model", "entries", "hits", "last written")]
        rows += [(m["backend"], m["label"], f"{m['entries']:,}", f"{m['hits']:,}", m["last"]) for m in info["models"]]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            click.echo(
                "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
            )


@cache.command()
@_path_option
@click.option("--backend", default=None, help="only delete the entries of this backend")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
def clear(path: Path | None, backend: str | None, yes: bool) -> None:
    """Delete cached LLM answers (all, or one backend's). The next run regenerates them."""
    c = LLMCache(_existing(path))
    what = f"the '{backend}' entries of" if backend else "every entry in"
    if not c.path.exists():
        click.echo(f"no cache at {c.path}; nothing to clear")
        return
    if not yes:
        click.confirm(f"Delete {what} {c.path}?", abort=True, err=True)
    with c:
        n = c.clear(backend)
    click.echo(f"deleted {n:,} entries from {c.path}")


@cache.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--into",
    "into",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="cache file merged into (default: $SYNTHRR_HOME/llm-cache.sqlite)",
)
def merge(sources: tuple[Path, ...], into: Path | None) -> None:
    """Merge other LLM cache files (e.g. one per node of a Ray cluster) into the cache (--into).

    Entries whose key is already there keep their answer; each SOURCE is merged in one transaction
    (all of it or nothing). Prints the rows each source added.
    """
    # every source is checked before the destination is opened or created
    digests = [inspect_source(src) for src in sources]
    with LLMCache(into or default_path()) as c:
        added = 0
        for src, has_digest in zip(sources, digests, strict=True):
            n, total = c.merge(src, has_digest=has_digest)
            added += n
            click.echo(f"{src}: {n:,} new of {total:,} entries")
        click.echo(f"merged {added:,} entries into {c.path} ({len(c):,} entries now)")


@cache.command()
@_path_option
def check(path: Path | None) -> None:
    """Check a cache file: SQLite's integrity check and every answer against its digest.

    Exits 0 when the cache is intact, 1 when it found damage (then see `synthrr cache repair`)."""
    report = check_cache(_existing(path))
    click.echo(f"cache: {report.path}")
    click.echo(f"intact entries: {report.entries:,}  damaged entries: {report.damaged:,}")
    if report.unreadable_ranges:
        click.echo(f"key ranges SQLite could not read: {report.unreadable_ranges} of 256")
    for problem in report.problems:
        click.echo(f"sqlite: {problem}")
    if not report.ok:
        click.echo(f"damaged; `synthrr cache repair --path {report.path}` salvages the intact answers", err=True)
        raise SystemExit(1)
    click.echo("ok")


@cache.command()
@_path_option
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
def repair(path: Path | None, yes: bool) -> None:
    """Salvage the intact answers of a damaged cache into a new file that takes its place.

    The damaged file is kept beside it (``<name>.damaged-<time>``); answers that were lost are
    asked again by the next run that needs them."""
    target = _existing(path)
    if not target.exists():
        raise InputError(target, "cache file not found")
    if not yes:
        click.confirm(f"Rebuild {target} from its intact answers?", abort=True, err=True)
    r = repair_cache(target)
    click.echo(f"salvaged {r.salvaged:,} entries into {target}; dropped {r.dropped:,} damaged entries")
    if r.unreadable_ranges:
        click.echo(f"{r.unreadable_ranges} of 256 key ranges could not be read; their answers are lost")
    click.echo(f"the damaged file is kept at {r.damaged_copy}")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
