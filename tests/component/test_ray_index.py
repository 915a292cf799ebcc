"""Dense index builds on Ray encoder actors, resume by shard markers, and sharded exact FAISS search."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthrr.config import CorpusConfig, RayConfig
from synthrr.corpus import Corpus, get_corpus
from synthrr.retrieval import open_index
from synthrr.retrieval.dense import DenseRetriever
from synthrr.retrieval.indexes import index_dir_for, parts_dir_for
from synthrr.retrieval.pools import PartStore, iter_encode_shards

TOPICS = ["volcano", "football", "violin", "harbour", "glacier", "election", "bakery", "satellite"]
VERBS = ["described", "reported", "celebrated", "questioned", "photographed"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, synthrr_home: Path) -> Iterator[Corpus]:
    src = tmp_path_factory.mktemp("corpus") / "forty.jsonl"
    tail = "with interviews, photographs and a long account of what happened next."
    lines = [
        {"id": f"d{i}", "text": f"The {v} story number {i} about the {t} was {v} by the local newspaper, {tail}"}
        for i, (t, v) in enumerate((t, v) for t in TOPICS for v in VERBS)
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse home fixture is not active yet
        mp.setenv("SYNTHRR_HOME", str(synthrr_home))
        c = get_corpus(str(src), CorpusConfig(id_field="id"))
        assert len(c) == 40
        yield c


@pytest.fixture(scope="module")
def ray_pool() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    from synthrr.executors.encode import RayEncodePool

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    pool = RayEncodePool(RayConfig(actors=2, cpus_per_actor=1))
    yield pool
    pool.close()
    ray.shutdown()


def _dense(**options: Any) -> DenseRetriever:
    return DenseRetriever(threads=1, encode_shard_size=8, **options)


QUERIES = ["lava flowing from a mountain", "a concert with strings", "bread and cakes", "a rocket in orbit"]


def test_ray_encoding_gives_the_same_index_as_local(
    corpus: Corpus, ray_pool: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "local"))
    local = open_index(corpus, _dense())
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "ray"))
    ray_pool.encoded = 0
    remote = open_index(corpus, _dense(), encode=ray_pool)
    assert local.index_status == remote.index_status == "built"
    assert ray_pool.encoded == 5  # 40 passages in shards of 8
    assert not parts_dir_for(corpus, remote).exists()  # parts removed once the index is in place
    assert local.index_dir is not None and remote.index_dir is not None
    lv, rv = np.load(local.index_dir / "vectors.npy"), np.load(remote.index_dir / "vectors.npy")
    np.testing.assert_allclose(lv, rv, atol=1e-5)
    assert (np.load(local.index_dir / "ids.npy") == np.load(remote.index_dir / "ids.npy")).all()
    lr, rr = local.search(QUERIES, 5), remote.search(QUERIES, 5)
    assert [[p for p, _ in q] for q in lr] == [[p for p, _ in q] for q in rr]
    np.testing.assert_allclose([[s for _, s in q] for q in lr], [[s for _, s in q] for q in rr], atol=1e-5)


def test_rerun_skips_finished_encode_shards(
    corpus: Corpus, ray_pool: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    retriever = _dense()
    store = PartStore(parts_dir_for(corpus, retriever))
    first_two = list(iter_encode_shards(corpus, 8))[:2]  # a build that failed after two shards
    done = list(ray_pool.map(retriever.encoder_spec(), first_two, store))
    assert [skipped for _, skipped in done] == [False, False]
    mtimes = {s.id: store.vectors(s.id).stat().st_mtime_ns for s in first_two}
    vectors_before = {s.id: store.load(s) for s in first_two}
    ray_pool.encoded = 0
    open_index(corpus, retriever, encode=ray_pool)
    assert ray_pool.encoded == 3  # only the three missing shards were encoded
    assert retriever.index_dir == index_dir_for(corpus, retriever)
    vectors = np.load(retriever.index_dir / "vectors.npy")
    for s in first_two:
        np.testing.assert_array_equal(vectors[s.start : s.start + 8], vectors_before[s.id])
    assert not store.root.exists()
    assert all(isinstance(m, int) for m in mtimes.values())


def test_a_marker_for_other_passages_is_ignored(corpus: Corpus, tmp_path: Path) -> None:
    from synthrr.retrieval.pools import LocalEncodePool

    shards = list(iter_encode_shards(corpus, 16))
    store = PartStore(tmp_path / "parts")
    store.write(shards[0], np.zeros((16, 384), dtype=np.float32))
    store.marker(shards[0].id).write_text("not-the-digest\n", encoding="utf-8")
    assert not store.is_done(shards[0])
    store.marker(shards[0].id).write_text(shards[0].digest + "\n", encoding="utf-8")
    assert store.is_done(shards[0]) and not store.is_done(shards[1])
    pool = LocalEncodePool()
    out = list(pool.map(_dense().encoder_spec(), shards[:1], store))
    assert out == [(shards[0], True)] and pool.encoded == 0


@pytest.mark.parametrize("n_shards", [2, 3, 7])
def test_sharded_flat_index_equals_the_single_index(n_shards: int, tmp_path: Path) -> None:
    from synthrr.retrieval.sharded import ShardedFlatIndex

    rng = np.random.default_rng(n_shards)
    vecs = rng.standard_normal((2000, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    queries = rng.standard_normal((64, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    ids = [f"p-{i:016x}" for i in range(len(vecs))]
    single, sharded = DenseRetriever(threads=2), DenseRetriever(threads=2, index_shards=n_shards)
    single.index_vectors(vecs, ids)
    sharded.index_vectors(vecs, ids)
    assert isinstance(sharded._index, ShardedFlatIndex) and len(sharded._index.shards) == n_shards
    for k in (1, 50):
        a, b = sharded.search_vectors(queries, k), single.search_vectors(queries, k)
        assert [[p for p, _ in r] for r in a] == [[p for p, _ in r] for r in b]  # same ids, same order
        # same scores (bit-identical here; at 100k vectors x 500 queries BLAS blocking moved 2% by 1 ulp)
        np.testing.assert_allclose([[s for _, s in r] for r in a], [[s for _, s in r] for r in b], rtol=0, atol=1e-6)
    sharded._index.save(tmp_path)
    loaded = ShardedFlatIndex.load(tmp_path)
    assert loaded.offsets == sharded._index.offsets
    s1, i1 = loaded.search(queries, 10)
    s2, i2 = single._index.search(queries, 10)
    assert (i1 == i2).all()
    np.testing.assert_allclose(s1, s2, rtol=0, atol=1e-6)


def test_index_shards_enter_the_fingerprint_only_when_used() -> None:
    assert DenseRetriever().fingerprint() == DenseRetriever(index_shards=1).fingerprint()
    assert DenseRetriever().fingerprint() != DenseRetriever(index_shards=4).fingerprint()


def _hit_rows(hits: list[Any]) -> list[tuple[str, str, int]]:
    return [(h.seed_id, h.passage_id, h.rank) for h in hits]


def test_ray_search_actors_give_the_local_hits(
    corpus: Corpus, ray_pool: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``executor: ray`` with ``index_shards: 3``: search actors hold the shards, the driver only merges."""
    from synthrr.config import RunConfig
    from synthrr.core.records import Example
    from synthrr.executors.search import RemoteShardedIndex
    from synthrr.retrieval.sharded import ShardedFlatIndex
    from synthrr.stages.retrieve import retrieve_for_run

    ray_pool.release()  # the module's encoder actors hold both CPUs of the test instance
    seeds = [Example(id=f"q{i}", text=q, label="x") for i, q in enumerate(QUERIES)]
    options = {"index_shards": 3, "threads": 1, "encode_shard_size": 8}
    local_cfg = RunConfig.from_dict({"retrieval": {"retriever": "dense", "k": 12, "options": options}})
    ray_cfg = local_cfg.with_overrides({"executor": "ray", "ray": {"actors": 2, "cpus_per_actor": 1}})
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home"))
    local_hits, local = retrieve_for_run(local_cfg, seeds, corpus)
    assert isinstance(local._index, ShardedFlatIndex) and len(local._index.shards) == 3
    assert len(local_hits) == 12 * len(QUERIES)

    def driver_must_not_load(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the driver loaded index shards")

    monkeypatch.setattr(ShardedFlatIndex, "load_files", classmethod(driver_must_not_load))  # this process only
    shutil.rmtree(tmp_path / "home" / "hits")  # the local run's hits are cached: search again, on the actors
    hits, remote = retrieve_for_run(ray_cfg, seeds, corpus)  # the index built above, loaded
    assert remote.index_status == "loaded"
    assert isinstance(remote._index, RemoteShardedIndex) and len(remote._index.actors) == 2
    assert remote._index.offsets[-1] == 40 and len(remote._index.offsets) == 3  # 3 shard files over 2 actors
    assert _hit_rows(hits) == _hit_rows(local_hits)  # same passages, same ranks
    np.testing.assert_allclose([h.score for h in hits], [h.score for h in local_hits], rtol=0, atol=1e-6)

    # a fresh home: the index is encoded on encoder actors, then searched on search actors
    monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "home-ray"))
    built_hits, built = retrieve_for_run(ray_cfg, seeds, corpus)
    assert built.index_status == "built" and isinstance(built._index, RemoteShardedIndex)
    assert _hit_rows(built_hits) == _hit_rows(local_hits)
    np.testing.assert_allclose([h.score for h in built_hits], [h.score for h in local_hits], rtol=0, atol=1e-5)
