"""What an index build and a sharded search need from whoever runs them: the pool protocols.

The dense retriever encodes a corpus in shards and may search a sharded index on workers; these
are the protocols it serves, defined here beside it. Executors implement them elsewhere (Ray:
:mod:`synthrr.executors.encode`, :mod:`synthrr.executors.search`); a retriever never learns which
executor runs it.

**Encoding.** The driver streams the corpus in corpus order and cuts it into :class:`EncodeShard`\\ s
of ``shard_size`` passages (id ``e<start>-<count>``). :func:`encode_shard` is the one shard body,
the same on every pool: encode the texts, then write, each atomically and the marker last::

    PARTS/<shard id>.npy       float32 vectors, one row per passage, shard order
    PARTS/<shard id>.done      completion marker: a digest of the shard's passage ids

A rerun skips every shard whose marker matches (its texts are still read from the corpus, but
nothing is encoded). Pools only schedule: :class:`LocalEncodePool` runs shards in-process, a Ray
pool on actors. Finished shards come back in any order with their ``start`` offset, so the driver
writes them straight into the index's vector matrix.

**Searching.** A :class:`SearchPool` loads the shard files of an index onto its workers and returns
an index-like handle whose ``search`` merges their answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthrr.core.io import atomic_open
from synthrr.core.resources import Closeable
from synthrr.core.text import stable_hash
from synthrr.corpus.base import ids_to_keys
from synthrr.encoders.sentence import Encoder, get_encoder

#: passages per encode shard (the resume grain; ~8 min of one core with MiniLM)
DEFAULT_SHARD_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class EncoderSpec:
    """How a worker builds its encoder (:func:`synthrr.encoders.sentence.get_encoder` arguments)."""

    model_dir: str | None = None
    device: str = "cpu"
    max_seq_length: int = 256
    batch_size: int = 64
    threads: int | None = None
    encoder: str = "minilm"  # the kind (synthrr.encoders.fast.ENCODER_KINDS): workers load the same one

    def build(self, threads: int | None = None) -> Encoder:
        t = threads or self.threads
        o = self
        return get_encoder(o.model_dir, device=o.device, max_seq_length=o.max_seq_length, threads=t, kind=o.encoder)


@dataclass(slots=True)
class EncodeShard:
    """A contiguous slice of the corpus: passages ``start .. start + len(keys)`` in corpus order."""

    start: int
    keys: np.ndarray  # uint64 passage keys
    texts: list[str]

    @property
    def id(self) -> str:
        return f"e{self.start:010d}-{len(self.keys):07d}"

    @property
    def digest(self) -> str:
        return stable_hash(self.keys.tobytes().hex(), size=16)


class PartStore:
    """Per-shard vector files and completion markers in one (stable) folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def vectors(self, shard_id: str) -> Path:
        return self.root / f"{shard_id}.npy"

    def marker(self, shard_id: str) -> Path:
        return self.root / f"{shard_id}.done"

    def is_done(self, shard: EncodeShard) -> bool:
        m = self.marker(shard.id)
        return (
            m.is_file() and m.read_text(encoding="utf-8").strip() == shard.digest and self.vectors(shard.id).is_file()
        )

    def write(self, shard: EncodeShard, vectors: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.vectors(shard.id), "wb") as fh:  # a file object: np.save adds no suffix
            np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32))
        with atomic_open(self.marker(shard.id)) as fh:  # last: the shard counts as done only now
            fh.write(shard.digest + "\n")

    def load(self, shard: EncodeShard) -> np.ndarray:
        vectors: np.ndarray = np.load(self.vectors(shard.id))
        return vectors


def encode_shard(encoder: Encoder, shard: EncodeShard, store: PartStore, batch_size: int) -> tuple[int, str]:
    """The shard body, the same on every pool: encode, write the vectors, then the marker."""
    store.write(shard, encoder.encode(shard.texts, batch_size=batch_size))
    return shard.start, shard.id


def iter_encode_shards(corpus: Any, shard_size: int) -> Iterator[EncodeShard]:
    """The corpus in order, as shards of ``shard_size`` passages (the last may be shorter)."""
    start = 0
    for ids, texts in corpus.iter_texts(batch_size=shard_size):
        yield EncodeShard(start, ids_to_keys(ids), list(texts))
        start += len(ids)


class EncodePool(Closeable, ABC):
    """Runs :func:`encode_shard` somewhere. Subclasses only schedule the pending shards."""

    name = "base"
    #: encoder calls made by this pool (shards actually encoded, not skipped)
    encoded: int = 0

    def map(
        self, spec: EncoderSpec, shards: Iterable[EncodeShard], store: PartStore
    ) -> Iterator[tuple[EncodeShard, bool]]:
        """Yield ``(shard, skipped)`` for every shard once its vectors are in ``store``, in any order."""
        yield from self._schedule(spec, self._pending(shards, store), store)

    def _pending(self, shards: Iterable[EncodeShard], store: PartStore) -> Iterator[EncodeShard]:
        self._skipped: list[EncodeShard] = []
        for s in shards:
            if store.is_done(s):
                self._skipped.append(s)
            else:
                yield s

    @abstractmethod
    def _schedule(
        self, spec: EncoderSpec, shards: Iterator[EncodeShard], store: PartStore
    ) -> Iterator[tuple[EncodeShard, bool]]:
        """Run :func:`encode_shard` on each pending shard; yield finished and skipped shards."""

    def _drain_skipped(self) -> Iterator[tuple[EncodeShard, bool]]:
        while getattr(self, "_skipped", None):
            yield self._skipped.pop(0), True

    def release(self) -> None:
        """Stop the workers (their CPUs and memory are free again); a later build starts new ones."""

    def close(self) -> None:
        """Release the workers and whatever else the pool started."""
        self.release()


class LocalEncodePool(EncodePool):
    """Shards encoded one after another in this process (on the shared encoder)."""

    name = "local"

    def _schedule(
        self, spec: EncoderSpec, shards: Iterator[EncodeShard], store: PartStore
    ) -> Iterator[tuple[EncodeShard, bool]]:
        enc = spec.build()
        for shard in shards:
            yield from self._drain_skipped()
            encode_shard(enc, shard, store, spec.batch_size)
            self.encoded += 1
            yield shard, False
        yield from self._drain_skipped()


class SearchPool(Closeable, ABC):
    """Workers that hold the shards of an index and answer ``search(queries, k)`` together."""

    name = "base"

    @abstractmethod
    def open(self, index_dir: Path) -> Any:
        """Load the shard files of ``index_dir`` onto the workers; returns an index-like handle
        (``search(queries, k) -> (scores, rows)``, ``ntotal``) whose rows are global."""
