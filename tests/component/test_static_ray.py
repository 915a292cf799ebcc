"""The ``static`` encoder on 2 Ray encoder actors gives the very vectors and hits it gives in this process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthrr.config import CorpusConfig, RayConfig
from synthrr.corpus import get_corpus
from synthrr.retrieval import open_index
from synthrr.retrieval.dense import DenseRetriever

# distils the static encoder on first use in the session's home (1-3 min on 2 cores) and starts Ray
pytestmark = [pytest.mark.ray, pytest.mark.e2e]

TOPICS = ["volcano", "football", "violin", "harbour", "glacier", "election"]


def test_static_encoder_on_ray_actors_matches_local(
    synthrr_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("model2vec")
    ray = pytest.importorskip("ray")
    from synthrr.executors.encode import RayEncodePool

    src = tmp_path / "docs.jsonl"
    texts = [f"Item {n}: notes about the {TOPICS[n % 6]}, seen by readers." for n in range(24)]
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    corpus = get_corpus(str(src), CorpusConfig(min_tokens=1))
    local = open_index(corpus, DenseRetriever(threads=1, encoder="static"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # actors see this home's encoder
    pool = RayEncodePool(RayConfig(actors=2, cpus_per_actor=1))
    try:
        retriever = DenseRetriever(threads=1, encoder="static", encode_shard_size=8, index_shards=2)
        remote: Any = open_index(corpus, retriever, encode=pool)  # another key: another folder
        assert pool.encoded == 3  # 24 passages in shards of 8, all on the actors
    finally:
        pool.close()
        ray.shutdown()
    assert local.index_dir is not None and remote.index_dir is not None and local.index_dir != remote.index_dir
    assert np.array_equal(np.load(local.index_dir / "vectors.npy"), np.load(remote.index_dir / "vectors.npy"))
    queries = ["lava from a mountain", "a match in the rain", "strings and a bow"]
    assert local.search(queries, 8) == remote.search(queries, 8)
