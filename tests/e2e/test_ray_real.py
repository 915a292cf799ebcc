"""The real SmolLM2 model (llama.cpp) on Ray actors gives the same dataset as the local executor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synthrr.config import RunConfig
from synthrr.synth.run import generate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _cfg(out: Path, **top: Any) -> RunConfig:
    data: dict[str, Any] = {
        "task": "imdb",
        "seeds": {"per_label": 3},
        # one slot and no prompt-cache reuse: llama.cpp's continuous batching is not batch-invariant,
        # so only a serial engine gives bit-identical samples whichever process runs a shard
        "llm": {
            "backend": "llamacpp",
            "sampling": {"max_tokens": 32},
            "options": {"n_ctx": 2048, "n_parallel": 1, "cache_prompt": False},
        },
        "synthesis": {"method": "fewgen", "n": 4, "shots": 2, "demo_tokens": 40},
        "threads": 1,  # the same engine threads everywhere, so sampling is bit-identical
        "shard_size": 3,  # the same batches reach the engine on both executors
        "out": str(out),
    }
    data.update(top)
    return RunConfig.from_dict(data)


def test_real_model_same_dataset_on_local_and_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ray_local: Any
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-local"))
    local = generate(_cfg(tmp_path / "a"), progress=False)
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))  # fresh cache: the actors really generate
    remote = generate(_cfg(tmp_path / "b", executor="ray", ray={"actors": 2, "cpus_per_actor": 1}), progress=False)
    assert remote.manifest["llm"]["calls"] == local.manifest["llm"]["calls"] > 0
    assert len(remote.manifest["executor"]["workers"]) == 2
    rows = sorted((r.id, r.label, r.text) for r in local.rows)
    assert rows and sorted((r.id, r.label, r.text) for r in remote.rows) == rows
    cands = sorted((r.id, r.label, r.text, r.verdict) for r in local.candidates)
    assert sorted((r.id, r.label, r.text, r.verdict) for r in remote.candidates) == cands
