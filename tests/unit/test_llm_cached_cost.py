"""A cached answer carries what it cost when generated (tokens, engine seconds), so a replayed or
resumed run still accounts for the LLM use its data took."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from synthrr.llm import LLMCache, LLMClient, LLMRequest, Sampling
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.base import Completion
from synthrr.llm.cache.store import CacheEntry
from synthrr.llm.stats import Stats


def _slow(req: LLMRequest, j: int) -> str:
    time.sleep(0.01)  # engine time worth recording (the fake answers in microseconds)
    return f"answer {j} to {req.prompt_payload()}"


def _reqs() -> list[LLMRequest]:
    return [LLMRequest.chat(f"prompt {i}", sampling=Sampling(max_tokens=8, n=2)) for i in range(3)]


def test_a_replay_counts_what_its_answers_cost_when_generated(tmp_path: Path) -> None:
    first = LLMClient(FakeLLM(respond=_slow), LLMCache(tmp_path / "c.sqlite"))
    first.generate(_reqs())
    fresh = first.stats
    assert fresh.calls == 6 and fresh.cached_completion_tokens == 0 and fresh.cached_seconds == 0
    replay = LLMClient(FakeLLM(respond=_slow), LLMCache(tmp_path / "c.sqlite"))
    replay.generate(_reqs())
    s = replay.stats
    assert s.calls == 0 and s.cache_hits == 6 and s.total_tokens == 0 and s.seconds == 0
    assert s.cached_prompt_tokens == fresh.prompt_tokens and s.cached_completion_tokens == fresh.completion_tokens
    assert s.cached_seconds == pytest.approx(fresh.seconds, abs=1e-3) and s.cached_seconds > 0
    assert s.run_tokens == fresh.total_tokens and s.run_seconds == pytest.approx(fresh.seconds, abs=1e-3)
    assert Stats.from_dict(s.to_dict()).cached_completion_tokens == s.cached_completion_tokens  # survives the manifest


def test_entries_written_before_seconds_were_recorded_read_back_as_zero() -> None:
    old = '{"completion_tokens":1,"created":1.5,"finish_reason":"stop","prompt_tokens":5,"text":"hi"}'
    entry = CacheEntry.from_json(old)
    assert entry.seconds == 0.0 and entry.to_json() == old  # unchanged bytes, unchanged digest
    timed = CacheEntry(Completion("hi", "stop", 1), prompt_tokens=5, created=1.5, seconds=0.25)
    assert CacheEntry.from_json(timed.to_json()).seconds == 0.25
