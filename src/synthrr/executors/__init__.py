"""Executors: where shards of LLM work run. Stages never know which one runs them.

``local`` (default) runs shards in-process; ``ray`` dispatches them to a pool of actors. Both run
the same shard body (:func:`synthrr.executors.base.run_shard`), resume by completion markers, and
say how a round is cut into shards (:meth:`Executor.shard_size`). The executor's name also says
where a run's other work goes, each looked up by that name in its own registry: dense index
encoding (:data:`ENCODE_POOLS`, :func:`make_encode_pool`, :mod:`synthrr.executors.encode`),
searching a sharded index (:data:`SEARCH_POOLS`, :func:`make_search_pool`,
:mod:`synthrr.executors.search`) and student fits (:data:`FIT_POOLS`, :func:`make_fit_pool`,
:mod:`synthrr.executors.fit`). An executor name a registry lacks keeps that work in this process.
The encode and search protocols live with the retrieval code they serve
(:mod:`synthrr.retrieval.pools`); executors implement them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.core.errors import UnknownNameError
from synthrr.core.registry import Registry
from synthrr.executors.base import Executor, ExecutorSettings, Shard, ShardResult, ShardStore, make_shards, run_shard
from synthrr.retrieval.pools import EncodePool, LocalEncodePool, SearchPool

if TYPE_CHECKING:
    from synthrr.config import LLMConfig, RayConfig
    from synthrr.llm.client import LLMClient
    from synthrr.students.distill import FitPool

EXECUTORS: Registry[type[Executor]] = Registry(
    "executor",
    "synthrr.executors",
    {"local": "synthrr.executors.local:LocalExecutor", "ray": "synthrr.executors.ray:RayExecutor"},
)
#: executor name -> factory ``(RayConfig) -> pool`` of each kind of the run's other work
ENCODE_POOLS: Registry[Callable[[RayConfig], EncodePool]] = Registry(
    "encode pool", "synthrr.encode_pools", {"ray": "synthrr.executors.encode:RayEncodePool"}
)
SEARCH_POOLS: Registry[Callable[[RayConfig], SearchPool]] = Registry(
    "search pool", "synthrr.search_pools", {"ray": "synthrr.executors.search:RaySearchPool"}
)
FIT_POOLS: Registry[Callable[[RayConfig], FitPool]] = Registry(
    "fit pool",
    "synthrr.fit_pools",
    {"local": "synthrr.executors.fit:local_fit_pool", "ray": "synthrr.executors.fit:RayFitPool"},
)


def make_executor(
    name: str,
    rc: RayConfig,
    shard_root: Path,
    client: LLMClient,
    *,
    llm: LLMConfig,
    threads: int | None = None,
    shard_size: int | None = None,
) -> Executor:
    """Executor ``name`` writing shards under ``shard_root``: ``local`` answers on ``client``; ``ray``
    starts ``rc.actors`` workers, each building its own client from ``llm`` (``threads`` each)."""
    settings = ExecutorSettings(rc, llm, threads, shard_size)
    return EXECUTORS.get(name).create(ShardStore(shard_root), client, settings)


def _pool(registry: Registry[Callable[[RayConfig], Any]], name: str, rc: RayConfig) -> Any:
    if name not in EXECUTORS:
        raise UnknownNameError("executor", name, EXECUTORS.names())
    return registry.get(name)(rc) if name in registry else None


def make_encode_pool(name: str, rc: RayConfig) -> EncodePool | None:
    """The encode pool of executor ``name`` (Ray encoder actors for ``ray``); ``None`` (the
    in-process, unsharded build) for ``local``."""
    pool: EncodePool | None = _pool(ENCODE_POOLS, name, rc)
    return pool


def make_search_pool(name: str, rc: RayConfig) -> SearchPool | None:
    """The search pool of executor ``name`` (Ray search actors for ``ray``); ``None`` (search in
    this process) for ``local``."""
    pool: SearchPool | None = _pool(SEARCH_POOLS, name, rc)
    return pool


def make_fit_pool(name: str, rc: RayConfig) -> FitPool:
    """Where executor ``name`` fits students: in this process (``local``, and an executor without its
    own fit pool) or as Ray tasks (``ray``)."""
    pool: FitPool | None = _pool(FIT_POOLS, name, rc)
    return pool if pool is not None else FIT_POOLS.get("local")(rc)


__all__ = [
    "ENCODE_POOLS",
    "EXECUTORS",
    "FIT_POOLS",
    "SEARCH_POOLS",
    "EncodePool",
    "Executor",
    "ExecutorSettings",
    "LocalEncodePool",
    "SearchPool",
    "Shard",
    "ShardResult",
    "ShardStore",
    "make_encode_pool",
    "make_executor",
    "make_fit_pool",
    "make_search_pool",
    "make_shards",
    "run_shard",
]
