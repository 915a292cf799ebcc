"""Ray execution: shards are dispatched to a pool of LLM worker actors.

Each actor builds its backend once (``make_client`` from the run's LLM config, so a model is
loaded once per actor) and runs :func:`~synthrr.executors.base.run_shard` on the shards it is
given. Actors are sized by ``RunConfig.ray`` (``actors``, ``cpus_per_actor``,
``gpus_per_actor``). Ray connects to ``ray.address`` or ``RAY_ADDRESS``; with neither, a local
Ray instance is started (and shut down on :meth:`RayExecutor.close`). ``import ray`` happens
only here, inside methods.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.errors import ConfigError, MissingExtraError, SynthrrError
from synthrr.executors.base import Executor, Shard, ShardResult, ShardStore, run_shard

if TYPE_CHECKING:
    from synthrr.config import RayConfig, RunConfig
    from synthrr.llm.client import LLMClient


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("the ray executor (--executor ray)", "ray", "ray") from None
    return ray


def ensure_ray(rc: RayConfig) -> bool:
    """Connect to ``rc.address`` / ``RAY_ADDRESS`` or start a local instance, unless Ray is already
    initialised. True when this call started it (the caller shuts it down)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = rc.address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=rc.num_cpus, include_dashboard=False, log_to_driver=False)
    return True


class LLMWorker:
    """A Ray actor holding one LLM client (backend + its own connection to the shared cache)."""

    def __init__(self, llm_config: dict[str, Any], threads: int | None, cache_path: str | None) -> None:
        from synthrr.config import LLMConfig
        from synthrr.llm.client import make_client

        cfg = LLMConfig.model_validate(llm_config)
        self.client = make_client(cfg, threads=threads, progress=False, cache_path=cache_path)

    def run(self, shard: Shard, root: str) -> ShardResult | SynthrrError:
        try:
            return run_shard(self.client, shard, ShardStore(Path(root)))
        except SynthrrError as e:  # returned, not raised: Ray would wrap it in a RayTaskError
            return e

    def pid(self) -> int:
        return os.getpid()


class RayExecutor(Executor):
    """Schedules pending shards on an ``ActorPool`` of :class:`LLMWorker` actors, in order."""

    name = "ray"

    def __init__(self, store: ShardStore, cfg: RunConfig) -> None:
        super().__init__(store)
        b = cfg.llm.budget
        if b.max_calls is not None or b.max_tokens is not None or b.max_cost is not None:
            raise ConfigError(
                "llm.budget", "a budget is enforced per client and is not supported with executor 'ray'; use local"
            )
        ray = import_ray()
        rc = cfg.ray
        self._started = ensure_ray(rc)
        cache_path: str | None = None
        if cfg.llm.cache:
            from synthrr.llm.cache import default_path

            cache_path = str(default_path())  # resolved on the driver: one shared WAL file per node
        threads = max(1, int(rc.cpus_per_actor)) if cfg.threads is None else cfg.threads
        remote = ray.remote(num_cpus=rc.cpus_per_actor, num_gpus=rc.gpus_per_actor)(LLMWorker)
        llm = cfg.llm.model_dump(mode="json")
        self.actors = [remote.remote(llm, threads, cache_path) for _ in range(rc.actors)]
        self._pool = ray.util.ActorPool(self.actors)

    @classmethod
    def from_config(cls, cfg: RunConfig, store: ShardStore, client: LLMClient) -> RayExecutor:
        return cls(store, cfg)

    def _schedule(self, shards: list[Shard]) -> Iterator[ShardResult]:
        root = str(self.store.root)
        for result in self._pool.map(lambda actor, shard: actor.run.remote(shard, root), shards):
            if isinstance(result, SynthrrError):
                raise result
            yield result

    def close(self) -> None:
        ray = import_ray()
        for actor in getattr(self, "actors", []):
            ray.kill(actor)
        self.actors = []
        if self._started and ray.is_initialized():
            ray.shutdown()
            self._started = False
