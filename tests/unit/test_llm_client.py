from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from synthrr.config import BudgetConfig, LLMConfig
from synthrr.core.errors import BackendError, BudgetExceededError, ConfigError
from synthrr.llm import BACKENDS, LLMCache, LLMClient, LLMRequest, Sampling, make_client
from synthrr.llm.backends.fake import FakeLLM, FakeOptions, rewrite
from synthrr.llm.projection import estimate_prompt_tokens


def reqs(n: int, samples: int = 1, max_tokens: int = 16) -> list[LLMRequest]:
    s = Sampling(max_tokens=max_tokens, n=samples)
    return [LLMRequest.chat(f"prompt number {i}", sampling=s) for i in range(n)]


def client(tmp_path: Path, **kw: object) -> tuple[LLMClient, FakeLLM]:
    fake = FakeLLM()
    return LLMClient(fake, LLMCache(tmp_path / "c.sqlite"), **kw), fake  # type: ignore[arg-type]


def test_fake_is_deterministic_and_scriptable() -> None:
    fake = FakeLLM(FakeOptions(responses={"hello": "world"}))
    r = LLMRequest.chat("hello")
    out = dict(fake.generate([r, LLMRequest.completion("x")]))
    assert out[0].completions[0].text == "world"
    assert fake.calls == 2 and fake.history[0] == r
    scripted = FakeLLM(respond=lambda req, j: f"answer {j}")
    ((_, resp),) = scripted.generate(reqs(1, samples=2))
    assert [c.text for c in resp.completions] == ["answer 0", "answer 1"]
    assert BACKENDS.get("fake") is FakeLLM


def test_second_run_is_all_cache_hits_and_no_engine_calls(tmp_path: Path) -> None:
    c, fake = client(tmp_path)
    first = c.generate(reqs(5, samples=2))
    assert fake.calls == 10 and c.last_stats.calls == 10 and c.last_stats.cache_hits == 0
    second = c.generate(reqs(5, samples=2))
    assert fake.calls == 10, "an identical rerun must not call the engine"
    assert c.last_stats.calls == 0 and c.last_stats.cache_hits == 10 and c.last_stats.hit_rate == 1.0
    assert [r.completions for r in second] == [r.completions for r in first]
    assert all(r.cached for r in second) and not any(r.cached for r in first)
    assert c.stats.requests == 10 and c.stats.calls == 10 and c.stats.cache_hits == 10


def test_only_misses_are_sent_and_n_can_grow(tmp_path: Path) -> None:
    c, fake = client(tmp_path)
    c.generate(reqs(3)[:2])
    fake.history.clear()
    out = c.generate(reqs(3))
    assert [h.messages[0]["content"] for h in fake.history] == ["prompt number 2"]  # type: ignore[index]
    assert [r.cached for r in out] == [True, True, False]
    # growing n from 1 to 3 generates samples 1 and 2 only, with seeds 1 and 2
    fake.history.clear()
    grown = c.generate(reqs(1, samples=3))
    assert len(fake.history) == 1 and fake.history[0].sampling.seed == 1 and fake.history[0].sampling.n == 2
    assert grown[0].completions[0] == out[0].completions[0]
    request = reqs(1, samples=3)[0]
    assert [comp.text for comp in grown[0].completions] == [rewrite(request, seed) for seed in range(3)]


def test_duplicates_in_one_batch_are_generated_once(tmp_path: Path) -> None:
    c, fake = client(tmp_path)
    out = c.generate(reqs(1) * 3)
    assert fake.calls == 1 and out[0] == out[1] == out[2]
    assert c.last_stats.calls == 1 and c.last_stats.cache_hits == 2


def test_no_cache_means_every_call_reaches_the_engine(tmp_path: Path) -> None:
    fake = FakeLLM()
    c = LLMClient(fake, None)
    c.generate(reqs(2))
    c.generate(reqs(2))
    assert fake.calls == 4


def test_accounting_tokens_and_cost(tmp_path: Path) -> None:
    c, _ = client(tmp_path, price_in=1.0, price_out=2.0)
    out = c.generate(reqs(2, samples=2))
    s = c.last_stats
    assert s.prompt_tokens == sum(r.prompt_tokens * 2 for r in out)
    assert s.completion_tokens == sum(r.completion_tokens for r in out)
    assert s.cost == pytest.approx((s.prompt_tokens * 1.0 + s.completion_tokens * 2.0) / 1e6)


