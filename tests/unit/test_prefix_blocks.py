"""Demonstration blocks and prefix-aware scheduling: which prompts share demonstrations, and how
the requests of one block stay together (client order, llama.cpp slot units, executor shards)."""

from __future__ import annotations

import random
from collections import Counter
from itertools import islice

import pytest

from support.toy import SPEC
from synthrr.config import SynthesisConfig
from synthrr.core.records import Example, Hit
from synthrr.executors.base import make_shards
from synthrr.llm.backends.llamacpp import slot_units
from synthrr.llm.base import LLMRequest, Sampling
from synthrr.synth.deck import DemoDeck
from synthrr.synth.methods import METHODS, Context
from synthrr.synth.prompts import Demo

SEEDS = [Example(f"n{i}", f"Bad film number {i}. Truly awful.", "negative") for i in range(12)] + [
    Example(f"p{i}", f"Good film number {i}. A delight.", "positive") for i in range(12)
]
PASSAGES = {f"d{i}": f"Story {i}. A hero leaves home. She finds a dragon in chapter {i}." for i in range(200)}
HITS = {s.id: [Hit(s.id, f"d{(7 * k + 13 * j) % 200}", j + 1, 0.6) for j in range(8)] for k, s in enumerate(SEEDS)}


def _ctx(method: str, shots: int, block: int) -> Context:
    cfg = SynthesisConfig(method=method, shots=shots, demo_block=block, context_tokens=(3, 400))
    return Context(spec=SPEC, seeds=SEEDS, config=cfg, form="chat", hits=HITS, passages=PASSAGES)


def _take(method: str, shots: int, block: int, n: int, label: str = "negative") -> list:
    return list(islice(METHODS.get(method)().jobs(_ctx(method, shots, block), label), n))


@pytest.mark.parametrize("method", ["synthesizrr", "fewgen"])
def test_jobs_of_a_block_share_demonstrations_and_blocks_rotate(method: str) -> None:
    jobs = _take(method, 3, 4, 24)
    assert [j.block for j in jobs] == [i // 4 for i in range(24)]
    for b in range(6):
        members = [j for j in jobs if j.block == b]
        assert len({j.demo_ids for j in members}) == 1  # one draw per block
        prefixes = {repr(j.prompt.messages[:-1]) for j in members}  # type: ignore[index]
        assert len(prefixes) == 1  # identical prompt prefix: demonstrations first, the new part last
        assert len({j.prefix_group for j in members}) == 1
    assert len({j.prefix_group for j in jobs}) == 6
    assert len({j.demo_ids for j in jobs}) == 6  # the draws rotate block by block


def test_block_of_one_is_a_draw_per_prompt() -> None:
    jobs = _take("synthesizrr", 3, 1, 12)
    assert [j.block for j in jobs] == list(range(12))
    assert len({j.prefix_group for j in jobs}) == 12


def test_synthesizrr_inputs_do_not_depend_on_the_block_size() -> None:
    a = [(j.seed_id, j.passage_id) for j in _take("synthesizrr", 3, 1, 40)]
    b = [(j.seed_id, j.passage_id) for j in _take("synthesizrr", 3, 8, 40)]
    assert a == b


def test_a_block_avoids_its_own_seeds_demonstrations() -> None:
    for job in _take("synthesizrr", 3, 4, 24):
        block_seeds = {j.seed_id for j in _take("synthesizrr", 3, 4, 24) if j.block == job.block}
        assert not set(job.demo_ids) & block_seeds


def test_deck_deals_every_demonstration_before_repeating_one() -> None:
    pool = [Demo(text=f"t{i}", source_id=f"s{i}") for i in range(10)]
    deck = DemoDeck(random.Random(0), pool)
    first = [d.text for _ in range(5) for d in deck.draw(2)]
    assert sorted(first) == sorted(d.text for d in pool)  # 5 draws of 2 = the whole pool once
    counts = Counter(d.text for _ in range(50) for d in deck.draw(3))
    assert max(counts.values()) - min(counts.values()) <= 1  # balanced over many rounds
    assert len({d.source_id for d in deck.draw(3)}) == 3  # distinct sources within a draw


def test_deck_more_distinct_than_independent_draws() -> None:
    pool = [Demo(text=f"t{i}", source_id=f"s{i}") for i in range(60)]
    deck = DemoDeck(random.Random(1), pool)
    dealt = {d.text for _ in range(15) for d in deck.draw(3)}
    rng = random.Random(1)
    independent = {d.text for _ in range(15) for d in rng.sample(pool, 3)}
    assert len(dealt) == 45 > len(independent)


def test_generator_rows_record_the_block() -> None:
    from synthrr.synth.rows import job_request, job_rows

    job = _take("synthesizrr", 3, 4, 6)[5]
    rows, drops = job_rows(job, [("Review: A dull, lifeless film.", "stop", None)], "m", SPEC, "trim")
    assert rows and rows[0].block == 1 and rows[0].demo_ids == job.demo_ids and drops == {}
    req = job_request(job, Sampling(), ())
    assert req.group == job.prefix_group


def _req(group: str | None, n: int = 1, text: str = "x") -> LLMRequest:
    return LLMRequest(text=text, sampling=Sampling(n=n), group=group)


def test_slot_units_keep_groups_and_samples_together() -> None:
    reqs = [_req("a"), _req("b"), _req("a"), _req(None, n=3), _req("b")]
    assert slot_units(reqs, pin=True) == [[(0, 0), (2, 0)], [(1, 0), (4, 0)], [(3, 0), (3, 1), (3, 2)]]
    assert slot_units(reqs, pin=False) == [[(0, 0)], [(1, 0)], [(2, 0)], [(3, 0)], [(3, 1)], [(3, 2)], [(4, 0)]]


def test_shards_hold_whole_groups() -> None:
    reqs = [_req(g) for g in "aaaabbbbccd"] + [_req(None), _req(None)]
    shards = make_shards(1, reqs, 3)
    assert [[r.group for r in s.requests] for s in shards] == [
        list("aaaa"),
        list("bbbb"),
        [*"ccd"],
        [None, None],
    ]
    assert sum(len(s.requests) for s in shards) == len(reqs)
    assert len(make_shards(1, reqs, None)) == 1


def test_client_sends_groups_back_to_back() -> None:
    from synthrr.llm.backends.fake import FakeLLM
    from synthrr.llm.client import LLMClient

    backend = FakeLLM.from_options({})
    seen: list[str | None] = []
    inner = backend.generate

    def spy(requests):  # type: ignore[no-untyped-def]
        seen.extend(r.group for r in requests)
        return inner(requests)

    backend.generate = spy  # type: ignore[method-assign]
    client = LLMClient(backend)
    reqs = [_req(g, text=f"p{i}") for i, g in enumerate(["a", "b", "a", None, "b", "a"])]
    out = client.generate(reqs)
    assert seen == ["a", "a", "a", "b", "b", None]
    assert len(out) == len(reqs) and all(r is not None for r in out)  # answers still in request order
