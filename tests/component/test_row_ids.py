"""Passage ids held as uint64 keys / Arrow strings (not a Python string per passage): same hits as a list of ids."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthrr.config import CorpusConfig
from synthrr.corpus import Corpus, get_corpus
from synthrr.corpus.base import keys_to_ids
from synthrr.retrieval import open_index
from synthrr.retrieval.bm25 import BM25Retriever
from synthrr.retrieval.dense import DenseRetriever
from synthrr.retrieval.ids import RowIds

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _reference(index: Any, ids: list[str], queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
    """What the retriever returned when it kept its ids as a list of strings."""
    scores, idx = index.search(queries, k)
    return [
        [(ids[i], s) for i, s in zip(irow, srow, strict=True) if i >= 0]
        for srow, irow in zip(scores.tolist(), idx.tolist(), strict=True)
    ]


class _FakeEncoder:
    """Counts words in 32 hashed buckets (crc32): cheap, deterministic unit vectors."""

    identity = "fake-encoder-row-ids"
    dim = 32
    model = None

    def encode(self, texts: Any, *, batch_size: int | None = None, bar: Any = None) -> Any:
        counts = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            np.add.at(counts[row], [zlib.crc32(w.encode()) % self.dim for w in text.lower().split()], 1.0)
        if bar is not None:
            bar.update(len(texts))
        norms = np.linalg.norm(counts, axis=1, keepdims=True)
        return counts / np.where(norms > 0, norms, 1.0)


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    src = tmp_path / "docs.jsonl"
    lines = [
        {"id": f"d{i}", "text": " ".join(WORDS[(i * j + i // 7) % len(WORDS)] for j in range(1, 9)) + f" item {i}"}
        for i in range(240)
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return get_corpus(str(src), CorpusConfig(id_field="id", min_tokens=1))


def _dense(**options: Any) -> DenseRetriever:
    r = DenseRetriever(threads=1, **options)
    r.__dict__["encoder"] = _FakeEncoder()
    return r


def test_passage_ids_are_kept_as_keys_and_other_ids_in_arrow() -> None:
    keys = np.array([1, 2**63 + 5, 255], dtype=np.uint64)
    ids = keys_to_ids(keys)
    held = RowIds.of(ids)
    assert held.keys is not None and held.keys.dtype == np.uint64 and held.strings is None
    assert held.take([2, 0, 1]) == [ids[2], ids[0], ids[1]]
    assert RowIds.of(keys).take([1]) == [ids[1]]
    other = RowIds.of(["p0", "doc-7", "x"])
    assert other.keys is None and len(other) == 3 and other.take([1, 2]) == ["doc-7", "x"]
    rows = np.array([[2, -1, 0], [1, 1, -1]])
    scores = np.array([[0.9, 0.0, -0.5], [2.0, 0.0, 0.0]], dtype=np.float32)
    assert other.ranked(rows, scores) == [[("x", 0.8999999761581421), ("p0", -0.5)], [("doc-7", 2.0), ("doc-7", 0.0)]]
    assert other.ranked(rows, scores, positive_only=True) == [[("x", 0.8999999761581421)], [("doc-7", 2.0)]]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"index": "ivf", "ivf_nlist": 8},
        {"index": "ivf-sq8", "ivf_nlist": 8},
        {"index": "hnsw"},
        {"index_shards": 3},
    ],
)
def test_dense_hits_are_those_of_a_list_of_ids(options: dict[str, Any]) -> None:
    vectors = _unit(1500, 16)
    ids = keys_to_ids(np.arange(10**6, 10**6 + 1500, dtype=np.uint64) * np.uint64(7919))
    r = DenseRetriever(threads=1, **options)
    r.index_vectors(vectors, ids)
    queries = _unit(40, 16, seed=1)
    assert r.search_vectors(queries, 20) == _reference(r._index, ids, queries, 20)
    other = [f"doc {i}" for i in range(1500)]  # ids that are not passage ids: same hits, by name
    r.index_vectors(vectors, other)
    assert r.search_vectors(queries, 20) == _reference(r._index, other, queries, 20)


def test_a_loaded_dense_index_memory_maps_its_ids_and_answers_as_built(corpus: Corpus) -> None:
    built = open_index(corpus, _dense())
    assert isinstance(built, DenseRetriever) and built.index_status == "built"
    queries = ["alpha beta", "kappa lambda mu item 3", "zeta"]
    first = built.search(queries, 10)
    loaded = open_index(corpus, _dense())
    assert isinstance(loaded, DenseRetriever) and loaded.index_status == "loaded"
    assert isinstance(loaded._ids.keys, np.memmap)
    ids = keys_to_ids(np.load(loaded.index_dir / "ids.npy"))  # type: ignore[operator]
    assert ids == corpus.ids()
    assert loaded.search(queries, 10) == first == _reference(loaded._index, ids, _FakeEncoder().encode(queries), 10)


@pytest.mark.parametrize("bad", ["strings", "short"])
def test_an_index_with_ids_in_another_form_is_rebuilt(corpus: Corpus, bad: str) -> None:
    first = open_index(corpus, _dense())
    assert first.index_dir is not None
    hits = first.search(["alpha beta"], 5)
    keys = np.load(first.index_dir / "ids.npy")
    # an older layout: ids as a string array; or ids that do not match the vectors
    np.save(first.index_dir / "ids.npy", np.array(keys_to_ids(keys)) if bad == "strings" else keys[:-1])
    again = open_index(corpus, _dense())
    assert again.index_status == "built"
    assert np.load(again.index_dir / "ids.npy").dtype == np.uint64  # type: ignore[operator]
    assert again.search(["alpha beta"], 5) == hits


def test_bm25_hits_and_ids_survive_a_reload(corpus: Corpus) -> None:
    built = open_index(corpus, BM25Retriever())
    queries = ["alpha beta gamma", "item 17", "nothing matches this"]
    first = built.search(queries, 8)
    assert first[2] == [] and all(s > 0 for hits in first for _, s in hits)
    loaded = open_index(corpus, BM25Retriever())
    assert loaded.index_status == "loaded" and loaded.search(queries, 8) == first
    assert {p for hits in first for p, _ in hits} <= set(corpus.ids())


def test_corpus_get_returns_passages_in_the_order_asked(corpus: Corpus) -> None:
    passages = list(corpus.iter_passages())
    order = [17, 3, 239, 3, 0, 120]
    assert corpus.get([passages[i].id for i in order]) == [passages[i] for i in order]
