"""Entity entropy, label-wise cosine, MAUVE and label preservation against hand or reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthrr.core.records import Example
from synthrr.metrics import METRICS, MetricInput, compute_metrics
from synthrr.metrics.entities import entity_entropy, entropy_bits, get_ner, heuristic_entities
from synthrr.metrics.fidelity import label_preservation
from synthrr.metrics.mauve import label_matched_reference
from synthrr.metrics.semantic import labelwise_cosine


def test_entropy_hand_computed() -> None:
    assert entropy_bits([1, 1]) == pytest.approx(1.0)
    assert entropy_bits([1, 1, 1, 1]) == pytest.approx(2.0)
    assert entropy_bits([4]) == 0.0
    assert entropy_bits([]) == 0.0
    assert entropy_bits([2, 1, 1]) == pytest.approx(1.5)


def test_entity_entropy_per_type_and_overall() -> None:
    docs = [
        [("Paris", "GPE"), ("Alice", "PERSON")],
        [("Paris", "GPE"), ("London", "GPE")],
        [("Bob", "PERSON"), ("Paris", "PERSON")],
    ]
    r = entity_entropy(docs)
    # GPE: Paris 2, London 1 -> H = -(2/3 log 2/3 + 1/3 log 1/3)
    h_gpe = -(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3))
    assert r["per_type"]["GPE"] == pytest.approx(h_gpe)
    assert r["per_type"]["PERSON"] == pytest.approx(math.log2(3))  # Alice, Bob, Paris once each
    # overall over (type, text): (GPE,Paris) 2, and 4 singletons of 6 mentions
    h_all = -(2 / 6 * math.log2(2 / 6) + 4 * (1 / 6) * math.log2(1 / 6))
    assert r["overall"] == pytest.approx(h_all)
    assert r["mentions"] == {"GPE": 3, "PERSON": 3} and r["unique"] == {"GPE": 2, "PERSON": 3}
    assert entity_entropy([[], []])["overall"] == 0.0


def test_heuristic_ner() -> None:
    ents = heuristic_entities("The Bank of England met in London. Prices rose. Then Tim Cook spoke to the BBC.")
    assert ("Bank of England", "ENTITY") in ents
    assert ("London", "ENTITY") in ents and ("Tim Cook", "ENTITY") in ents and ("BBC", "ENTITY") in ents
    assert all(e[0] not in ("Prices", "Then", "The") for e in ents)
    run, name = get_ner("heuristic")
    assert name.startswith("heuristic") and run(["We visited Rome with Anna."]) == [
        [("Rome", "ENTITY"), ("Anna", "ENTITY")]
    ]


def test_spacy_ner_when_installed() -> None:
    from synthrr.metrics.entities import available_spacy_pipeline

    if available_spacy_pipeline() is None:
        pytest.skip("no spaCy English pipeline installed")
    run, name = get_ner("auto")
    assert name.startswith("spacy:")
    ents = run(["Tim Cook visited London on Monday."])[0]
    assert ("London", "GPE") in ents and ("Tim Cook", "PERSON") in ents


def test_labelwise_cosine_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 5))
    labels = ["a", "a", "b", "b", "b", "c", "a", "b", "c"]
    r = labelwise_cosine(x, labels, ["a", "b", "c", "d"])
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = xn @ xn.T
    lab = np.array(labels)
    for i in "abc":
        for j in "abc":
            block = sim[np.ix_(lab == i, lab == j)]
            want = block[~np.eye(len(block), dtype=bool)].mean() if i == j else block.mean()
            assert r["matrix"][i][j] == pytest.approx(want)
    assert "d" not in r["matrix"]
    assert r["within"] == pytest.approx(np.mean([r["matrix"][i][i] for i in "abc"]))
    assert r["between"] == pytest.approx(np.mean([r["matrix"][i][j] for i in "abc" for j in "abc" if i != j]))
    single = labelwise_cosine(x[:3], ["a", "b", "b"])
    assert single["matrix"]["a"]["a"] is None


def test_mauve_equals_the_library_on_the_same_features() -> None:
    mauve_lib = pytest.importorskip("mauve")
    from synthrr.metrics.mauve import compute_mauve

    rng = np.random.default_rng(1)
    p = rng.normal(size=(60, 8)).astype(np.float32)
    q = (rng.normal(size=(50, 8)) + 0.7).astype(np.float32)
    ours = compute_mauve(p, q)
    ref = mauve_lib.compute_mauve(p_features=p, q_features=q, mauve_scaling_factor=1, verbose=False)
    assert ours["mauve"] == pytest.approx(ref.mauve, abs=1e-6)
    assert ours["num_buckets"] == ref.num_buckets == 5  # 'auto': min(n)/10
    assert ours["scaling_factor"] == 1.0
    same = compute_mauve(p, p)
    assert same["mauve"] > ours["mauve"] and same["mauve"] == pytest.approx(1.0, abs=1e-3)


def test_label_matched_reference() -> None:
    ref = [Example(f"r{i}", f"text {i}", "pos" if i % 2 else "neg") for i in range(10)]
    sample, short = label_matched_reference(ref, ["pos", "pos", "neg", "x"], seed=0)
    assert sorted(e.label for e in sample) == ["neg", "pos", "pos"]
    assert short == {"x": 1}
    assert (
        label_matched_reference(ref, ["pos", "pos", "neg"], seed=0)[0]
        == label_matched_reference(ref, ["pos", "pos", "neg"], seed=0)[0]
    )


def test_label_preservation_scores() -> None:
    r = label_preservation(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])
    assert r["accuracy"] == 0.75
    assert r["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_registry_and_text_only_metrics() -> None:
    assert set(METRICS) == {"self_bleu", "distinct", "entity_entropy", "cosine", "mauve", "label_preservation"}
    inp = MetricInput(texts=["Alice went to Paris.", "Bob went to Rome."], labels=["x", "y"], label_names=["x", "y"])
    inp.options["ner"] = "heuristic"
    out = compute_metrics(inp, ["self_bleu", "distinct", "entity_entropy"])
    assert 0 < out["self_bleu"]["self_bleu_1"] < 1 and out["distinct"]["distinct_1"] == pytest.approx(7 / 10)
    assert (
        out["entity_entropy"]["ner"].startswith("heuristic") and out["entity_entropy"]["n_mentions"] == 2
    )  # Paris, Rome (sentence starts skipped)
    with pytest.raises(ValueError):
        METRICS["mauve"](inp)  # needs the task
    from synthrr.core.errors import UnknownNameError

    with pytest.raises(UnknownNameError):
        compute_metrics(inp, ["nope"])
