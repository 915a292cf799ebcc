"""Executors only schedule: they size a round's shards and name the pools of the run's other work,
from the executor name and the Ray settings alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthrr.config import LLMConfig, RayConfig
from synthrr.core.errors import UnknownNameError
from synthrr.executors import (
    make_encode_pool,
    make_executor,
    make_fit_pool,
    make_search_pool,
    make_shards,
)
from synthrr.executors.encode import RayEncodePool
from synthrr.executors.fit import RayFitPool
from synthrr.executors.local import LocalExecutor
from synthrr.executors.ray import RayExecutor
from synthrr.executors.search import RaySearchPool
from synthrr.llm.backends.fake import FakeLLM
from synthrr.llm.base import LLMRequest
from synthrr.llm.client import LLMClient
from synthrr.students.distill import LocalFitPool


def _local(tmp_path: Path, shard_size: int | None) -> LocalExecutor:
    client = LLMClient(FakeLLM())
    executor = make_executor(
        "local", RayConfig(), tmp_path, client, llm=LLMConfig(backend="fake"), shard_size=shard_size
    )
    assert isinstance(executor, LocalExecutor) and executor.client is client
    return executor


def _ray(actors: int, shard_size: int | None) -> RayExecutor:
    """A Ray executor's sizing without starting Ray (no actors are made)."""
    executor = object.__new__(RayExecutor)
    executor.rc = RayConfig(actors=actors)
    executor.configured_shard_size = shard_size
    return executor


def test_local_cuts_a_round_into_one_shard_unless_a_size_is_configured(tmp_path: Path) -> None:
    assert _local(tmp_path, None).shard_size(10) is None
    assert _local(tmp_path, 4).shard_size(10) == 4
    requests = [LLMRequest(text=f"p{i}") for i in range(10)]
    assert len(make_shards(0, requests, _local(tmp_path, None).shard_size(10))) == 1


def test_ray_cuts_a_round_into_one_shard_per_actor_unless_a_size_is_configured() -> None:
    assert _ray(3, None).shard_size(10) == 4  # ceil(10 / 3): three shards, one per actor
    assert _ray(2, None).shard_size(10) == 5
    assert _ray(3, 2).shard_size(10) == 2
    requests = [LLMRequest(text=f"p{i}") for i in range(10)]
    assert len(make_shards(0, requests, _ray(3, None).shard_size(10))) == 3


def test_pools_are_chosen_by_executor_name_and_sized_by_the_ray_config() -> None:
    rc = RayConfig(actors=3, cpus_per_actor=0.5)
    assert make_encode_pool("local", rc) is None and make_search_pool("local", rc) is None
    assert isinstance(make_fit_pool("local", rc), LocalFitPool)
    pools = [make_encode_pool("ray", rc), make_search_pool("ray", rc), make_fit_pool("ray", rc)]
    assert [type(p) for p in pools] == [RayEncodePool, RaySearchPool, RayFitPool]
    assert all(p.rc is rc for p in pools)  # type: ignore[union-attr]
    for make in (make_encode_pool, make_search_pool, make_fit_pool):
        with pytest.raises(UnknownNameError, match="executor"):
            make("dask", rc)


def test_executor_classes_carry_no_pool_factories() -> None:
    for cls in (LocalExecutor, RayExecutor):
        assert not {"encode_pool", "search_pool", "fit_pool"} & set(dir(cls))
