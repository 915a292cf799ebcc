"""The transformers backend on the real SmolLM2-135M (GGUF converted once to an fp32 folder)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from synthrr.config import LLMConfig
from synthrr.core.errors import BackendError
from synthrr.llm import LLMCache, LLMRequest, Sampling, make_client

pytest.importorskip("transformers")
pytest.importorskip("gguf")
pytestmark = pytest.mark.e2e


def test_generate_on_the_real_model_then_cached(tmp_path: Path, synthrr_home: Path) -> None:
    client = make_client(
        LLMConfig(backend="transformers", options={"threads": 1, "batch_size": 4}),
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

    again = make_client(LLMConfig(backend="transformers"), cache_path=tmp_path / "c.sqlite")
    assert [r.completions for r in again.generate(batch)] == [r.completions for r in first]
    assert again.last_stats.calls == 0 and again.backend.calls == 0  # type: ignore[attr-defined]
    assert len(LLMCache(tmp_path / "c.sqlite")) == 2


def test_logprobs_match_a_separate_forward_pass(tmp_path: Path) -> None:
    """A greedy text's mean log-probability equals the one a plain forward pass over prompt + text
    (+ end-of-text) gives, and exceeds those of hot samples of the same prompt."""
    import torch

    client = make_client(
        LLMConfig(backend="transformers", options={"threads": 1, "batch_size": 4}),
        cache_path=tmp_path / "c.sqlite",
    )
    greedy = LLMRequest.chat(
        "Write one sentence about a cat.", sampling=Sampling(max_tokens=32, temperature=0.0, logprobs=True)
    )
    hot = replace(greedy, sampling=replace(greedy.sampling, temperature=1.8, top_p=1.0, n=3, seed=3))
    got, hot_got = client.generate([greedy, hot])
    [c] = got.completions
    assert c.finish_reason == "stop" and c.logprob is not None and -20 < c.logprob < 0
    hot_lps = [h.logprob for h in hot_got.completions]
    assert all(lp is not None and math.isfinite(lp) and c.logprob > lp for lp in hot_lps), (c.logprob, hot_lps)

    backend = client.backend
    model, tok = backend._load()  # type: ignore[attr-defined]
    prompt = backend._encode(tok, greedy)  # type: ignore[attr-defined]
    new = [*tok(c.text, add_special_tokens=False)["input_ids"], tok.eos_token_id]  # ended by end-of-text
    assert len(new) == c.completion_tokens + 1
    with torch.inference_mode():
        logits = model(torch.tensor([prompt + new])).logits[0, len(prompt) - 1 : -1]
    scored = torch.log_softmax(logits.float(), dim=-1).gather(1, torch.tensor(new)[:, None]).mean().item()
    assert math.isclose(c.logprob, scored, abs_tol=1e-3), (c.logprob, scored)

    again = client.generate([greedy, hot])
    assert client.last_stats.calls == 0 and [r.completions for r in again] == [got.completions, hot_got.completions]


def test_missing_model_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as e:
        make_client(LLMConfig(backend="transformers", options={"model": str(tmp_path / "missing")}))
    assert e.value.exit_code == 2 and "'transformers'" in str(e.value) and "missing" in str(e.value)
