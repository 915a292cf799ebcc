"""Dense retrieval: all-MiniLM-L6-v2 sentence embeddings and an exact FAISS inner-product index.

Vectors are L2-normalised, so inner product = cosine similarity (SynthesizRR retrieves with a
dense retriever, Contriever in the paper; MiniLM is the offline stand-in). The index folder holds
``vectors.npy`` (float32, one row per passage, corpus order), ``index.faiss`` (``IndexFlatIP``)
and ``ids.npy`` (uint64 passage keys, memory-mapped on load and turned into ids only for the hits
returned: :mod:`synthrr.retrieval.ids`). Queries are encoded like passages and searched in batched FAISS calls.
With ``index_shards: N > 1`` the index is N flat shards (``index-SSSSS.faiss``) searched in
parallel and merged (:mod:`synthrr.retrieval.sharded`); with an encode pool from
:func:`synthrr.retrieval.open_index` the corpus is encoded in resumable shards
(:mod:`synthrr.retrieval.pools`), and with a search pool the shards are loaded and searched by
the pool's workers instead of this process.

``encoder`` picks the encoder (``minilm``: the torch sentence-transformers model; ``static``,
``minilm-onnx``, ``minilm-onnx-int8``: built from it, :mod:`synthrr.encoders.fast`); queries and
passages use the same one. ``index`` picks exact or approximate search (:mod:`synthrr.retrieval.ann`);
an approximate index's parameters and its recall@50 against exact search go to ``dense.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from synthrr.core.errors import ConfigError, did_you_mean
from synthrr.core.log import Bar, progress
from synthrr.core.text import stable_hash
from synthrr.corpus.base import ids_to_keys
from synthrr.encoders.fast import ENCODER_KINDS
from synthrr.encoders.sentence import Device, Encoder, get_encoder
from synthrr.retrieval.ann import (
    AnnSettings,
    IndexKind,
    build_ann,
    faiss_module,
    recall_at_k,
    resolve_kind,
    set_search_params,
)
from synthrr.retrieval.base import Ranked, Retriever, RetrieverOptions
from synthrr.retrieval.ids import IdsLike, RowIds
from synthrr.retrieval.pools import EncoderSpec, PartStore, iter_encode_shards
from synthrr.retrieval.sharded import ShardedFlatIndex, shard_files

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool, SearchPool

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
    encoder: str = Field(
        "minilm", description="minilm (torch), static (model2vec), minilm-onnx or minilm-onnx-int8 (ONNX Runtime)"
    )
    index: IndexKind = Field(
        "auto", description="auto (exact below 1M passages, else ivf-sq8), flat, ivf, ivf-sq8 or hnsw"
    )
    ivf_nlist: int | None = Field(None, ge=1, description="IVF lists (default: 4 * sqrt(passages))")
    ivf_nprobe: int | None = Field(
        None, ge=1, description="IVF lists scanned per query (default: lists / 8, at least 16; ivf-sq8: at most 256)"
    )
    hnsw_m: int = Field(32, ge=4, le=256, description="HNSW links per node")
    hnsw_ef_search: int = Field(128, ge=1, description="HNSW candidates per query")


class DenseRetriever(Retriever):
    """Cosine similarity of sentence embeddings, exact search with FAISS ``IndexFlatIP``."""

    name = "dense"
    score_kind = "cosine"
    Options = DenseOptions
    options: DenseOptions

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._index: Any = None
        self._ids = RowIds(strings=[])  # passage id of each index row (uint64 keys once indexed)
        self._search_pool: SearchPool | None = None
        self._shards_dir: Path | None = None  # shard files the search pool opens at the first search
        self._index_info: dict[str, Any] = {"kind": "flat"}  # the index built or loaded (+ its recall)
        o = self.options
        if o.encoder not in ENCODER_KINDS:
            known = ", ".join(ENCODER_KINDS)
            msg = f"unknown encoder '{o.encoder}'{did_you_mean(o.encoder, ENCODER_KINDS)}; known encoders: {known}"
            raise ConfigError("retrieval.options.encoder", msg)
        if o.index in ("ivf", "ivf-sq8", "hnsw") and o.index_shards > 1:
            raise ConfigError("retrieval.options.index", f"'{o.index}' needs index_shards: 1 (shards are exact)")

    @cached_property
    def encoder(self) -> Encoder:
        """The process-wide shared encoder for these settings (the model loads once per process)."""
        o = self.options
        return get_encoder(
            o.model_dir, device=o.device, max_seq_length=o.max_seq_length, threads=o.threads, kind=o.encoder
        )

    @property
    def threads(self) -> int:
        return self.options.threads or os.cpu_count() or 1

    def fingerprint(self) -> str:
        parts = ["dense", str(_FORMAT), self.encoder.identity]
        if self.options.index_shards > 1:  # a different on-disk layout (same search results)
            parts.append(f"shards={self.options.index_shards}")
        if self.options.index != "auto" or self.ann_settings != AnnSettings():  # auto + defaults: today's key
            parts.append("index=" + self.ann_settings.key(self.options.index))
        return stable_hash(*parts)

    @property
    def ann_settings(self) -> AnnSettings:
        o = self.options
        return AnnSettings(nlist=o.ivf_nlist, nprobe=o.ivf_nprobe, hnsw_m=o.hnsw_m, ef_search=o.hnsw_ef_search)

    def encoder_spec(self) -> EncoderSpec:
        """How an encode worker rebuilds this retriever's encoder (same vectors, its own threads)."""
        o = self.options
        return EncoderSpec(o.model_dir, o.device, o.max_seq_length, o.batch_size, o.threads, o.encoder)

    def build(
        self,
        corpus: Corpus,
        index_dir: Path,
        *,
        pool: EncodePool | None = None,
        parts_dir: Path | None = None,
    ) -> None:
        """Encode ``corpus`` and index it. With ``pool`` (an encode pool) the corpus is encoded in
        shards whose vectors and completion markers go to ``parts_dir`` (a rerun skips them)."""
        n, dim = len(corpus), self.encoder.dim
        vectors = np.lib.format.open_memmap(index_dir / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, dim))
        keys = np.empty(n, dtype=np.uint64)
        with progress(total=n, desc=f"encode {corpus.name}", unit=" passages") as bar:
            if pool is None:
                self._encode_here(corpus, vectors, keys, bar)
            else:
                parts = parts_dir or index_dir / "parts"
                self._encode_sharded(corpus, vectors, keys, bar, pool, parts)
                if parts_dir is None:  # parts inside the index folder: not needed once assembled
                    shutil.rmtree(parts, ignore_errors=True)
        vectors.flush()
        self.index_vectors(vectors, keys)
        self._save_index(index_dir)
        self._ids.save(index_dir / "ids.npy")
        (index_dir / "dense.json").write_text(json.dumps(self.describe(), indent=2), encoding="utf-8")
        del vectors

    def _encode_here(self, corpus: Corpus, vectors: Any, keys: Any, bar: Bar) -> None:
        enc, pos = self.encoder, 0
        for ids, texts in corpus.iter_texts(batch_size=ENCODE_WINDOW):
            vectors[pos : pos + len(ids)] = enc.encode(texts, batch_size=self.options.batch_size, bar=bar)
            keys[pos : pos + len(ids)] = ids_to_keys(ids)
            pos += len(ids)

    def _encode_sharded(
        self, corpus: Corpus, vectors: Any, keys: Any, bar: Bar, pool: EncodePool, parts_dir: Path
    ) -> None:
        store = PartStore(parts_dir)
        shards = iter_encode_shards(corpus, self.options.encode_shard_size)
        for shard, _skipped in pool.map(self.encoder_spec(), shards, store):
            stop = shard.start + len(shard.keys)
            vectors[shard.start : stop] = store.load(shard)
            keys[shard.start : stop] = shard.keys
            bar.update(len(shard.keys))

    def index_vectors(self, vectors: Any, ids: IdsLike) -> None:
        """Search these (unit-length float32) vectors from now on, in memory (e.g. precomputed embeddings);
        ``ids``: one per row, as strings or (corpus passage ids) their uint64 keys."""
        faiss = faiss_module()
        faiss.omp_set_num_threads(self.threads)
        kind = resolve_kind(self.options.index, len(vectors)) if self.options.index_shards == 1 else "flat"
        self._index_info = {"kind": kind}
        if self.options.index_shards > 1:
            self._index = ShardedFlatIndex.from_vectors(vectors, self.options.index_shards, threads=self.threads)
        elif kind != "flat":
            self._index, self._index_info = build_ann(vectors, kind, self.ann_settings)
            self._index_info.update(recall_at_k(self._index, vectors))
        else:
            self._index = faiss.IndexFlatIP(vectors.shape[1])
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._ids = RowIds.of(ids)

    def _save_index(self, index_dir: Path) -> None:
        if isinstance(self._index, ShardedFlatIndex):
            self._index.save(index_dir)
        else:
            faiss_module().write_index(self._index, str(index_dir / "index.faiss"))

    def use_search_pool(self, pool: SearchPool) -> bool:
        """A sharded index (``index_shards > 1``) is searched on ``pool``'s workers from the next
        :meth:`load` on; one ``index.faiss`` is not (False: it stays in this process)."""
        if self.options.index_shards <= 1:
            return False
        self._search_pool = pool
        return True

    def load(self, index_dir: Path) -> None:
        self._shards_dir = None
        if self._search_pool is not None:  # the pool's workers load the shards, at the first search
            found = len(shard_files(index_dir))
            if found != self.options.index_shards:
                raise ValueError(f"{index_dir}: {found} index shards, expected {self.options.index_shards}")
            self._index, self._shards_dir = None, index_dir
        elif self.options.index_shards > 1:
            self._index = ShardedFlatIndex.load(index_dir, threads=self.threads)
        else:
            self._index = faiss_module().read_index(str(index_dir / "index.faiss"))
        self._index_info = self._read_index_info(index_dir)
        if self._index is not None:
            set_search_params(self._index, self._index_info)
        self._ids = RowIds.load(index_dir / "ids.npy")  # memory-mapped: 8 bytes a passage, read as hit
        total = self._index.ntotal if self._index is not None else None
        if total is not None and total != len(self._ids):
            raise ValueError(f"{index_dir}: {len(self._ids)} ids for {total} indexed vectors")

    @staticmethod
    def _read_index_info(index_dir: Path) -> dict[str, Any]:
        meta = index_dir / "dense.json"
        info = json.loads(meta.read_text(encoding="utf-8")).get("index") if meta.is_file() else None
        return dict(info) if isinstance(info, dict) else {"kind": "flat"}

    def describe(self) -> dict[str, Any]:
        """Name, fingerprint and options, plus the index built or loaded (kind, parameters, recall)."""
        return {**super().describe(), "index": dict(self._index_info)}

    def search(self, queries: list[str], k: int) -> list[Ranked]:
        if self._index is None and self._shards_dir is None:
            raise RuntimeError("dense retriever has no index; use synthrr.retrieval.open_index first")
        if not queries:
            return []
        bar = progress(total=len(queries), desc="encode queries", unit=" texts") if len(queries) > 256 else None
        qv = self.encoder.encode(queries, batch_size=self.options.batch_size, bar=bar)
        if bar is not None:
            bar.close()
        return self.search_vectors(qv, k)

    def search_vectors(self, vectors: Any, k: int) -> list[Ranked]:
        """Top-``k`` passages for already-encoded (unit-length float32) query vectors."""
        if self._index is None and self._shards_dir is not None and self._search_pool is not None:
            self._index = self._search_pool.open(self._shards_dir)
        faiss_module().omp_set_num_threads(self.threads)
        k = min(k, len(self._ids))
        out: list[Ranked] = []
        for start in range(0, len(vectors), SEARCH_BATCH):
            scores, idx = self._index.search(np.ascontiguousarray(vectors[start : start + SEARCH_BATCH]), k)
            out.extend(self._ids.ranked(idx, scores))
        return out
