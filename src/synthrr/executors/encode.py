"""Sharded corpus encoding on Ray: an ``ActorPool`` of encoder actors.

Implements :class:`synthrr.retrieval.pools.EncodePool` (the protocol, the shard body
:func:`~synthrr.retrieval.pools.encode_shard` and its resumable part files live with the retrieval
code they serve): :class:`RayEncodePool` runs pending shards on :class:`EncoderWorker` actors, each
loading the model once, with ``threads = cpus_per_actor``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.executors.ray import actor_class, ensure_ray, import_ray, release
from synthrr.retrieval.pools import EncodePool, EncoderSpec, EncodeShard, PartStore, encode_shard

if TYPE_CHECKING:
    from synthrr.config import RayConfig


class EncoderWorker:
    """A Ray actor holding one encoder (the model loads once per actor)."""

    def __init__(self, spec: dict[str, Any], threads: int) -> None:
        self.spec = EncoderSpec(**spec)
        self.encoder = self.spec.build(threads)
        self.encoder.model  # noqa: B018 - load the model now, once per actor

    def run(self, shard: EncodeShard, root: str) -> tuple[int, str]:
        return encode_shard(self.encoder, shard, PartStore(Path(root)), self.spec.batch_size)

    def pid(self) -> int:
        return os.getpid()


class RayEncodePool(EncodePool):
    """Shards encoded on an ``ActorPool`` of :class:`EncoderWorker` actors; at most two shards in
    flight per actor, so the driver never holds more than that many shards' texts."""

    name = "ray"

    def __init__(self, rc: RayConfig) -> None:
        self.rc = rc
        self._started = False  # Ray is joined or started when the first shard needs an actor
        self.actors: list[Any] = []
        self._spec: EncoderSpec | None = None

    @classmethod
    def from_config(cls, rc: RayConfig) -> RayEncodePool:
        return cls(rc)

    def _pool(self, spec: EncoderSpec) -> Any:
        ray = import_ray()
        self._started = ensure_ray(self.rc) or self._started
        if spec != self._spec:
            self.release()
            threads = max(1, int(self.rc.cpus_per_actor))
            remote = actor_class(EncoderWorker, self.rc)
            self.actors = [remote.remote(asdict(spec), threads) for _ in range(self.rc.actors)]
            self._spec = spec
        return ray.util.ActorPool(self.actors)

    def _schedule(
        self, spec: EncoderSpec, shards: Iterator[EncodeShard], store: PartStore
    ) -> Iterator[tuple[EncodeShard, bool]]:
        pool = self._pool(spec)
        root = str(store.root)
        window = 2 * len(self.actors)
        in_flight: dict[int, EncodeShard] = {}

        def submit(shard: EncodeShard) -> None:
            in_flight[shard.start] = shard
            pool.submit(lambda actor, s: actor.run.remote(s, root), shard)

        for shard in shards:
            yield from self._drain_skipped()
            submit(shard)
            while len(in_flight) >= window:
                start, _ = pool.get_next_unordered()
                self.encoded += 1
                yield in_flight.pop(start), False
        while in_flight:
            start, _ = pool.get_next_unordered()
            self.encoded += 1
            yield in_flight.pop(start), False
        yield from self._drain_skipped()

    def release(self) -> None:
        self._stop(shutdown=False)

    def close(self) -> None:
        self._stop(shutdown=True)

    def _stop(self, *, shutdown: bool) -> None:
        release(self.actors, self._started and shutdown)
        self.actors, self._spec = [], None
        self._started = self._started and not shutdown