def test_projection_is_printed_before_the_run(tmp_path: Path) -> None:
    lines: list[str] = []
    c = LLMClient(FakeLLM(), LLMCache(tmp_path / "c.sqlite"), log=lines.append, price_in=1, price_out=1)
    c.generate(reqs(4, max_tokens=10)[:1])
    lines.clear()
    c.generate(reqs(4, max_tokens=10))
    p = c.last_projection
    assert p is not None and (p.requests, p.cached, p.to_send, p.completion_tokens) == (4, 1, 3, 30)
    assert p.prompt_tokens == 3 * estimate_prompt_tokens(reqs(1)[0])
    assert lines[0].startswith("LLM fake (fake:fake): 4 requests") and "1 cached, 3 to generate" in lines[0]
    assert "est. cost" in lines[0] and "4 requests, 3 engine calls" in lines[-1]


def test_budget_max_calls_stops_cleanly_after_saving(tmp_path: Path) -> None:
    lines: list[str] = []
    fake = FakeLLM()
    c = LLMClient(fake, LLMCache(tmp_path / "c.sqlite"), budget=BudgetConfig(max_calls=3), log=lines.append)
    with pytest.raises(BudgetExceededError) as e:
        c.generate(reqs(5))
    assert e.value.exit_code == 3 and "max_calls=3" in str(e.value) and "2 request(s) not sent" in str(e.value)
    assert "exceeds the budget (max_calls=3)" in lines[0]
    assert fake.calls == 3 and c.stats.calls == 3
    assert [r is not None for r in e.value.responses] == [True, True, True, False, False]  # type: ignore[attr-defined]
    # everything answered is cached: a rerun with a larger budget only generates the rest
    c2 = LLMClient(fake, LLMCache(tmp_path / "c.sqlite"), budget=BudgetConfig(max_calls=2))
    assert len(c2.generate(reqs(5))) == 5 and fake.calls == 5 and c2.last_stats.cache_hits == 3


def test_budget_tokens_and_cost_use_worst_case_estimates(tmp_path: Path) -> None:
    one = reqs(1, max_tokens=50)[0]
    worst = estimate_prompt_tokens(one) + 50
    c, fake = client(tmp_path, budget=BudgetConfig(max_tokens=2 * worst + 1))
    with pytest.raises(BudgetExceededError, match="max_tokens"):
        c.generate(reqs(10, max_tokens=50))
    assert fake.calls >= 2 and c.stats.total_tokens <= 2 * worst + 1
    c3, fake3 = client(tmp_path / "b", price_in=1000.0, price_out=1000.0, budget=BudgetConfig(max_cost=0.000001))
    with pytest.raises(BudgetExceededError, match="max_cost"):
        c3.generate(reqs(1))
    assert fake3.calls == 0


def test_backend_errors_keep_answers_already_received(tmp_path: Path) -> None:
    fake = FakeLLM(FakeOptions(n_ctx=5))
    c = LLMClient(fake, LLMCache(tmp_path / "c.sqlite"))
    batch = [LLMRequest.completion("short one"), LLMRequest.completion("this prompt is far too long for it")]
    with pytest.raises(BackendError) as e:
        c.generate(batch)
    assert e.value.exit_code == 2 and "'fake'" in str(e.value) and "exceeds the context" in str(e.value)
    assert len(LLMCache(tmp_path / "c.sqlite")) == 1


def test_make_client_validates_options_and_fills_threads(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"llm.options.bogus.*unknown option"):
        make_client(LLMConfig(backend="fake", options={"bogus": 1}))
    c = make_client(LLMConfig(backend="fake", cache=False))
    assert c.cache is None and isinstance(c.backend, FakeLLM)
    c = make_client(LLMConfig(backend="fake", price_in=2.0), cache_path=tmp_path / "x.sqlite")
    assert c.price_in == 2.0 and c.cache is not None and c.cache.path == tmp_path / "x.sqlite"
    pytest.importorskip("xllamacpp")
    llama = make_client(LLMConfig(options={"n_parallel": 2}), threads=1).backend
    assert llama.threads == 1 and llama.options.n_parallel == 2  # type: ignore[attr-defined]
    assert make_client(LLMConfig(options={"threads": 3}), threads=1).backend.threads == 3  # type: ignore[attr-defined]


def test_prompt_estimates_are_calibrated_by_real_counts(tmp_path: Path) -> None:
    class LongPrompts(FakeLLM):  # a tokenizer that needs 10x the words
        def generate(self, requests):  # type: ignore[no-untyped-def]
            for i, r in super().generate(requests):
                yield i, replace(r, prompt_tokens=r.prompt_tokens * 10)

    c = LLMClient(LongPrompts(), LLMCache(tmp_path / "c.sqlite"))
    batch = [LLMRequest.completion(f"a prompt of several plain words {i}") for i in range(3)]
    c.generate(batch[:1])
    observed = c.stats.prompt_tokens
    c.generate(batch[1:])
    p = c.last_projection
    assert p is not None and p.prompt_tokens == 2 * observed  # the estimate was scaled up to match
