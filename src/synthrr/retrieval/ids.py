"""Passage ids by index row, held without a Python string per passage.

An index answers with row numbers; :class:`RowIds` turns the rows of a result into passage ids.
Corpus passage ids (``p-<16 hex digits>``) are held as their 64-bit keys in one ``uint64`` array
(8 bytes a passage, memory-mapped from the index's ``ids.npy`` when loaded), and only the ids of
the hits returned are formatted as strings. Ids of another form (vectors indexed with the caller's
own ids, :meth:`synthrr.retrieval.dense.DenseRetriever.index_vectors`) are held as one Arrow string
array instead. Memory then grows by bytes per passage, not by a Python object per passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from synthrr.corpus.base import ids_to_keys

if TYPE_CHECKING:
    from synthrr.retrieval.base import Ranked

#: what :meth:`RowIds.of` accepts: ids, their uint64 keys, or a RowIds
IdsLike = Union[Sequence[str], "np.ndarray", "RowIds"]


class RowIds:
    """The passage id of each index row: uint64 keys, or an Arrow string array for other ids."""

    def __init__(self, keys: np.ndarray | None = None, strings: Any = None) -> None:
        if (keys is None) == (strings is None):
            raise ValueError("RowIds needs keys or strings, not both")
        self.keys = keys
        self.strings = strings

    @classmethod
    def of(cls, ids: IdsLike) -> RowIds:
        """Row ids from passage ids, their uint64 keys, or ids of any other form."""
        if isinstance(ids, RowIds):
            return ids
        if isinstance(ids, np.ndarray) and ids.dtype == np.uint64:
            return cls(keys=ids)
        listed = [str(i) for i in ids] if isinstance(ids, np.ndarray) else ids
        try:
            return cls(keys=ids_to_keys(listed))
        except KeyError:  # not all corpus passage ids: keep them as they are, in Arrow
            import pyarrow as pa

            return cls(strings=pa.array(list(listed), type=pa.string()))

    @classmethod
    def load(cls, path: Path) -> RowIds:
        """The keys saved by :meth:`save`, memory-mapped (ValueError for any other content)."""
        keys = np.load(path, mmap_mode="r", allow_pickle=False)
        if keys.dtype != np.uint64 or keys.ndim != 1:
            raise ValueError(f"{path}: expected a 1-D uint64 array of passage keys, found {keys.dtype} {keys.shape}")
        return cls(keys=keys)

    def save(self, path: Path) -> None:
        if self.keys is None:
            raise ValueError("only passage ids (p-<16 hex digits>) are saved with an index")
        np.save(path, np.asarray(self.keys, dtype=np.uint64))

    def __len__(self) -> int:
        return len(self.keys) if self.keys is not None else len(self.strings)

    def take(self, rows: Any) -> list[str]:
        """The ids of these rows (non-negative ints), in order."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.keys is not None:
            return [f"p-{k:016x}" for k in self.keys[rows].tolist()]
        import pyarrow as pa

        return [str(s) for s in self.strings.take(pa.array(rows)).to_pylist()]

    def ranked(self, rows: Any, scores: Any, *, positive_only: bool = False) -> list[Ranked]:
        """``(nq, k)`` rows and scores as ranked lists; rows < 0 (no hit) dropped, and scores <= 0
        too with ``positive_only``."""
        rows, scores = np.asarray(rows), np.asarray(scores)
        keep = rows >= 0
        if positive_only:
            keep &= scores > 0
        ids = iter(self.take(rows[keep]))
        vals = iter(scores[keep].tolist())
        return [[(next(ids), next(vals)) for _ in range(n)] for n in keep.sum(axis=1).tolist()]
