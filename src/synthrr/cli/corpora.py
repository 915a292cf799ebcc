"""``synthrr corpora``: list the built-in corpora, or ingest / show one corpus with its drop counts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from synthrr.cli.options import build_config, config_options, quiet_option, text_column_option
from synthrr.core.paths import home, safe_name
from synthrr.corpus import get_corpus, list_corpora

_FLAGS = {
    "text_column": "corpus.text_column",
    "id_field": "corpus.id_field",
    "min_tokens": "corpus.min_tokens",
    "max_tokens": "corpus.max_tokens",
    "chunk_tokens": "corpus.chunk_tokens",
    "chunk_overlap": "corpus.chunk_overlap",
}


@click.command("corpora")
@click.option(
    "--corpus", "corpus", metavar="NAME_OR_PATH", help="built-in name, JSONL/CSV/TSV/Parquet file or .txt folder"
)
@text_column_option
@click.option("--id-field", help="optional document id column/key")
@click.option("--min-tokens", type=int, help="drop passages shorter than this [default: 20]")
@click.option("--max-tokens", type=int, help="drop passages longer than this [default: 400]")
@click.option("--chunk-tokens", type=int, help="cut documents into windows of this many tokens")
@click.option("--chunk-overlap", type=int, help="tokens shared by consecutive windows")
@quiet_option
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@config_options
def corpora(
    corpus: str | None,
    text_field: str | None,
    as_json: bool,
    config_path: Path | None,
    sets: tuple[str, ...],
    **flags: Any,
) -> None:
    """List the built-in corpora with their passage counts, or ingest and describe one corpus.

    \b
    Examples:
      synthrr corpora
      synthrr corpora --corpus wiki
      synthrr corpora --corpus docs.jsonl --text-column body --chunk-tokens 200 --chunk-overlap 20
      synthrr corpora --corpus ./my_txt_folder --min-tokens 5
    """
    flags["text_column"] = flags["text_column"] or text_field  # the old spelling, if that is what was given
    given = {_FLAGS[k]: v for k, v in flags.items() if v is not None}
    if corpus is None and not given and config_path is None and not sets:
        _list_builtins(as_json)
        return
    if corpus is not None:
        given["corpus.name"] = corpus
    cfg = build_config(config_path, sets, given).corpus
    _show_one(cfg.name, cfg, as_json)


def _list_builtins(as_json: bool) -> None:
    rows = []
    for info in list_corpora():
        passages = info.passages
        if passages is None and info.file != "(not installed)":
            passages = len(get_corpus(info.name))  # ingest once; cached afterwards
        rows.append({**dataclasses.asdict(info), "passages": passages})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows)
    click.echo(f"{'name':<{width}}  {'passages':>8}  {'package':<24}  description")
    for r in rows:
        n = "-" if r["passages"] is None else str(r["passages"])
        click.echo(f"{r['name']:<{width}}  {n:>8}  {r['package']:<24}  {r['description']}")


def _show_one(name: str, cfg: Any, as_json: bool) -> None:
    c = get_corpus(name, cfg)
    meta = {**c.meta, "path": str(c.path), "from_cache": c.from_cache, "indexes": _indexes_of(c.fingerprint)}
    if as_json:
        click.echo(json.dumps(meta, indent=2))
        return
    counts, tokens, s = meta["counts"], meta["tokens"], meta["settings"]
    settings = " ".join(f"{k}={v}" for k, v in s.items() if v is not None)
    lines = [
        ("corpus", c.name),
        ("source", f"{meta['source']['kind']} {meta['source']['path']}"),
        ("cache", f"{c.path} ({'reused' if c.from_cache else 'ingested now'})"),
        ("fingerprint", c.fingerprint),
        ("settings", settings),
        ("documents read", counts["read"]),
        ("dropped empty", counts["empty"]),
        ("passages", counts["candidates"]),
        ("dropped too short", counts["too_short"]),
        ("dropped too long", counts["too_long"]),
        ("dropped duplicate", counts["duplicate"]),
        ("kept", counts["kept"]),
        ("tokens", " ".join(f"{k} {tokens[k]}" for k in ("min", "p50", "mean", "p90", "max"))),
        ("shards", len(meta["shards"])),
        ("ingest", f"{meta['seconds']} s ({meta['passages_per_s']} passages/s)"),
    ]
    lines += [("index", _index_line(x)) for x in meta["indexes"]]
    for key, value in lines:
        click.echo(f"{key:<18} {value}")


def _indexes_of(fingerprint: str) -> list[dict[str, Any]]:
    """The ``index.json`` of every index built over this corpus (retriever, encoder, kind, recall)."""
    root = home() / "indexes"
    found = sorted(root.glob(f"{safe_name(fingerprint, 'corpus')}-*/index.json")) if root.is_dir() else []
    out = []
    for path in found:
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged index is rebuilt when it is next opened
        out.append({"path": str(path.parent), **info.get("retriever", {}), "build_seconds": info.get("build_seconds")})
    return out


def _index_line(x: dict[str, Any]) -> str:
    opts, index = x.get("options") or {}, x.get("index") or {}
    parts = [str(x.get("name")), f"encoder={opts['encoder']}" if "encoder" in opts else ""]
    parts += [f"index={index['kind']}"] if "kind" in index else []
    parts += [f"{k}={v}" for k, v in index.items() if k.startswith("recall@") or k in ("nlist", "nprobe")]
    return " ".join(p for p in parts if p) + f"  ({x['path']})"
