"""Executors: where shards of LLM work run. Stages never know which one runs them.

``local`` (default) runs shards in-process; ``ray`` dispatches them to a pool of actors. Both run
the same shard body (:func:`synthrr.executors.base.run_shard`) and resume by completion markers.
Dense index builds are sharded the same way by an encode pool (:mod:`synthrr.executors.encode`,
:func:`~synthrr.executors.encode.make_encode_pool`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.executors.base import Executor, Shard, ShardResult, ShardStore, make_shards, run_shard
from synthrr.executors.encode import EncodePool, LocalEncodePool, RayEncodePool, make_encode_pool
from synthrr.registry import Registry

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.llm.client import LLMClient

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


__all__ = [
    "EXECUTORS",
    "EncodePool",
    "Executor",
    "LocalEncodePool",
    "RayEncodePool",
    "Shard",
    "ShardResult",
    "ShardStore",
    "make_encode_pool",
    "make_executor",
    "make_shards",
    "run_shard",
]
