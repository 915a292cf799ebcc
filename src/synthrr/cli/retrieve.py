"""``synthrr seeds`` and ``synthrr retrieve``: the seed set and content-sourcing stages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from synthrr.cli.options import build_config, config_options, quiet_option, text_column_option
from synthrr.core.errors import UsageError
from synthrr.core.io import writable_dir, writable_file
from synthrr.stages.retrieve import run_retrieval, write_retrieval
from synthrr.stages.seeds import draw_seed_set
from synthrr.tasks.sampling import save_seeds

if TYPE_CHECKING:
    from synthrr.stages.retrieve import RetrievalResult


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@click.command()
@click.option("--task", default=None, help="built-in task name or task YAML path [imdb]")
@click.option("--per-label", type=int, default=None, help="seeds per label [100 binary, 50 otherwise]")
@click.option("--seed", type=int, default=None, help="random seed [42]")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="write the seed set here (.parquet)")
@config_options
def seeds(
    task: str | None,
    per_label: int | None,
    seed: int | None,
    out: Path | None,
    config_path: Path | None,
    sets: tuple[str, ...],
) -> None:
    """Draw a label-balanced seed set from a task's train split."""
    cfg = build_config(config_path, sets, {"task": task, "seeds.per_label": per_label, "seeds.seed": seed})
    if out is not None:
        writable_file(out, "seed file")
    t, examples = draw_seed_set(cfg)
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.label] = counts.get(ex.label, 0) + 1
    click.echo(f"{len(examples)} seeds for task '{t.name}': " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if out is not None:
        save_seeds(examples, out)
        click.echo(f"wrote {out}")


@click.command()
@click.option("--task", default=None, help="built-in task name or task YAML path [imdb]")
@click.option("--corpus", default=None, help="built-in corpus name or corpus path; join several with + [movie_plots]")
@text_column_option
@click.option("--retriever", default=None, help="retriever name: bm25, dense [dense]")
@click.option("-k", "k", type=int, default=None, help="passages per seed [50]")
@click.option("--per-label", type=int, default=None, help="seeds per label [100 binary, 50 otherwise]")
@click.option("--threads", type=int, default=None, help="CPU threads for the encoder [all cores]")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="output folder (required)")
@click.option(
    "--show", type=click.IntRange(0), default=3, show_default=True, help="print this many seeds with their top hits"
)
@quiet_option
@config_options
def retrieve(
    task: str | None,
    corpus: str | None,
    text_column: str | None,
    text_field: str | None,
    retriever: str | None,
    k: int | None,
    per_label: int | None,
    threads: int | None,
    out: Path | None,
    show: int,
    config_path: Path | None,
    sets: tuple[str, ...],
) -> None:
    """Retrieve the top-K corpus passages for every seed and write them as Parquet.

    Writes OUT/seeds.parquet, OUT/hits.parquet (seed_id, passage_id, rank, score),
    OUT/config.yaml (the resolved run config) and OUT/retrieval.json (counts, timings).
    """
    cfg = build_config(
        config_path,
        sets,
        {
            "task": task,
            "corpus.name": corpus,
            "corpus.text_column": text_column or text_field,
            "retrieval.retriever": retriever,
            "retrieval.k": k,
            "seeds.per_label": per_label,
            "threads": threads,
            "out": str(out) if out else None,
        },
    )
    if cfg.out is None:
        raise UsageError("retrieve needs an output folder: --out DIR (or 'out:' in the config)")

    writable_dir(cfg.out)
    result = run_retrieval(cfg)
    paths = write_retrieval(result, cfg, Path(cfg.out))
    s = result.summary()
    click.echo(
        f"{s['hits']} hits for {s['seeds']} seeds of '{s['task']}' over {s['corpus_passages']} passages "
        f"of '{s['corpus']}' ({cfg.retrieval.retriever}, k={cfg.retrieval.k}) in {s['timings_s']['retrieve']:.1f}s"
    )
    if show:
        print_examples(result, show)
    wrote = [str(paths[k]) for k in ("hits", "seeds") if k in paths]  # no hits.parquet when nothing was found
    click.echo(f"wrote {' and '.join(wrote) or 'no seeds and no hits'}")


def print_examples(result: RetrievalResult, n: int, passages_per_seed: int = 2) -> None:
    """Print ``n`` seeds (spread over labels) with their top passages."""
    by_label: dict[str, list[int]] = {}
    for i, ex in enumerate(result.seeds):
        by_label.setdefault(ex.label, []).append(i)
    order = [idx for group in zip(*by_label.values(), strict=False) for idx in group][:n]
    for i in order:
        ex = result.seeds[i]
        click.echo(f"\n[{ex.label}] seed {ex.id}: {_shorten(ex.text, 160)}")
        hits = result.hits_for(ex.id)[:passages_per_seed]
        passages = {p.id: p for p in result.corpus.get([h.passage_id for h in hits])}
        for h in hits:
            p = passages.get(h.passage_id)
            click.echo(f"   #{h.rank} ({h.score:.3f}) {_shorten(p.text if p else h.passage_id, 150)}")
