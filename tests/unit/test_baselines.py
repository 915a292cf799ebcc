"""The paper's other baselines as methods: golden prompts, SuperGen's selection, AttrPrompt's
attribute step, ProGen's rounds and influence feedback, ReGen's progressive retrieval."""

from __future__ import annotations

import json
import os
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from support.toy import SEEDS, SPEC
from synthrr.config import SynthesisConfig
from synthrr.core.errors import ConfigError
from synthrr.core.records import Passage, SyntheticExample
from synthrr.llm.base import Completion, LLMRequest, LLMResponse, Sampling
from synthrr.synth.baselines import AttrPrompt, ProGen, SuperGen, parse_values
from synthrr.synth.influence import fit_softmax, influence_scores
from synthrr.synth.methods import METHODS, Context, Job
from synthrr.synth.quota import LabelState, next_batch
from synthrr.synth.regen import ReGen, assign_to_best

GOLDEN = Path(__file__).parent.parent / "data" / "golden"


def _ctx(method: str, shots: int = 2, form: str = "chat") -> Context:
    return Context(spec=SPEC, seeds=SEEDS, config=SynthesisConfig(method=method, shots=shots), form=form)


def _row(i: int, label: str, text: str = "", logprob: float | None = None) -> SyntheticExample:
    return SyntheticExample(
        id=f"r{i}",
        text=text or f"text {i}",
        label=label,
        method="m",
        job_id="j",
        prompt_hash="h",
        model="x",
        logprob=logprob,
    )


def _dump(jobs: list[Job]) -> str:
    out = []
    for j in jobs:
        prompt = j.prompt.text if j.prompt.text is not None else json.dumps(list(j.prompt.messages or ()), indent=1)
        out.append(f"### label={j.label} demos={list(j.demo_ids)} block={j.block}\n{prompt}")
    return "\n\n".join(out) + "\n"


def _golden(name: str, got: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SYNTHRR_UPDATE_GOLDEN") or not path.exists():
        path.write_text(got)
    assert got == path.read_text()


def _fake_ask(answers: dict[str, str]) -> Any:
    """An ``ask`` that answers each request (its n samples) by the first key found in its prompt."""
    sent: list[LLMRequest] = []

    def ask(requests: list[LLMRequest]) -> list[LLMResponse | None]:
        sent.extend(requests)
        out: list[LLMResponse | None] = []
        for r in requests:
            prompt = r.messages[-1]["content"] if r.messages else r.text or ""
            text = next(v for k, v in answers.items() if k in prompt)
            comps = tuple(Completion(text, "stop", 5) for _ in range(r.sampling.n))
            out.append(LLMResponse(completions=comps, prompt_tokens=10))
        return out

    ask.sent = sent  # type: ignore[attr-defined]
    return ask


# ---- registry, options, templates ------------------------------------------------------------
def test_every_baseline_is_registered_and_borrows_a_template_the_task_has() -> None:
    for name in ("supergen", "attrprompt", "progen", "regen"):
        assert name in METHODS
    assert METHODS.get("supergen")().template_for(SPEC) == "zerogen"
    assert METHODS.get("progen")().template_for(SPEC) == "fewgen"
    own = SPEC.model_copy(update={"templates": {**SPEC.templates, "supergen": "Write a {label} one."}})
    assert METHODS.get("supergen")().template_for(own) == "supergen"


def test_a_bad_method_option_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError) as e:
        SuperGen({"keep": 1.5})
    assert "synthesis.method_options.keep" in str(e.value)
    with pytest.raises(ConfigError) as e:
        ProGen({"roundz": 2})
    assert "synthesis.method_options.roundz" in str(e.value) and "rounds" in str(e.value)


def test_a_round_cap_limits_what_a_label_sends_per_round() -> None:
    jobs = iter(range(100))
    st = LabelState(target=10, need=10, jobs=jobs, per_round=3)  # type: ignore[arg-type]
    assert len(next_batch({"a": st}, 100)) == 3
    assert ProGen({"rounds": 4}).round_cap(10) == 3 and ProGen({"rounds": 20}).round_cap(10) == 1


# ---- SuperGen ---------------------------------------------------------------------------------
def test_supergen_asks_for_logprobs_and_keeps_the_likeliest() -> None:
    m = SuperGen({"keep": 0.25})
    assert m.overgenerate == 4.0 and m.sampling(Sampling()).logprobs
    rows = [_row(0, "negative", logprob=-2.0), _row(1, "negative", logprob=-0.5), _row(2, "negative", logprob=None)]
    rows.append(_row(3, "negative", logprob=-1.0))
    kept = m.select(rows, 2)
    assert [r.id for r in kept] == ["r1", "r3"]  # the two likeliest, in their order
    assert [r.verdict for r in rows] == ["low_likelihood", "kept", "low_likelihood", "kept"]
    assert len(m.select([_row(5, "negative", logprob=-3.0)], 2)) == 1  # fewer than asked: all kept


