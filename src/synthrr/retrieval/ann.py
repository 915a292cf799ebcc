"""Approximate FAISS indexes (IVF-flat, IVF-SQ8, HNSW) for big corpora, and their recall against exact search.

The dense retriever's ``index`` option is ``auto``, ``flat``, ``ivf``, ``ivf-sq8`` or ``hnsw``. ``auto``
keeps the exact ``IndexFlatIP`` below :data:`AUTO_EXACT_BELOW` passages (small runs stay exact and
reproducible) and uses IVF-SQ8 (IVF lists holding 8-bit scalar-quantised vectors, a quarter of the
memory) above it. On build, an approximate index measures its recall@k
against exact search with :data:`RECALL_QUERIES` of its own passages as queries (a fixed sample)
and the dense retriever stores it in the index metadata (``index.json``, ``dense.json``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from synthrr.core.errors import require

IndexKind = Literal["auto", "flat", "ivf", "ivf-sq8", "hnsw"]
BuiltKind = Literal["flat", "ivf", "ivf-sq8", "hnsw"]
AnnKind = Literal["ivf", "ivf-sq8", "hnsw"]
#: the IVF kinds: lists of full float32 vectors, or of 8-bit scalar-quantised ones
IVF_KINDS = ("ivf", "ivf-sq8")
#: below this many passages ``auto`` is exact. On 2 quiet cores exact search answered 10k seed queries
#: at top-50 in 33 s at 1M static (256-d) vectors, and its cost grows linearly with the corpus; IVF-SQ8
#: (256 of 4,000 lists) took 31 s at recall@50 0.93 in a quarter of the memory, where IVF-flat took 27 s
#: at 0.90 with half the lists scanned and HNSW (M=32) 13 s at 0.71 (docs/bench-corpus.md). So runs stay
#: exact and reproducible up to a million passages, and IVF-SQ8 takes over where exact search stops
#: fitting a minute and a laptop's memory
AUTO_EXACT_BELOW = 1_000_000
#: passages used as queries for the recall measured on build, and the k it is measured at
RECALL_QUERIES = 200
RECALL_K = 50
#: default share of the IVF lists scanned per query: 1/8 kept recall@50 at 0.97-0.98 on 20k static
#: vectors (1/16: 0.91-0.93), scanning ~8x fewer vectors than exact search (docs/benchmarks.md)
NPROBE_SHARE = 8
#: ... and at least this many lists (a small IVF index with a few lists of ~40 passages each: 1060
#: passages, 27 lists, 3 scanned gave recall@50 0.47)
NPROBE_MIN = 16
#: ... and at most this many: a query's cost grows with the vectors it scans, and 1/8 of 1M passages'
#: 4,000 lists (500) took longer than exact search; 256 of them answered 10k queries in 31 s (IVF-SQ8)
NPROBE_MAX = 256
#: k-means training points per IVF list (FAISS warns below 39)
_TRAIN_PER_LIST = 64
#: vectors added (and scanned for the exact recall) per step: an approximate index never copies the
#: whole (memory-mapped) vector file into memory, so IVF-SQ8's build holds a quarter of it
ADD_CHUNK = 100_000


def faiss_module() -> Any:
    """The ``faiss`` module, imported on first use (a clear error names the extra that installs it)."""
    return require("the dense retriever", "dense", "faiss")


@dataclass(frozen=True, slots=True)
class AnnSettings:
    """The parameters of an approximate index (part of the index key when one is used)."""

    nlist: int | None = None  # IVF lists (None: 4 * sqrt(passages), at least 1)
    nprobe: int | None = None  # IVF lists scanned per query (None: see NPROBE_SHARE, NPROBE_MIN)
    hnsw_m: int = 32  # HNSW links per node
    ef_construction: int = 80
    ef_search: int = 128

    def key(self, kind: str) -> str:
        if kind == "ivf":
            nprobe = self.nprobe or f"1/{NPROBE_SHARE}>={NPROBE_MIN}"  # the default's rule
            return f"ivf:nlist={self.nlist or 'auto'}:nprobe={nprobe}"
        if kind == "ivf-sq8":
            nprobe = self.nprobe or f"1/{NPROBE_SHARE}>={NPROBE_MIN}<={NPROBE_MAX}"
            return f"ivf-sq8:nlist={self.nlist or 'auto'}:nprobe={nprobe}"
        if kind == "hnsw":
            return f"hnsw:m={self.hnsw_m}:efc={self.ef_construction}:efs={self.ef_search}"
        return kind


def resolve_kind(kind: IndexKind, n: int) -> BuiltKind:
    """The index actually built for ``n`` passages (``auto``: exact below :data:`AUTO_EXACT_BELOW`)."""
    if kind == "auto":
        return "flat" if n < AUTO_EXACT_BELOW else "ivf-sq8"
    return kind


def default_nprobe(kind: str, nlist: int) -> int:
    """Lists scanned per query when ``nprobe`` is not set: 1/8 of them, at least 16; IVF-SQ8 (what
    ``auto`` builds for big corpora) also at most :data:`NPROBE_MAX`."""
    share = max(NPROBE_MIN, nlist // NPROBE_SHARE)
    return min(share, NPROBE_MAX) if kind == "ivf-sq8" else share


def ivf_lists(n: int, settings: AnnSettings) -> int:
    """IVF list count: the setting, else 4 * sqrt(n); never more lists than n / 39 training points."""
    want = settings.nlist or int(4 * n**0.5)
    return max(1, min(want, n // 39 or 1))


def build_ann(vectors: Any, kind: AnnKind, settings: AnnSettings) -> tuple[Any, dict[str, Any]]:
    """An approximate inner-product index over ``vectors`` (unit-length float32) and its parameters."""
    faiss = faiss_module()
    n, dim = vectors.shape
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.ef_construction
        _add_in_chunks(index, vectors)
        index.hnsw.efSearch = settings.ef_search
        return index, {"kind": "hnsw", **{k: v for k, v in asdict(settings).items() if k != "nlist" and k != "nprobe"}}
    nlist = ivf_lists(n, settings)
    quantizer = faiss.IndexFlatIP(dim)
    if kind == "ivf-sq8":
        sq8 = faiss.ScalarQuantizer.QT_8bit
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, sq8, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rows = np.arange(n)
    if n > nlist * _TRAIN_PER_LIST:  # a fixed, evenly spread sample: the same index every build
        rows = np.linspace(0, n - 1, nlist * _TRAIN_PER_LIST).astype(np.int64)
    index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    _add_in_chunks(index, vectors)
    index.nprobe = min(settings.nprobe or default_nprobe(kind, nlist), nlist)
    return index, {"kind": kind, "nlist": nlist, "nprobe": index.nprobe}


def _chunks(vectors: Any) -> Iterator[tuple[int, Any]]:
    """(first row, contiguous float32 rows) of ``vectors``, :data:`ADD_CHUNK` rows at a time."""
    for start in range(0, len(vectors), ADD_CHUNK):
        yield start, np.ascontiguousarray(vectors[start : start + ADD_CHUNK], dtype=np.float32)


def _add_in_chunks(index: Any, vectors: Any) -> None:
    for _, chunk in _chunks(vectors):
        index.add(chunk)


def exact_top_k(queries: Any, vectors: Any, k: int) -> Any:
    """Row numbers of each query's ``k`` highest inner products over ``vectors``, exact, computed a
    chunk of vectors at a time (best first)."""
    faiss = faiss_module()
    best_d = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start, chunk in _chunks(vectors):
        d, i = faiss.knn(queries, chunk, min(k, len(chunk)), metric=faiss.METRIC_INNER_PRODUCT)
        best_d, best_i = np.hstack([best_d, d]), np.hstack([best_i, i + start])
        order = np.argsort(-best_d, axis=1, kind="stable")[:, :k]
        best_d, best_i = np.take_along_axis(best_d, order, 1), np.take_along_axis(best_i, order, 1)
    return best_i


def set_search_params(index: Any, info: dict[str, Any]) -> None:
    """Restore the search-time parameters recorded in ``info`` on a loaded index."""
    if info.get("kind") in IVF_KINDS:
        index.nprobe = int(info["nprobe"])
    elif info.get("kind") == "hnsw":
        index.hnsw.efSearch = int(info["ef_search"])


def recall_at_k(index: Any, vectors: Any, k: int = RECALL_K, queries: int = RECALL_QUERIES) -> dict[str, Any]:
    """Mean recall@k of ``index`` against exact inner-product search, ``queries`` of the indexed
    vectors (evenly spread, fixed) used as queries."""
    n = len(vectors)
    k = min(k, n)
    rows = np.unique(np.linspace(0, n - 1, min(queries, n)).astype(np.int64))
    q = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    truth = exact_top_k(q, vectors, k)  # without copying the vectors into a second index
    _, got = index.search(q, k)
    hits = [len(set(t.tolist()) & set(g.tolist())) / k for t, g in zip(truth, got, strict=True)]
    return {f"recall@{k}": round(float(np.mean(hits)), 4), "recall_queries": len(rows), "recall_k": k}
