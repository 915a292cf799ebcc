"""The transformers backend on the real SmolLM2-135M (GGUF converted once to an fp32 folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthrr.config import LLMConfig
from synthrr.errors import BackendError
from synthrr.llm import LLMCache, LLMRequest, Sampling, make_client

pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytestmark = pytest.mark.e2e


def test_generate_on_the_real_model_then_cached(tmp_path: Path, synthrr_home: Path) -> None:
    client = make_client(
        LLMConfig(backend="transformers", options={"threads": 1, "batch_size": 4}),
        progress=False,
        cache_path=tmp_path / "c.sqlite",
    )
    batch = [
        LLMRequest.chat("Write one sentence about a cat.", sampling=Sampling(max_tokens=8, seed=1)),
        LLMRequest.completion("The capital of France is", sampling=Sampling(max_tokens=8, stop=(".",))),
    ]
    first = client.generate(batch)
    assert all(r.completions[0].text.strip() for r in first)
    assert all(0 < r.completions[0].completion_tokens <= 8 for r in first)
    assert first[0].prompt_tokens > 10 and "." not in first[1].completions[0].text
    assert client.backend.model_identity().endswith("|float32")  # type: ignore[union-attr]
    assert list((synthrr_home / "models").glob("SmolLM2-135M-Instruct.Q4_1-*-fp32/config.json"))

    again = make_client(LLMConfig(backend="transformers"), progress=False, cache_path=tmp_path / "c.sqlite")
    assert [r.completions for r in again.generate(batch)] == [r.completions for r in first]
    assert again.last_stats.calls == 0 and again.backend.calls == 0  # type: ignore[attr-defined]
    assert len(LLMCache(tmp_path / "c.sqlite")) == 2


def test_missing_model_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as e:
        make_client(LLMConfig(backend="transformers", options={"model": str(tmp_path / "missing")}))
    assert e.value.exit_code == 2 and "'transformers'" in str(e.value) and "missing" in str(e.value)