def test_supergen_golden_prompts() -> None:
    m = SuperGen()
    ctx = _ctx("supergen", shots=0)
    jobs = [j for lab in SPEC.label_names for j in islice(m.jobs(ctx, lab), 2)]
    assert len({j.id for j in jobs}) == 4 and len({j.sampling_seed for j in jobs}) == 4  # same prompt, own samples
    _golden("supergen-chat-0shot.txt", _dump(jobs))


# ---- AttrPrompt -------------------------------------------------------------------------------
def test_parse_values_cleans_an_llm_list() -> None:
    text = "Here are some:\n1. The soundtrack.\n2) acting\n- Subtopic: the plot twist\n* ACTING\n\n" + "x" * 80
    assert parse_values(text, 10) == ["Here are some", "The soundtrack", "acting", "the plot twist"]
    assert parse_values(text, 2) == ["Here are some", "The soundtrack"]
    assert parse_values("a\n" + "one two three four five six seven eight nine", 5) == []


def test_attrprompt_asks_per_label_and_attribute_then_combines_values() -> None:
    m = AttrPrompt({"attributes": ["subtopic", "style"], "values": 4, "samples": 2})
    ask = _fake_ask({"subtopic": "1. the acting\n2. the music\n3. the plot", "style": "- angry\n- sarcastic"})
    ctx = _ctx("attrprompt", shots=0)
    m.setup(ctx, ask)
    assert len(ask.sent) == 4 and all(r.sampling.n == 2 for r in ask.sent)  # 2 labels x 2 attributes
    assert "'negative' (what the reviewer disliked about the movie)" in ask.sent[0].messages[-1]["content"]
    assert m.values["positive"] == {
        "subtopic": ["the acting", "the music", "the plot"],
        "style": ["angry", "sarcastic"],
    }
    jobs = list(islice(m.jobs(ctx, "negative"), 12))
    tails = [j.prompt.messages[-1]["content"] for j in jobs]  # type: ignore[index]
    assert all(t.startswith("Write a short negative movie review. Subtopic: ") and " Style: " in t for t in tails)
    assert len(set(tails)) > 3  # the combinations vary
    assert [j.id for j in jobs] == [j.id for j in islice(m.jobs(ctx, "negative"), 12)]  # deterministic
    _golden("attrprompt-chat-0shot.txt", _dump(jobs[:3]))


def test_attrprompt_dry_run_uses_placeholders_and_an_empty_answer_drops_the_attribute() -> None:
    m = AttrPrompt()
    m.setup(_ctx("attrprompt", shots=0), None)
    assert m.values["negative"] == {"subtopic": ["{subtopic}"], "style": ["{style}"]}
    m = AttrPrompt({"attributes": ["subtopic"]})
    ctx = _ctx("attrprompt", shots=0)
    m.setup(ctx, _fake_ask({"subtopic": "????\n\n"}))
    assert m.values["negative"] == {"subtopic": []}
    assert next(m.jobs(ctx, "negative")).prompt.messages[-1]["content"] == "Write a short negative movie review."  # type: ignore[index]


# ---- ProGen and its influence scores ------------------------------------------------------------
def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    y = [i % 2 for i in range(n)]
    x = np.array([[2.0 * (2 * c - 1), 0.0] for c in y]) + rng.normal(size=(n, 2))
    return x, y


def test_influence_matches_retraining_with_the_example_upweighted() -> None:
    rng = np.random.default_rng(0)
    x, y = _blobs(40, rng)
    xv, yv = _blobs(20, rng)
    scores = influence_scores(x, y, xv, yv, n_classes=2, l2=0.1)

    def val_loss(weights: np.ndarray) -> float:
        xd = np.hstack([xv, np.ones((len(xv), 1))])
        z = xd @ weights.T
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(yv)), yv].mean())

    base = val_loss(fit_softmax(x, y, 2, l2=0.1))
    n = len(x)
    for i in np.argsort(-np.abs(scores))[:5]:
        # one more copy of example i, the penalty scaled by n / (n + 1): the objective becomes
        # (n / (n + 1)) * (mean loss + loss_i / n + l2 / 2 |w|^2), i.e. example i up-weighted by 1/n
        w_i = fit_softmax(np.vstack([x, x[i : i + 1]]), [*y, y[i]], 2, l2=0.1 * n / (n + 1))
        actual = val_loss(w_i) - base
        predicted = -scores[i] / n
        assert np.sign(actual) == np.sign(predicted)
        assert abs(actual - predicted) <= 0.3 * abs(predicted)


def test_influence_ranks_mislabelled_examples_below_clean_ones() -> None:
    rng = np.random.default_rng(1)
    x, y = _blobs(60, rng)
    xv, yv = _blobs(30, rng)
    flipped = [3, 10, 21, 40]
    for i in flipped:
        y[i] = 1 - y[i]
    scores = influence_scores(x, y, xv, yv, n_classes=2)
    clean = [s for i, s in enumerate(scores) if i not in flipped]
    # on average up-weighting a wrong label raises the validation loss (one may still help: it
    # tempers an over-confident fit, which the cross-entropy of the noisy validation set rewards)
    assert np.mean([scores[i] for i in flipped]) < np.mean(clean) - 0.3


