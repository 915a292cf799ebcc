"""Dense retrieval: all-MiniLM-L6-v2 sentence embeddings and an exact FAISS inner-product index.

Vectors are L2-normalised, so inner product = cosine similarity (SynthesizRR retrieves with a
dense retriever, Contriever in the paper; MiniLM is the offline stand-in). The index folder holds
``vectors.npy`` (float32, one row per passage, corpus order), ``index.faiss`` (``IndexFlatIP``)
and ``ids.npy``. Queries are encoded like passages and searched in batched FAISS calls.
With ``index_shards: N > 1`` the index is N flat shards (``index-SSSSS.faiss``) searched in
parallel and merged (:mod:`synthrr.retrieval.sharded`); with an encode pool from
:func:`synthrr.retrieval.open_index` the corpus is encoded in resumable shards
(:mod:`synthrr.retrieval.pools`), and with a search pool the shards are loaded and searched by
the pool's workers instead of this process.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from synthrr.corpus.base import ids_to_keys, keys_to_ids
from synthrr.embed import Device, Encoder, get_encoder
from synthrr.errors import require
from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions
from synthrr.text import stable_hash

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool, EncoderSpec, SearchPool

_FORMAT = 1
#: passages length-sorted and encoded together (bounds the memory of the texts held at once)
ENCODE_WINDOW = 32_768
#: queries per FAISS call (one call for typical seed sets; bounds the result matrices)
SEARCH_BATCH = 8192


class DenseOptions(RetrieverOptions):
    model_dir: str | None = Field(None, description="sentence-transformers folder (default: packaged MiniLM)")
    device: Device = Field("cpu", description="cpu, cuda or auto")
    max_seq_length: int = Field(256, ge=8, le=512, description="tokens per passage seen by the encoder")
    batch_size: int = Field(64, ge=1, le=4096, description="encoding batch size (does not change the index)")
    threads: int | None = Field(None, ge=1, le=1024, description="torch/FAISS threads (default: all cores)")
    index_shards: int = Field(
        1, ge=1, le=4096, description="exact FAISS shards searched in parallel and merged (1: one index)"
    )
    encode_shard_size: int = Field(
        10_000, ge=1, description="passages per encode shard when an encode pool (executor) builds the index"
    )


def _faiss() -> Any:
    return require("the dense retriever", "dense", "faiss")


class DenseRetriever(Retriever):
    """Cosine similarity of sentence embeddings, exact search with FAISS ``IndexFlatIP``."""

    name = "dense"
    score_kind = "cosine"
    Options = DenseOptions
    options: DenseOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._index: Any = None
        self._ids: list[str] = []
        self._search_pool: SearchPool | None = None
        self._shards_dir: Path | None = None  # shard files the search pool opens at the first search

    @cached_property
    def encoder(self) -> Encoder:
        """The process-wide shared encoder for these settings (the model loads once per process)."""
        o = self.options
        return get_encoder(o.model_dir, device=o.device, max_seq_length=o.max_seq_length, threads=o.threads)

    @property
    def threads(self) -> int:
        return self.options.threads or os.cpu_count() or 1

    def fingerprint(self) -> str:
        parts = ["dense", str(_FORMAT), self.encoder.identity]
        if self.options.index_shards > 1:  # a different on-disk layout (same search results)
            parts.append(f"shards={self.options.index_shards}")
        return stable_hash(*parts)

    def encoder_spec(self) -> EncoderSpec:
        """How an encode worker rebuilds this retriever's encoder (same vectors, its own threads)."""
        from synthrr.retrieval.pools import EncoderSpec

        o = self.options
        return EncoderSpec(o.model_dir, o.device, o.max_seq_length, o.batch_size, o.threads)

    def build(
        self,
        corpus: Corpus,
        index_dir: Path,
        *,
        progress: bool = True,
        pool: EncodePool | None = None,
        parts_dir: Path | None = None,
    ) -> None:
        """Encode ``corpus`` and index it. With ``pool`` (an encode pool) the corpus is encoded in
        shards whose vectors and completion markers go to ``parts_dir`` (a rerun skips them)."""
        import numpy as np
        from tqdm.auto import tqdm

        n, dim = len(corpus), self.encoder.dim
        vectors = np.lib.format.open_memmap(index_dir / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, dim))
        keys = np.empty(n, dtype=np.uint64)
        with tqdm(total=n, desc=f"encode {corpus.name}", unit=" passages", disable=not progress) as bar:
            if pool is None:
                self._encode_here(corpus, vectors, keys, bar)
            else:
                parts = parts_dir or index_dir / "parts"
                self._encode_sharded(corpus, vectors, keys, bar, pool, parts)
                if parts_dir is None:  # parts inside the index folder: not needed once assembled
                    shutil.rmtree(parts, ignore_errors=True)
        vectors.flush()
        self.index_vectors(vectors, keys_to_ids(keys))
        self._save_index(index_dir)
        np.save(index_dir / "ids.npy", keys)
        (index_dir / "dense.json").write_text(json.dumps(self.describe(), indent=2), encoding="utf-8")
        del vectors

    def _encode_here(self, corpus: Corpus, vectors: Any, keys: Any, bar: Any) -> None:
        enc, pos = self.encoder, 0
        for ids, texts in corpus.iter_texts(batch_size=ENCODE_WINDOW):
            vectors[pos : pos + len(ids)] = enc.encode(texts, batch_size=self.options.batch_size, progress=bar)
            keys[pos : pos + len(ids)] = ids_to_keys(ids)
            pos += len(ids)

    def _encode_sharded(
        self, corpus: Corpus, vectors: Any, keys: Any, bar: Any, pool: EncodePool, parts_dir: Path
    ) -> None:
        from synthrr.retrieval.pools import PartStore, iter_encode_shards

        store = PartStore(parts_dir)
        shards = iter_encode_shards(corpus, self.options.encode_shard_size)
        for shard, _skipped in pool.map(self.encoder_spec(), shards, store):
            stop = shard.start + len(shard.keys)
            vectors[shard.start : stop] = store.load(shard)
            keys[shard.start : stop] = shard.keys
            bar.update(len(shard.keys))

    def index_vectors(self, vectors: Any, ids: list[str]) -> None:
        """Search these (unit-length float32) vectors from now on, in memory (e.g. precomputed embeddings)."""
        import numpy as np

        from synthrr.retrieval.sharded import ShardedFlatIndex

        faiss = _faiss()
        faiss.omp_set_num_threads(self.threads)
        if self.options.index_shards > 1:
            self._index = ShardedFlatIndex.from_vectors(vectors, self.options.index_shards, threads=self.threads)
        else:
            self._index = faiss.IndexFlatIP(vectors.shape[1])
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._ids = list(ids)

    def _save_index(self, index_dir: Path) -> None:
        from synthrr.retrieval.sharded import ShardedFlatIndex

        if isinstance(self._index, ShardedFlatIndex):
            self._index.save(index_dir)
        else:
            _faiss().write_index(self._index, str(index_dir / "index.faiss"))

    def use_search_pool(self, pool: SearchPool) -> bool:
        """A sharded index (``index_shards > 1``) is searched on ``pool``'s workers from the next
        :meth:`load` on; one ``index.faiss`` is not (False: it stays in this process)."""
        if self.options.index_shards <= 1:
            return False
        self._search_pool = pool
        return True

    def load(self, index_dir: Path) -> None:
        import numpy as np

        from synthrr.retrieval.sharded import ShardedFlatIndex, shard_files

        self._shards_dir = None
        if self._search_pool is not None:  # the pool's workers load the shards, at the first search
            found = len(shard_files(index_dir))
            if found != self.options.index_shards:
                raise ValueError(f"{index_dir}: {found} index shards, expected {self.options.index_shards}")
            self._index, self._shards_dir = None, index_dir
        elif self.options.index_shards > 1:
            self._index = ShardedFlatIndex.load(index_dir, threads=self.threads)
        else:
            self._index = _faiss().read_index(str(index_dir / "index.faiss"))
        self._ids = keys_to_ids(np.load(index_dir / "ids.npy"))

    def search(self, queries: list[str], k: int, *, progress: bool = False) -> list[Ranked]:
        if self._index is None and self._shards_dir is None:
            raise RuntimeError("dense retriever has no index; use synthrr.retrieval.open_index first")
        if not queries:
            return []
        qv = self.encoder.encode(
            queries, batch_size=self.options.batch_size, progress=progress and len(queries) > 256, desc="encode queries"
        )
        return self.search_vectors(qv, k)

    def search_vectors(self, vectors: Any, k: int) -> list[Ranked]:
        """Top-``k`` passages for already-encoded (unit-length float32) query vectors."""
        import numpy as np

        if self._index is None and self._shards_dir is not None and self._search_pool is not None:
            self._index = self._search_pool.open(self._shards_dir)
        _faiss().omp_set_num_threads(self.threads)
        k = min(k, len(self._ids))
        ids = self._ids
        out: list[Ranked] = []
        for start in range(0, len(vectors), SEARCH_BATCH):
            scores, idx = self._index.search(np.ascontiguousarray(vectors[start : start + SEARCH_BATCH]), k)
            for srow, irow in zip(scores.tolist(), idx.tolist(), strict=True):
                out.append([(ids[i], s) for i, s in zip(irow, srow, strict=True) if i >= 0])
        return out
