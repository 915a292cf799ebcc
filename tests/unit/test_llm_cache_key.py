from __future__ import annotations

from dataclasses import replace

import pytest

from synthrr.config import SamplingConfig
from synthrr.llm.base import Completion, LLMRequest, Sampling
from synthrr.llm.cache.store import CacheEntry, cache_key, canonical_json, digest, intact_entry
from synthrr.llm.stats import Stats

BASE = LLMRequest(messages=({"role": "user", "content": "Write a review."},), sampling=Sampling(max_tokens=32))


def key(request: LLMRequest = BASE, backend: str = "llamacpp", model: str = "gguf-sha256:abc", sample: int = 0) -> str:
    return cache_key(backend, model, request, sample)


def test_same_inputs_same_key_regardless_of_dict_order() -> None:
    reordered = LLMRequest(messages=({"content": "Write a review.", "role": "user"},), sampling=Sampling(max_tokens=32))
    assert key() == key(BASE) == key(reordered)
    assert len(key()) == 64


@pytest.mark.parametrize(
    "changed",
    [
        {"backend": "transformers"},
        {"model": "gguf-sha256:abd"},
        {"sample": 1},
        {"request": replace(BASE, messages=({"role": "user", "content": "Write a review!"},))},
        {"request": replace(BASE, messages=({"role": "system", "content": "Write a review."},))},
        {"request": LLMRequest(text="Write a review.", sampling=BASE.sampling)},
        {"request": replace(BASE, sampling=replace(BASE.sampling, temperature=0.5))},
        {"request": replace(BASE, sampling=replace(BASE.sampling, top_p=0.5))},
        {"request": replace(BASE, sampling=replace(BASE.sampling, max_tokens=33))},
        {"request": replace(BASE, sampling=replace(BASE.sampling, stop=("\n",)))},
        {"request": replace(BASE, sampling=replace(BASE.sampling, seed=1))},
        {"request": replace(BASE, sampling=replace(BASE.sampling, logprobs=True))},
    ],
)
def test_any_change_changes_the_key(changed: dict[str, object]) -> None:
    assert key(**changed) != key()  # type: ignore[arg-type]


def test_n_is_not_part_of_the_key() -> None:
    """Sample i of n=2 and of n=5 is the same completion, so n can grow later."""
    assert key(replace(BASE, sampling=replace(BASE.sampling, n=5)), sample=1) == key(sample=1)


def test_keys_without_logprobs_are_those_written_before_logprobs_existed() -> None:
    """``logprobs`` enters the key only when true: every key cached before it still matches."""
    assert "logprobs" not in BASE.sampling.key_params()
    assert key() == "f9841b2947cc831ec715a9445be79d5f72c0484e2db2ddf01e9ab2965b7d110e"
    asked = replace(BASE, sampling=replace(BASE.sampling, logprobs=True))
    assert asked.sampling.key_params() == BASE.sampling.key_params() | {"logprobs": True}


def test_cache_entry_json_with_and_without_logprob() -> None:
    plain = CacheEntry(Completion("hi", "stop", 1), prompt_tokens=5, created=1.5)
    old = '{"completion_tokens":1,"created":1.5,"finish_reason":"stop","prompt_tokens":5,"text":"hi"}'
    assert plain.to_json() == old  # byte-identical to entries written before logprobs existed
    assert CacheEntry.from_json(old) == plain and plain.completion.logprob is None
    scored = CacheEntry(Completion("hi", "stop", 1, logprob=-1.2345678901234567), prompt_tokens=5, created=1.5)
    raw = scored.to_json()
    assert '"logprob":-1.2345678901234567' in raw
    assert CacheEntry.from_json(raw) == scored  # the float survives exactly
    assert intact_entry(raw, digest(raw)) == scored
    assert intact_entry(raw.replace("-1.2345678901234567", '"x"'), digest(raw)) is None  # digest mismatch
    bad = raw.replace("-1.2345678901234567", '"x"')
    assert intact_entry(bad, digest(bad)) is None  # a logprob that is not a number: damaged, asked again


def test_canonical_json_is_stable() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'


def test_request_validation_and_helpers() -> None:
    with pytest.raises(ValueError):
        LLMRequest()
    with pytest.raises(ValueError):
        LLMRequest(messages=({"role": "user", "content": "x"},), text="x")
    assert LLMRequest.chat("hi").form == "chat"
    assert LLMRequest.completion("hi").prompt_payload() == {"text": "hi"}
    s = Sampling.from_config(SamplingConfig(stop=["\n"], n=3), default_max_tokens=64)
    assert (s.temperature, s.top_p, s.max_tokens, s.stop, s.n) == (0.95, 0.9, 64, ("\n",), 3)


def test_stats_add_and_to_dict() -> None:
    a = Stats(requests=2, calls=2, cache_hits=0, prompt_tokens=100, completion_tokens=40, seconds=2.0, cost=0.5)
    b = Stats(requests=2, calls=0, cache_hits=2, seconds=0.0)
    total = a + b
    assert total == Stats(
        requests=4, calls=2, cache_hits=2, prompt_tokens=100, completion_tokens=40, seconds=2.0, cost=0.5
    )
    assert sum([a, b]) == total
    d = total.to_dict()
    assert d["hit_rate"] == 0.5 and d["tokens_per_s"] == 20.0 and d["completions"] == 4
    assert Stats.from_dict(d) == total
    assert "2 cache hits (50%)" in total.summary()


def test_stage_stats_add_keep_zero_counts_and_round_trip() -> None:
    from synthrr.run.manifest import StageStats

    a = StageStats(
        counts={"shards": 1, "shards_skipped": 0}, drops={"dup": 2}, timings_s={"generate": 1.5}, llm=Stats(calls=3)
    )
    b = StageStats(counts={"shards": 1, "shards_skipped": 1}, drops={"short": 1}, llm=Stats(cache_hits=2))
    total = a + b
    assert total.counts == {"shards": 2, "shards_skipped": 1}
    assert total.drops == {"dup": 2, "short": 1} and total.timings_s == {"generate": 1.5}
    assert total.llm == Stats(calls=3, cache_hits=2)
    assert StageStats(counts={"shards_skipped": 0}) + StageStats() == StageStats(counts={"shards_skipped": 0})
    assert StageStats.from_dict(total.to_dict()) == total
    assert sum([a, b], StageStats()) == total
