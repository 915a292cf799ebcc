"""The optional Qwen2.5-Coder-0.5B generator, installed by `synthrr assets install qwen-coder-0.5b`
(`make install` does it), used by name: a tiny FewGen run through the CLI on the real model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.paths import home, subdir
from synthrr.llm.models import MODELS, assemble, missing_parts

pytestmark = pytest.mark.e2e

QWEN = MODELS["qwen-coder-0.5b"]
#: the cache root the user's `synthrr assets install` wrote to (the tests run under a private one)
INSTALLED = home() / "models" / QWEN.filename


@pytest.fixture
def qwen_installed() -> Path:
    """The assembled model inside the tests' cache root: linked from the user's install, else
    assembled from the part packages; skipped when neither is there."""
    target = subdir("models") / QWEN.filename
    if not target.exists() and INSTALLED.is_file() and INSTALLED.stat().st_size == QWEN.size:
        os.symlink(INSTALLED, target)
    if not QWEN.present():
        if missing_parts(QWEN):
            pytest.skip("qwen-coder-0.5b is not installed (synthrr assets install qwen-coder-0.5b)")
        assemble(QWEN)
    return target


def test_generate_with_qwen_by_name(qwen_installed: Path, tmp_path: Path) -> None:
    args = ["generate", "--task", "imdb", "--method", "fewgen", "--n", "2", "--shots", "2", "--per-label", "2",
            "--llm", "llamacpp", "--set", "llm.model=qwen-coder-0.5b",
            "--set", "llm.options.n_ctx=2048", "--set", "llm.options.n_parallel=2",
            "--set", "llm.sampling.max_tokens=48", "--set", "synthesis.filters.label_consistency=none",
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    run_dir = next(tmp_path.glob("imdb-fewgen-*"))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["model"]["identity"] == f"gguf-sha256:{QWEN.sha256}"
    assert manifest["model"]["label"] == QWEN.filename
    data = pd.read_parquet(run_dir / "data.parquet")
    assert sorted(data["label"]) == ["negative", "positive"]
    # the GGUF's own chat template (ChatML) framed the prompts: no template token leaks into the text
    cands = pd.read_parquet(run_dir / "candidates.parquet")
    assert not cands["text"].str.contains("<|im_", regex=False).any()
    assert data["text"].str.split().str.len().min() >= 3
