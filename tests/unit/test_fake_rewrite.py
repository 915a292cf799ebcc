"""The fake backend's default answer: words of the prompt's demonstrations, reshuffled per sample."""

from __future__ import annotations

from synthrr.llm.backends.fake import FakeLLM, FakeOptions
from synthrr.llm.base import LLMRequest, Sampling

DEMO = "I was charged twice for my March subscription, please refund one of the payments."
CHAT = (
    {"role": "user", "content": "Help-centre article:\nRefunds take five days.\n\nWrite a ticket about billing."},
    {"role": "assistant", "content": DEMO},
    {"role": "user", "content": "Help-centre article:\nChanging your plan.\n\nWrite a ticket about billing."},
)


def _answers(backend: FakeLLM, request: LLMRequest) -> list[str]:
    return [c.text for _, resp in backend.generate([request]) for c in resp.completions]


def test_default_answer_draws_the_demonstrations_words_differently_per_sample() -> None:
    request = LLMRequest(messages=CHAT, sampling=Sampling(n=3, seed=7, max_tokens=100))
    answers = _answers(FakeLLM(), request)
    assert len(set(answers)) == 3  # dedup keeps them
    demo_words = {w.strip(".,").lower() for w in DEMO.split()}
    for text in answers:
        assert {w.strip(".,").lower() for w in text.split()} <= demo_words
        assert text != DEMO
    assert _answers(FakeLLM(), request) == answers  # deterministic


def test_without_demonstrations_the_answer_uses_the_prompt() -> None:
    request = LLMRequest(
        text="Write a short support ticket about a crash of the app", sampling=Sampling(max_tokens=100)
    )
    (text,) = _answers(FakeLLM(), request)
    assert set(text.lower().strip(".").split()) <= set(request.text.lower().split())  # type: ignore[union-attr]


def test_scripted_answers_still_win() -> None:
    request = LLMRequest(messages=CHAT, sampling=Sampling(seed=3))
    last = CHAT[-1]["content"]
    assert _answers(FakeLLM(FakeOptions(responses={last: "scripted"})), request) == ["scripted"]
    assert _answers(FakeLLM(FakeOptions(default="Synthetic text {n} about: {prompt}")), request) == [
        f"Synthetic text 3 about: {last[:60]}"
    ]
