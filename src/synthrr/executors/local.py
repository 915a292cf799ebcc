"""In-process execution: shards run one after another on the run's own LLM client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from synthrr.executors.base import Executor, Shard, ShardResult, ShardStore, run_shard

if TYPE_CHECKING:
    from synthrr.config import RunConfig
    from synthrr.llm.client import LLMClient


class LocalExecutor(Executor):
    """The default: every shard goes through one in-process :class:`LLMClient` (one engine)."""

    name = "local"

    def __init__(self, store: ShardStore, client: LLMClient) -> None:
        super().__init__(store)
        self.client = client

    @classmethod
    def from_config(cls, cfg: RunConfig, store: ShardStore, client: LLMClient) -> LocalExecutor:
        return cls(store, client)

    def _schedule(self, shards: list[Shard]) -> Iterator[ShardResult]:
        for shard in shards:
            yield run_shard(self.client, shard, self.store)
