"""In-process execution: shards run one after another on the run's own LLM client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from synthrr.executors.base import Executor, ExecutorSettings, Shard, ShardResult, ShardStore, run_shard

if TYPE_CHECKING:
    from synthrr.llm.client import LLMClient


class LocalExecutor(Executor):
    """The default: every shard goes through one in-process :class:`LLMClient` (one engine)."""

    name = "local"

    def __init__(self, store: ShardStore, client: LLMClient, shard_size: int | None = None) -> None:
        super().__init__(store, shard_size)
        self.client = client

    @classmethod
    def create(cls, store: ShardStore, client: LLMClient, settings: ExecutorSettings) -> LocalExecutor:
        return cls(store, client, settings.shard_size)

    def _schedule(self, shards: list[Shard]) -> Iterator[ShardResult]:
        for shard in shards:
            yield run_shard(self.client, shard, self.store)
