"""A fast encoder on Ray encoder actors gives the same vectors and hits as in this process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthrr.config import CorpusConfig, RayConfig
from synthrr.corpus import Corpus, get_corpus
from synthrr.retrieval import open_index
from synthrr.retrieval.dense import DenseRetriever

pytestmark = pytest.mark.ray

TOPICS = ["volcano", "football", "violin", "harbour", "glacier", "election"]


@pytest.fixture(scope="module")
def home_and_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Corpus]]:
    """A home set before Ray starts, so its actors find (and never rebuild elsewhere) the encoder."""
    home = tmp_path_factory.mktemp("fast_ray_home")
    src = home / "docs.jsonl"
    lines = [
        {"id": f"d{i}", "text": f"Report {i} on the {t}: what the local newspaper wrote about the {t} this week."}
        for i, t in enumerate(t for t in TOPICS for _ in range(4))
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNTHRR_HOME", str(home))
        yield home, get_corpus(str(src), CorpusConfig(id_field="id", min_tokens=1))


def test_onnx_encoder_on_ray_actors_matches_local(
    home_and_corpus: tuple[Path, Corpus], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    ray = pytest.importorskip("ray")
    from synthrr.executors.encode import RayEncodePool

    home, corpus = home_and_corpus
    monkeypatch.setenv("SYNTHRR_HOME", str(home))
    local = open_index(corpus, DenseRetriever(threads=1, encoder="minilm-onnx"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    pool = RayEncodePool(RayConfig(actors=2, cpus_per_actor=1))
    try:
        monkeypatch.setenv("SYNTHRR_HOME", str(tmp_path / "ray-index"))  # a second index folder
        retriever = DenseRetriever(threads=1, encoder="minilm-onnx", encode_shard_size=8)
        retriever.__dict__["encoder"] = local.encoder  # type: ignore[attr-defined]
        remote: Any = open_index(corpus, retriever, encode=pool)
        assert pool.encoded == 3  # 24 passages in shards of 8, all on the actors
    finally:
        pool.close()
        ray.shutdown()
    assert local.index_dir is not None and remote.index_dir is not None
    np.testing.assert_allclose(
        np.load(local.index_dir / "vectors.npy"), np.load(remote.index_dir / "vectors.npy"), atol=1e-5
    )
    queries = ["lava from a mountain", "a match in the rain"]
    assert [[p for p, _ in q] for q in local.search(queries, 5)] == [
        [p for p, _ in q] for q in remote.search(queries, 5)
    ]
