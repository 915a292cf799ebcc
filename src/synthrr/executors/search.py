"""Searching a sharded exact index on Ray: search actors hold the shards, the driver merges.

A dense index with ``index_shards: N > 1`` is N files ``index-SSSSS.faiss`` holding consecutive
rows (:mod:`synthrr.retrieval.sharded`). :meth:`RaySearchPool.open` starts up to ``ray.actors``
:class:`SearchWorker` actors and gives each a contiguous run of those files, which the actor loads
by path, so the driver never loads the vectors (it keeps only ``ids.npy``, 8 bytes per passage).
A query batch, encoded in the driver, goes into Ray's object store once; every actor searches its
shards (in threads, merged inside the actor) and the driver merges the actors' top-k lists with
:func:`~synthrr.retrieval.sharded.merge_topk`, the same merge one process applies to its shards,
so the hits are those of the in-process index: same ids, same ranks, same scores.

A pool is chosen by executor name (:func:`synthrr.executors.make_search_pool`); ``local`` has none
and searches in process. BM25 has no shard files and always searches in the driver.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthrr.executors.ray import actor_class, ensure_ray, import_ray, release
from synthrr.retrieval.pools import SearchPool
from synthrr.retrieval.sharded import ShardedFlatIndex, merge_topk, shard_bounds, shard_files

if TYPE_CHECKING:
    from synthrr.config import RayConfig


class SearchWorker:
    """A Ray actor holding consecutive shard files of one index (rows numbered from 0 here)."""

    def __init__(self, files: list[str], threads: int) -> None:
        import faiss

        faiss.omp_set_num_threads(threads)
        self.index = ShardedFlatIndex.load_files([Path(f) for f in files], threads=threads)

    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        return self.index.search(queries, min(k, self.index.ntotal))

    def pid(self) -> int:
        return os.getpid()


class RemoteShardedIndex:
    """The driver's handle on shards held by search actors: ``search`` and ``ntotal`` like an index."""

    def __init__(self, actors: list[Any], sizes: list[int]) -> None:
        self.actors = actors
        self.offsets = [0, *itertools.accumulate(sizes)]

    @property
    def ntotal(self) -> int:
        return self.offsets[-1]

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        ray = import_ray()
        ref = ray.put(np.ascontiguousarray(queries, dtype=np.float32))  # shipped once, read by every actor
        results = ray.get([actor.search.remote(ref, k) for actor in self.actors])
        return merge_topk([r[0] for r in results], [r[1] for r in results], self.offsets[:-1], k)


class RaySearchPool(SearchPool):
    """Up to ``rc.actors`` :class:`SearchWorker` actors (``rc.cpus_per_actor`` CPUs and FAISS threads
    each, no GPU), each holding a contiguous run of the index's shard files. Ray is joined or
    started only when an index is opened, and shut down on :meth:`close` if this pool started it."""

    name = "ray"

    def __init__(self, rc: RayConfig) -> None:
        self.rc = rc
        self._started = False
        self.actors: list[Any] = []

    def open(self, index_dir: Path) -> RemoteShardedIndex:
        files = shard_files(index_dir)
        ray = import_ray()
        self._started = ensure_ray(self.rc) or self._started
        release(self.actors, False)  # one index at a time
        remote = actor_class(SearchWorker, self.rc, gpus=False)
        threads = max(1, int(self.rc.cpus_per_actor))
        groups = itertools.pairwise(shard_bounds(len(files), self.rc.actors))
        self.actors = [remote.remote([str(f) for f in files[lo:hi]], threads) for lo, hi in groups]
        sizes = ray.get([actor.ntotal.remote() for actor in self.actors])  # every actor has loaded its shards
        return RemoteShardedIndex(self.actors, sizes)

    def close(self) -> None:
        release(self.actors, self._started)
        self.actors, self._started = [], False