def test_progen_rounds_feed_the_most_helpful_candidates_back_as_demonstrations(monkeypatch: pytest.MonkeyPatch) -> None:
    m = ProGen({"rounds": 2, "shots": 1})
    ctx = _ctx("progen", shots=3)
    first = next(m.jobs(ctx, "negative"))
    assert first.demo_ids == () and first.block == 0  # round 1 is zero-shot
    vec = {"negative": np.array([-1.0, 0.0]), "positive": np.array([1.0, 0.0])}

    def embed(texts: list[str]) -> np.ndarray:  # the label word decides the embedding
        return np.stack(
            [vec["negative" if ("bad" in t or "joyless" in t or "Dull" in t) else "positive"] for t in texts]
        )

    monkeypatch.setattr(m, "_embed", embed)
    kept = {
        "negative": [_row(0, "negative", "bad bad"), _row(1, "negative", "good one")],  # r1 is mislabelled
        "positive": [_row(2, "positive", "good film"), _row(3, "positive", "bad film")],  # r3 is mislabelled
    }
    m.feedback(ctx, kept)
    assert [d.source_id for d in m.demos["negative"]] == ["r0"] and [d.source_id for d in m.demos["positive"]] == ["r2"]
    job = next(m.jobs(ctx, "negative"))
    assert job.demo_ids == ("r0",) and job.block == 1
    msgs = job.prompt.messages or ()
    assert [x["role"] for x in msgs] == ["user", "assistant", "user"] and msgs[1]["content"] == "bad bad"
    _golden("progen-chat-1shot.txt", _dump([first, job]))


# ---- ReGen ------------------------------------------------------------------------------------
class _Corpus:
    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def get(self, ids: list[str]) -> list[Passage]:
        return [Passage(i, self.texts[i], len(self.texts[i].split())) for i in ids]


class _Encoder:
    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        out = np.array([[t.count("grim") + 0.1, t.count("bright") + 0.1] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class _Dense:
    name = "dense"
    score_kind = "cosine"

    def __init__(self, corpus: _Corpus) -> None:
        self.encoder = _Encoder()
        self.ids = list(corpus.texts)
        self.vectors = self.encoder.encode(list(corpus.texts.values()))
        self.queries: list[np.ndarray] = []

    def search_vectors(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        self.queries.append(vectors)
        out = []
        for v in vectors:
            scores = self.vectors @ v
            order = np.argsort(-scores, kind="stable")[:k]
            out.append([(self.ids[i], float(scores[i])) for i in order])
        return out


def test_assign_to_best_keeps_a_passage_only_for_its_best_label() -> None:
    ranked = {"a": [("p1", 0.9), ("p2", 0.5)], "b": [("p2", 0.7), ("p3", 0.6), ("p1", 0.2)]}
    assert assign_to_best(ranked) == {"a": [("p1", 0.9)], "b": [("p2", 0.7), ("p3", 0.6)]}


def test_regen_retrieves_progressively_and_answers_with_passages() -> None:
    texts = {f"g{i}": "grim " * (i % 3 + 1) + f"story number {i}." for i in range(6)}
    texts |= {f"b{i}": "bright " * (i % 3 + 1) + f"story number {i}." for i in range(6)}
    corpus = _Corpus(texts)
    labels = [{"name": "negative", "verbalization": "grim"}, {"name": "positive", "verbalization": "bright"}]
    spec = type(SPEC).model_validate({**SPEC.model_dump(), "labels": labels})
    ctx = Context(spec=spec, seeds=SEEDS, config=SynthesisConfig(method="regen"), form="chat")
    ctx.corpus, ctx.retriever = corpus, _Dense(corpus)  # type: ignore[assignment]
    m = ReGen({"depth": 12, "steps": 2, "top": 3})
    m.setup(ctx, None)
    assert len(ctx.retriever.queries) == 3  # type: ignore[union-attr]  # the label queries, then 2 refinements
    neg = list(m.jobs(ctx, "negative"))
    assert {j.passage_id[0] for j in neg if j.passage_id} == {"g"}  # each passage only under its best label
    assert all(j.answer is not None and j.answer.startswith("grim") for j in neg)
    assert [j.rank for j in neg] == list(range(1, len(neg) + 1)) and neg[
        0
    ].prompt.text == "[retrieval query] negative: grim"
    assert set(ctx.passages) == {j.passage_id for j in neg}  # kept for provenance


def test_regen_needs_the_dense_retriever() -> None:
    ctx = _ctx("regen")
    ctx.retriever = object()  # type: ignore[assignment]
    with pytest.raises(ConfigError) as e:
        ReGen().setup(ctx, None)
    assert "retrieval.retriever" in str(e.value)


def test_method_options_change_the_fingerprint_only_when_given() -> None:
    from synthrr.config import RunConfig
    from synthrr.stages.generate import fingerprint

    plain = RunConfig.from_dict({"task": "imdb", "synthesis": {"method": "progen"}})
    explicit = RunConfig.from_dict({"task": "imdb", "synthesis": {"method": "progen", "method_options": {}}})
    other = RunConfig.from_dict({"task": "imdb", "synthesis": {"method": "progen", "method_options": {"rounds": 2}}})
    assert fingerprint(plain) == fingerprint(explicit) != fingerprint(other)
