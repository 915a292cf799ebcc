"""``synthrr generate``: a labelled synthetic dataset from a task, a corpus and an LLM."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from synthrr.cli.options import build_config, config_options, executor_options, quiet_option, text_column_option
from synthrr.stages.generate import generate as run_generate
from synthrr.stages.generate import plan

if TYPE_CHECKING:
    from synthrr.stages.generate import RunResult

QUOTA_UNMET_EXIT = 4  # the run finished but some label kept fewer examples than its target


@click.command()
@click.option("--task", default=None, help="built-in task name or task YAML path [imdb]")
@click.option(
    "--corpus",
    default=None,
    help="built-in corpus or corpus path (join several with +), for synthesizrr and regen [movie_plots]",
)
@text_column_option
@click.option(
    "--method",
    default=None,
    help="synthesizrr, fewgen, zerogen, supergen, attrprompt, progen or regen (method options: "
    "--set synthesis.method_options.NAME=VALUE) [synthesizrr]",
)
@click.option("--n", "n", type=int, default=None, help="target number of examples after filtering [1000]")
@click.option("--shots", type=int, default=None, help="in-context demonstrations per prompt [3]")
@click.option("--llm", "backend", default=None, help="LLM backend: llamacpp, transformers, openai, fake [llamacpp]")
@click.option("--model", default=None,
              help="the model: a name from `synthrr assets` (qwen-coder-0.5b), a GGUF file, a folder or hub id, "
              "a server's model name (llm.model) [the backend's default]")  # fmt: skip
@click.option("--retriever", default=None, help="bm25 or dense [dense]")
@click.option("-k", "k", type=int, default=None, help="passages retrieved per seed [50]")
@click.option("--per-label", type=int, default=None, help="seeds per label [100 binary, 50 otherwise]")
@click.option("--threads", type=int, default=None, help="CPU threads for the engines [all cores]")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="parent folder of run directories [runs]")
@click.option("--hits-from", type=click.Path(path_type=Path), default=None,
              help="reuse the seeds and hits of a `synthrr retrieve --out DIR` with the same settings")  # fmt: skip
@executor_options("where LLM shards run")
@quiet_option
@click.option("--dry-run", is_flag=True,
              help="seeds, retrieval and round 1's prompts; print what they would cost; no LLM call")  # fmt: skip
@config_options
def generate(
    task: str | None,
    corpus: str | None,
    text_column: str | None,
    text_field: str | None,
    method: str | None,
    n: int | None,
    shots: int | None,
    backend: str | None,
    model: str | None,
    retriever: str | None,
    k: int | None,
    per_label: int | None,
    threads: int | None,
    out: Path | None,
    hits_from: Path | None,
    executor: str | None,
    ray_address: str | None,
    dry_run: bool,
    config_path: Path | None,
    sets: tuple[str, ...],
) -> None:
    """Generate a labelled synthetic dataset into OUT/<task>-<method>-<fingerprint>/.

    The run directory holds data.parquet and data.jsonl (kept examples with provenance),
    candidates.parquet (every parsed generation with its filter verdict), config.yaml and
    manifest.json (counts per stage and per drop reason, tokens, timings, versions).
    Rerunning the same command resumes from the LLM cache without repeating calls.

    Exit status: 0 when every label met its quota; 3 when the LLM budget stopped the run; 4 when a
    label's quota is unmet (its inputs ran out, or max_prompts); 2 for bad input. The run directory
    is written in every case.
    """
    cfg = build_config(
        config_path,
        sets,
        {
            "task": task,
            "corpus.name": corpus,
            "corpus.text_column": text_column or text_field,
            "synthesis.method": method,
            "synthesis.n": n,
            "synthesis.shots": shots,
            "llm.backend": backend,
            "llm.model": model,
            "retrieval.retriever": retriever,
            "retrieval.k": k,
            "seeds.per_label": per_label,
            "threads": threads,
            "out": str(out) if out else None,
            "hits_from": str(hits_from) if hits_from else None,
            "executor": executor,
            "ray.address": ray_address,
        },
    )
    if dry_run:
        click.echo(plan(cfg).format())
        return
    _report(run_generate(cfg), cfg.synthesis.n)


def _report(result: RunResult, target: int) -> None:
    """What the run kept, per label, dropped and spent; a non-zero exit when a quota is unmet."""
    m = result.manifest
    click.echo(f"run directory: {result.run_dir}")
    click.echo(f"kept {m.kept} of target {target} ({m.status})")
    click.echo("per label: " + ", ".join(f"{lab}={q.kept}/{q.target}" for lab, q in m.per_label.items()))
    if m.drops:
        click.echo("dropped: " + ", ".join(f"{k}={v}" for k, v in m.drops.items()))
    llm = m.llm
    click.echo(
        f"LLM: {llm.get('calls', 0)} calls, {llm.get('cache_hits', 0)} cache hits, "
        f"{llm.get('prompt_tokens', 0)} tokens in, {llm.get('completion_tokens', 0)} out"
    )
    short = m.shortfall()
    if m.status != "complete":
        click.echo(
            f"quota not met ({m.stop_reason}): short by " + ", ".join(f"{lab} {k}" for lab, k in short.items()),
            err=True,
        )
        # a CI job must be able to tell: 3 = stopped by the LLM budget, 4 = a label's quota unmet
        raise SystemExit(3 if m.stop_reason == "budget" else QUOTA_UNMET_EXIT)
