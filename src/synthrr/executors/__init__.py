"""Executors: where shards of LLM work run. Stages never know which one runs them.

``local`` (default) runs shards in-process; ``ray`` dispatches them to a pool of actors. Both run
the same shard body (:func:`synthrr.executors.base.run_shard`) and resume by completion markers.
The executor named by ``cfg.executor`` also says where a run's other work goes: dense index
encoding (:func:`make_encode_pool`, :mod:`synthrr.executors.encode`), searching a sharded index
(:func:`make_search_pool`, :mod:`synthrr.executors.search`) and student fits
(:func:`make_fit_pool`, :mod:`synthrr.executors.fit`). The encode and search protocols live with the
retrieval code they serve (:mod:`synthrr.retrieval.pools`); executors implement them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.executors.base import Executor, Shard, ShardResult, ShardStore, make_shards, run_shard
from synthrr.registry import Registry
from synthrr.retrieval.pools import EncodePool, LocalEncodePool, SearchPool

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.llm.client import LLMClient
    from synthrr.students.distill import FitPool

EXECUTORS: Registry[Any] = Registry(
    "executor",
    "synthrr.executors",
    {"local": "synthrr.executors.local:LocalExecutor", "ray": "synthrr.executors.ray:RayExecutor"},
)


def make_executor(cfg: RunConfig, shard_root: Path, client: LLMClient) -> Executor:
    """The configured executor (``cfg.executor``) writing shards under ``shard_root``."""
    cls = EXECUTORS.get(cfg.executor)
    executor: Executor = cls.from_config(cfg, ShardStore(shard_root), client)
    return executor


def make_encode_pool(cfg: RunConfig) -> EncodePool | None:
    """The encode pool of the run's executor (Ray encoder actors for ``ray``); ``None`` (the
    in-process, unsharded build) for ``local``."""
    pool: EncodePool | None = EXECUTORS.get(cfg.executor).encode_pool(cfg)
    return pool


def make_search_pool(cfg: RunConfig) -> SearchPool | None:
    """The search pool of the run's executor (Ray search actors for ``ray``); ``None`` (search in
    this process) for ``local``."""
    pool: SearchPool | None = EXECUTORS.get(cfg.executor).search_pool(cfg)
    return pool


def make_fit_pool(cfg: RunConfig) -> FitPool:
    """Where the run's executor fits students: in this process (``local``) or as Ray tasks (``ray``)."""
    pool: FitPool = EXECUTORS.get(cfg.executor).fit_pool(cfg)
    return pool


__all__ = [
    "EXECUTORS",
    "EncodePool",
    "Executor",
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
