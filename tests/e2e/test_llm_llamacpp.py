"""The default backend on the real SmolLM2-135M GGUF, through the full client path."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from synthrr.config import LLMConfig
from synthrr.core.errors import BackendError
from synthrr.llm import LLMCache, LLMClient, LLMRequest, Sampling, make_client

pytest.importorskip("xllamacpp")
pytestmark = pytest.mark.e2e

SAMPLING = Sampling(max_tokens=16, temperature=0.95, top_p=0.9, seed=7)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMClient]:
    cache = LLMCache(tmp_path_factory.mktemp("llm") / "cache.sqlite")
    c = make_client(LLMConfig(options={"n_parallel": 2, "threads": 1, "n_ctx": 512}))
    c.cache = cache
    yield c
    c.close()


def batch() -> list[LLMRequest]:
    return [
        LLMRequest.chat("Write one sentence about a football match.", sampling=SAMPLING),
        LLMRequest.chat("Write one sentence about a new phone.", sampling=Sampling(max_tokens=16, seed=7, n=2)),
        LLMRequest.completion("The stock market today", sampling=Sampling(max_tokens=16, stop=(".",))),
    ]


def test_chat_and_completion_then_a_rerun_is_all_cache_hits(client: LLMClient) -> None:
    engine = client.backend
    first = client.generate(batch())
    assert engine.calls == 4 and client.last_stats.calls == 4  # type: ignore[attr-defined]
    assert all(c.text.strip() for r in first for c in r.completions)
    assert all(0 < c.completion_tokens <= 16 for r in first for c in r.completions)
    assert first[0].prompt_tokens > 10  # the chat template was applied
    assert len(first[1].completions) == 2 and first[1].completions[0] != first[1].completions[1]
    assert "." not in first[2].completions[0].text
    assert client.last_stats.prompt_tokens > 0 and client.last_stats.tokens_per_s > 0

    second = client.generate(batch())
    assert engine.calls == 4, "the rerun made engine calls"  # type: ignore[attr-defined]
    assert client.last_stats.calls == 0 and client.last_stats.cache_hits == 4
    assert client.last_stats.hit_rate == 1.0
    assert [r.completions for r in second] == [r.completions for r in first]


def test_logprobs_are_the_mean_of_the_engines_per_token_values(client: LLMClient) -> None:
    """The mean equals one computed here from the engine's own per-token answer, a greedy text is
    likelier than hot samples of the same prompt, and a rerun serves the same numbers from the cache."""
    engine = client.backend
    greedy = LLMRequest.chat(
        "Write one sentence about a cat.", sampling=Sampling(max_tokens=24, temperature=0.0, logprobs=True)
    )
    body = engine.request_body(greedy, 0) | {"top_logprobs": 5}  # type: ignore[attr-defined]
    direct = engine.server.handle_chat_completions(body)  # type: ignore[attr-defined]
    tokens = direct["choices"][0]["logprobs"]["content"]
    assert all(t["logprob"] == max(a["logprob"] for a in t["top_logprobs"]) for t in tokens)  # greedy: the argmax

    [got] = client.generate([greedy])
    [c] = got.completions
    assert c.text == direct["choices"][0]["message"]["content"] and c.logprob is not None
    assert math.isclose(c.logprob, statistics.fmean(t["logprob"] for t in tokens), abs_tol=1e-4)

    hot = replace(greedy, sampling=replace(greedy.sampling, temperature=1.8, top_p=1.0, n=3, seed=3))
    text = LLMRequest.completion("The stock market today", sampling=Sampling(max_tokens=12, seed=5, logprobs=True))
    hot_got, text_got = client.generate([hot, text])
    hot_lps = [h.logprob for h in hot_got.completions]
    assert all(lp is not None and c.logprob > lp for lp in hot_lps), (c.logprob, hot_lps)
    [t] = text_got.completions
    assert t.logprob is not None and math.isfinite(t.logprob) and -20 < t.logprob < 0
    calls = engine.calls  # type: ignore[attr-defined]
    again = client.generate([greedy, hot, text])
    assert engine.calls == calls and all(r.cached for r in again)  # type: ignore[attr-defined]
    assert [r.completions for r in again] == [r.completions for r in (got, hot_got, text_got)]


def test_identity_is_the_gguf_content_hash(client: LLMClient) -> None:
    ident = client.backend.model_identity()
    assert ident.startswith("gguf-sha256:") and len(ident) == len("gguf-sha256:") + 64
    assert client.backend.model_label() == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_prompt_longer_than_the_context_is_a_clear_config_error(client: LLMClient) -> None:
    long = LLMRequest.completion("word " * 600, sampling=Sampling(max_tokens=4))
    with pytest.raises(BackendError) as e:
        client.generate([long])
    msg = str(e.value)
    assert e.value.exit_code == 2 and "'llamacpp'" in msg
    assert "exceeds the context of 512 tokens" in msg and "n_ctx" in msg


def test_missing_or_bad_model_file(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as e:
        make_client(LLMConfig(options={"model_path": str(tmp_path / "nope.gguf")}))
    assert e.value.exit_code == 2 and "'llamacpp'" in str(e.value) and "nope.gguf" in str(e.value)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(BackendError, match="not a GGUF file"):
        make_client(LLMConfig(options={"model_path": str(bad)}))


# ---- prefix-aware scheduling on the real engine --------------------------------------------------
PREFIX = " ".join(["A detective returns to the small coastal town where she grew up."] * 12)


def _grouped(group: str | None) -> list[LLMRequest]:
    """Three prompts sharing a long prefix (one demonstration block), plus one other prompt."""
    shared = ({"role": "user", "content": PREFIX}, {"role": "assistant", "content": "A moody, gripping thriller."})
    reqs = [
        LLMRequest(
            messages=(*shared, {"role": "user", "content": f"Review number {i}, please."}),
            sampling=Sampling(max_tokens=4, seed=i),
            group=group,
        )
        for i in range(3)
    ]
    return [*reqs, LLMRequest.chat("Say hello.", sampling=Sampling(max_tokens=4))]


@pytest.mark.parametrize("pin", [True, False])
def test_a_prefix_group_runs_on_one_slot_and_reuses_its_prefix(pin: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from synthrr.llm.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend.from_options({"n_parallel": 2, "threads": 1, "n_ctx": 1024, "pin_slots": pin})
    sent: list[tuple[str, int | None]] = []
    engine = backend.server
    real = engine.handle_chat_completions

    class Spy:  # the engine object is a C extension: wrap it to see each request's body
        listening_address = engine.listening_address

        def handle_chat_completions(self, body: dict) -> dict:
            sent.append((body["messages"][-1]["content"], body.get("id_slot")))
            return real(body)

    monkeypatch.setattr(backend, "_server", Spy())
    try:
        out = list(backend.generate(_grouped("block-0")))
        assert len(out) == 4
        prompt_tokens = dict(out)[0].prompt_tokens
        slots = {content: slot for content, slot in sent}
        block = [slots[f"Review number {i}, please."] for i in range(3)]
        if pin:
            assert len(set(block)) == 1 and block[0] in (0, 1)  # the block on one slot, named in the request
            assert slots["Say hello."] != block[0]
            # only the first prompt of the block prefilled the shared part
            assert backend.prompt_tokens_computed < prompt_tokens + 2 * 40 + 20
        else:
            assert set(block) == {None}  # llama.cpp picks: the block's first two prompts land on both slots
            assert backend.prompt_tokens_computed >= 2 * prompt_tokens - 20
    finally:
        backend.close()
