"""An exact inner-product index split into N FAISS ``IndexFlatIP`` shards.

Shard ``s`` holds rows ``offsets[s] .. offsets[s + 1]`` of the vector matrix. A query batch is
searched on every shard at once (a thread pool: FAISS releases the GIL) and each query's N top-k
lists are merged by score, ties broken by the lower row number, so the result is the same as one
flat index over all rows. Each shard can be saved and loaded on its own (``index-SSSSS.faiss``),
which is what lets the shards of a corpus larger than one machine's RAM live in different processes.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

SHARD_FILE = "index-{:05d}.faiss"


def shard_files(folder: Path) -> list[Path]:
    """The shard files of a sharded index folder, in row order."""
    files = sorted(Path(folder).glob("index-*.faiss"))
    if not files:
        raise FileNotFoundError(f"{folder}: no index-*.faiss shards")
    return files


def shard_bounds(n: int, shards: int) -> list[int]:
    """Row offsets of ``shards`` near-equal contiguous shards of ``n`` rows (length shards + 1)."""
    shards = max(1, min(shards, n)) if n else 1
    return [n * s // shards for s in range(shards + 1)]


def merge_topk(scores: list[Any], idx: list[Any], offsets: list[int], k: int) -> tuple[Any, Any]:
    """Merge per-shard ``(nq, k)`` results into the global top-``k`` (rows are global indices).

    Sorted by descending score, then ascending global row (what one flat index returns for ties)."""
    all_scores = np.concatenate(scores, axis=1)
    all_idx = np.concatenate([np.where(i >= 0, i + off, -1) for i, off in zip(idx, offsets, strict=False)], axis=1)
    missing = all_idx < 0
    sort_scores = np.where(missing, -np.inf, all_scores)
    sort_rows = np.where(missing, np.iinfo(np.int64).max, all_idx)
    order = np.lexsort((sort_rows, -sort_scores), axis=1)[:, :k]
    return np.take_along_axis(all_scores, order, axis=1), np.take_along_axis(all_idx, order, axis=1)


class ShardedFlatIndex:
    """N ``IndexFlatIP`` shards searched in parallel; same ``search`` / ``ntotal`` as one index."""

    def __init__(self, shards: list[Any], *, threads: int = 0) -> None:
        self.shards = shards
        self.offsets = [0]
        for s in shards:
            self.offsets.append(self.offsets[-1] + s.ntotal)
        self.threads = threads or len(shards)

    @classmethod
    def from_vectors(cls, vectors: Any, n_shards: int, *, threads: int = 0) -> ShardedFlatIndex:
        import faiss

        bounds = shard_bounds(len(vectors), n_shards)
        shards = []
        for lo, hi in itertools.pairwise(bounds):
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(np.ascontiguousarray(vectors[lo:hi], dtype=np.float32))
            shards.append(index)
        return cls(shards, threads=threads)

    @property
    def ntotal(self) -> int:
        return self.offsets[-1]

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        if len(self.shards) == 1:
            scores, rows = self.shards[0].search(queries, k)
            return scores, rows
        with ThreadPoolExecutor(max_workers=min(self.threads, len(self.shards))) as pool:
            results = list(pool.map(lambda s: s.search(queries, min(k, s.ntotal)), self.shards))
        return merge_topk([r[0] for r in results], [r[1] for r in results], self.offsets[:-1], k)

    def save(self, folder: Path) -> None:
        import faiss

        for i, s in enumerate(self.shards):
            faiss.write_index(s, str(folder / SHARD_FILE.format(i)))

    @classmethod
    def load(cls, folder: Path, *, threads: int = 0) -> ShardedFlatIndex:
        return cls.load_files(shard_files(folder), threads=threads)

    @classmethod
    def load_files(cls, files: list[Path], *, threads: int = 0) -> ShardedFlatIndex:
        """The given shard files (consecutive, in row order) as one index; rows start at 0."""
        import faiss

        return cls([faiss.read_index(str(f)) for f in files], threads=threads)
