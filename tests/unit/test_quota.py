from __future__ import annotations

from synthrr.synth.quota import INITIAL_YIELD, LabelState, next_batch


def _state(need: int, jobs: int, kept: int = 0, prompts: int = 0) -> LabelState:
    st = LabelState(target=need, need=need, jobs=iter(range(jobs)))  # type: ignore[arg-type]
    st.kept = [object()] * kept  # type: ignore[list-item]
    st.prompts = prompts
    return st


def test_a_round_covers_each_deficit_at_the_yield_so_far() -> None:
    states = {"a": _state(8, 100), "b": _state(8, 100, kept=4, prompts=8)}
    batch = next_batch(states, max_prompts=1000)
    # a: 8 / INITIAL_YIELD = 10 prompts; b: 4 missing at a yield of 0.5 = 8 prompts
    assert INITIAL_YIELD == 0.8 and len(batch) == 10 + 8


def test_the_prompt_cap_and_exhausted_inputs_bound_a_round() -> None:
    states = {"a": _state(8, 3), "b": _state(8, 100)}
    batch = next_batch(states, max_prompts=6)
    assert len(batch) == 6 and states["a"].exhausted  # a gave its 3 inputs, b the 3 left under the cap
    done = {"a": _state(2, 5, kept=2, prompts=2)}
    assert next_batch(done, max_prompts=100) == []
