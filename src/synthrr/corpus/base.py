"""An ingested corpus: Parquet shards of passages plus ``meta.json`` in one cache folder.

Passages stream from the shards (``iter_passages``, ``iter_batches``, ``iter_texts``); ``get`` looks
passages up by id through a sorted table of 64-bit content hashes and reads only the row groups
that hold them (with a small LRU of decoded row groups).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from synthrr.core.errors import InputError
from synthrr.core.records import Passage

_ROW_GROUP_CACHE = 32
#: the passage columns, in :class:`~synthrr.core.records.Passage` order
_FIELDS = ("id", "text", "n_tokens", "source")


def passage_key(pid: str) -> int:
    """The 64-bit integer behind a passage id ``p-<16 hex digits>`` (KeyError if malformed)."""
    if len(pid) != 18 or not pid.startswith("p-"):
        raise KeyError(pid)
    try:
        return int(pid[2:], 16)
    except ValueError:
        raise KeyError(pid) from None


def ids_to_keys(ids: Sequence[str]) -> np.ndarray:
    """Passage ids as a uint64 array (8 bytes each; what indexes store)."""
    return np.fromiter((passage_key(i) for i in ids), dtype=np.uint64, count=len(ids))


def keys_to_ids(keys: np.ndarray) -> list[str]:
    """Inverse of :func:`ids_to_keys`."""
    return [f"p-{k:016x}" for k in keys.tolist()]


class Corpus:
    """Read access to one ingested corpus folder (see :func:`synthrr.corpus.get_corpus`)."""

    def __init__(self, path: Path, *, from_cache: bool = True) -> None:
        self.path = Path(path)
        meta_file = self.path / "meta.json"
        if not meta_file.is_file():
            raise InputError(self.path, "not an ingested corpus folder (meta.json missing)")
        self.meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
        #: True when this corpus was found in the cache, False when it was ingested just now
        self.from_cache = from_cache
        self._groups: OrderedDict[tuple[int, int], Any] = OrderedDict()  # decoded row groups (Arrow tables)

    # ---- identity ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.meta["name"])

    @property
    def fingerprint(self) -> str:
        """Hash over the ordered passage ids: equal fingerprints mean identical passages in the same order."""
        return str(self.meta["fingerprint"])

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.meta["counts"])

    def __len__(self) -> int:
        return int(self.meta["counts"]["kept"])

    def __repr__(self) -> str:
        return f"Corpus(name={self.name!r}, passages={len(self)}, fingerprint={self.fingerprint!r})"

    # ---- streaming -----------------------------------------------------------------------
    @property
    def shard_files(self) -> list[Path]:
        return [self.path / s["file"] for s in self.meta["shards"]]

    def _iter_columns(self, columns: list[str], batch_size: int) -> Iterator[list[list[Any]]]:
        import pyarrow.parquet as pq

        for f in self.shard_files:
            pf = pq.ParquetFile(f)
            for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
                yield [batch.column(i).to_pylist() for i in range(len(columns))]

    def iter_batches(self, batch_size: int = 1024) -> Iterator[list[Passage]]:
        """Passages in corpus order, ``batch_size`` at a time."""
        for ids, texts, ns, sources in self._iter_columns(["id", "text", "n_tokens", "source"], batch_size):
            yield [Passage(*row) for row in zip(ids, texts, ns, sources, strict=True)]

    def iter_passages(self) -> Iterator[Passage]:
        for batch in self.iter_batches():
            yield from batch

    def iter_texts(self, batch_size: int = 8192) -> Iterator[tuple[list[str], list[str]]]:
        """``(ids, texts)`` in corpus order, ``batch_size`` at a time (no Passage objects)."""
        for cols in self._iter_columns(["id", "text"], batch_size):
            yield cols[0], cols[1]

    def ids(self) -> list[str]:
        return [pid for batch, _ in self.iter_texts() for pid in batch]

    def texts(self) -> list[str]:
        """All passage texts in corpus order (loads them all into memory)."""
        return [t for _, batch in self.iter_texts() for t in batch]

    # ---- lookup by id --------------------------------------------------------------------
    @cached_property
    def _id_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys = np.load(self.path / "ids_sorted.npy", mmap_mode="r")
        order = np.load(self.path / "ids_order.npy", mmap_mode="r")
        starts = np.cumsum([0] + [s["rows"] for s in self.meta["shards"]])
        return keys, order, starts

    @cached_property
    def _group_starts(self) -> list[np.ndarray]:
        import pyarrow.parquet as pq

        out = []
        for f in self.shard_files:
            md = pq.ParquetFile(f).metadata
            out.append(np.cumsum([0] + [md.row_group(i).num_rows for i in range(md.num_row_groups)]))
        return out

    def _row_group(self, shard: int, group: int) -> Any:
        """One row group as an Arrow table (its texts stay in Arrow buffers, not Python strings)."""
        import pyarrow.parquet as pq

        key = (shard, group)
        cached = self._groups.get(key)
        if cached is not None:
            self._groups.move_to_end(key)
            return cached
        table = pq.ParquetFile(self.shard_files[shard]).read_row_group(group, columns=list(_FIELDS))
        self._groups[key] = table
        if len(self._groups) > _ROW_GROUP_CACHE:
            self._groups.popitem(last=False)
        return table

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Corpus positions (0-based, in corpus order) of passage ids; KeyError for an unknown id."""
        keys, order, _ = self._id_table
        wanted = ids_to_keys(ids)
        idx = np.searchsorted(keys, wanted)
        idx_clamped = np.minimum(idx, max(len(keys) - 1, 0))
        missing = np.flatnonzero((idx >= len(keys)) | (keys[idx_clamped] != wanted))
        if missing.size:
            raise KeyError(f"passage id {ids[int(missing[0])]!r} is not in corpus {self.name!r}")
        return np.asarray(order[idx_clamped], dtype=np.int64)

    def get(self, ids: Sequence[str]) -> list[Passage]:
        """The passages with these ids, in the order asked; KeyError names the first unknown id."""
        if not ids:
            return []
        pos = self.positions(ids)
        _, _, starts = self._id_table
        shards = np.searchsorted(starts, pos, side="right") - 1
        rows = pos - starts[shards]
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (shard, group) -> [(asked index, row)]
        for i in np.argsort(pos, kind="stable").tolist():  # corpus order: each group decoded once per call
            shard, row = int(shards[i]), int(rows[i])
            gstarts = self._group_starts[shard]
            group = int(np.searchsorted(gstarts, row, side="right")) - 1
            groups.setdefault((shard, group), []).append((i, row - int(gstarts[group])))
        out: list[Passage | None] = [None] * len(ids)
        for (shard, group), wanted in groups.items():
            picked = self._row_group(shard, group).take([r for _, r in wanted])
            cols = [picked.column(name).to_pylist() for name in _FIELDS]
            for (i, _), row_values in zip(wanted, zip(*cols, strict=True), strict=True):
                out[i] = Passage(*row_values)
        return out  # type: ignore[return-value]

    def __contains__(self, pid: object) -> bool:
        if not isinstance(pid, str):
            return False
        try:
            self.positions([pid])
        except KeyError:
            return False
        return True
