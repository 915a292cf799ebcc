"""Ray execution: shards are dispatched to a pool of LLM worker actors.

Each actor builds its backend once (``make_client`` from the run's LLM config, so a model is
loaded once per actor) and runs :func:`~synthrr.executors.base.run_shard` on the shards it is
given. Actors are sized by ``RunConfig.ray`` (``actors``, ``cpus_per_actor``,
``gpus_per_actor``). Ray connects to ``ray.address`` or ``RAY_ADDRESS``; with neither, a local
Ray instance is started (and shut down on :meth:`RayExecutor.close`). ``import ray`` happens
only inside functions.

Every worker actor (LLM, encoder, index search) is made by :func:`actor_class`: when its process
dies, Ray restarts it (``ray.max_restarts``) and retries the call it was running
(``ray.max_task_retries``). That is safe because each call can run twice: a shard body writes its
outputs atomically and its completion marker last, and a search only reads.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.config import LLMConfig
from synthrr.core.errors import SynthrrError, require
from synthrr.core.log import progress_switch
from synthrr.executors.base import Executor, ExecutorSettings, Shard, ShardResult, ShardStore, run_shard
from synthrr.llm.cache.store import default_path
from synthrr.llm.client import make_client

if TYPE_CHECKING:
    from synthrr.config import RayConfig
    from synthrr.llm.client import LLMClient


def import_ray() -> Any:
    return require("the ray executor (--executor ray)", "ray", "ray")


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


def actor_class(cls: type, rc: RayConfig, *, gpus: bool = True) -> Any:
    """``cls`` as a Ray actor class sized by ``rc`` (``cpus_per_actor``, ``gpus_per_actor`` unless
    ``gpus`` is False) that Ray restarts ``rc.max_restarts`` times when its process dies, retrying
    the interrupted call ``rc.max_task_retries`` times. Only for calls that may safely run twice."""
    ray = import_ray()
    return ray.remote(
        num_cpus=rc.cpus_per_actor,
        num_gpus=rc.gpus_per_actor if gpus else 0,
        max_restarts=rc.max_restarts,
        max_task_retries=rc.max_task_retries,
    )(cls)


def release(actors: list[Any], started: bool) -> None:
    """Kill ``actors`` (no restart) and shut Ray down when the caller started it (:func:`ensure_ray`)."""
    if not actors and not started:
        return
    ray = import_ray()
    for actor in actors if ray.is_initialized() else []:
        ray.kill(actor)
    if started and ray.is_initialized():
        ray.shutdown()


class LLMWorker:
    """A Ray actor holding one LLM client (backend + its own connection to the shared cache)."""

    def __init__(self, llm_config: dict[str, Any], threads: int | None, cache_path: str | None) -> None:
        cfg = LLMConfig.model_validate(llm_config)
        self.client = make_client(cfg, threads=threads, cache_path=cache_path)

    def run(self, shard: Shard, root: str) -> ShardResult | SynthrrError:
        try:
            with progress_switch(False):  # bars and step lines of a worker would only reach its log
                return run_shard(self.client, shard, ShardStore(Path(root)))
        except SynthrrError as e:  # returned, not raised: Ray would wrap it in a RayTaskError
            return e

    def pid(self) -> int:
        return os.getpid()


class RayExecutor(Executor):
    """Schedules pending shards on an ``ActorPool`` of :class:`LLMWorker` actors, in order; a round
    without a configured shard size is cut into one shard per actor."""

    name = "ray"

    def __init__(
        self,
        store: ShardStore,
        rc: RayConfig,
        llm: LLMConfig,
        threads: int | None = None,
        shard_size: int | None = None,
    ) -> None:
        super().__init__(store, shard_size)
        self.rc = rc
        ray = import_ray()
        self._started = ensure_ray(rc)
        cache_path: str | None = None
        if llm.cache:
            cache_path = str(default_path())  # resolved on the driver: one shared WAL file per node
        threads = max(1, int(rc.cpus_per_actor)) if threads is None else threads
        remote = actor_class(LLMWorker, rc)
        config = llm.model_dump(mode="json")
        self.actors = [remote.remote(config, threads, cache_path) for _ in range(rc.actors)]
        self._pool = ray.util.ActorPool(self.actors)

    @classmethod
    def create(cls, store: ShardStore, client: LLMClient, settings: ExecutorSettings) -> RayExecutor:
        return cls(store, settings.ray, settings.llm, settings.threads, settings.shard_size)

    def shard_size(self, n: int) -> int | None:
        return self.configured_shard_size or math.ceil(n / self.rc.actors)

    def _schedule(self, shards: list[Shard]) -> Iterator[ShardResult]:
        root = str(self.store.root)
        for result in self._pool.map(lambda actor, shard: actor.run.remote(shard, root), shards):
            if isinstance(result, SynthrrError):
                raise result
            yield result

    def close(self) -> None:
        release(getattr(self, "actors", []), getattr(self, "_started", False))
        self.actors, self._started = [], False
