"""Retriever lookup, persisted indexes and top-K retrieval of corpus passages for seed examples."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.core.errors import InputError
from synthrr.core.io import atomic_dir, read_table, write_parquet
from synthrr.core.log import step
from synthrr.core.paths import safe_name, subdir
from synthrr.core.records import Example, Hit
from synthrr.core.registry import Registry
from synthrr.retrieval.base import Retriever

if TYPE_CHECKING:
    from synthrr.config import RetrievalConfig
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.pools import EncodePool, SearchPool

log = logging.getLogger(__name__)

RETRIEVERS: Registry[type[Retriever]] = Registry(
    "retriever",
    "synthrr.retrievers",
    {"bm25": "synthrr.retrieval.bm25:BM25Retriever", "dense": "synthrr.retrieval.dense:DenseRetriever"},
)

HIT_COLUMNS = ("seed_id", "passage_id", "rank", "score")


def get_retriever(name: str, **options: Any) -> Retriever:
    """A new retriever by registered name; options are validated (ConfigError names a bad one)."""
    return RETRIEVERS.get(name)(**options)


def retriever_from_config(config: RetrievalConfig, *, threads: int | None = None) -> Retriever:
    """The retriever of a :class:`RetrievalConfig`. ``batch_size`` (and ``threads``, e.g. the run's
    ``RunConfig.threads``) are passed to retrievers that take them unless the options set them."""
    cls = RETRIEVERS.get(config.retriever)
    options = dict(config.options)
    if "batch_size" in cls.Options.model_fields:
        options.setdefault("batch_size", config.batch_size)
    if threads is not None and "threads" in cls.Options.model_fields:
        options.setdefault("threads", threads)
    return cls(**options)


def index_dir_for(corpus: Corpus, retriever: Retriever) -> Path:
    """``$SYNTHRR_HOME/indexes/<corpus fingerprint>-<retriever name>-<retriever fingerprint>``."""
    name = f"{safe_name(corpus.fingerprint, 'corpus')}-{safe_name(retriever.name, 'retriever')}"
    return subdir("indexes") / f"{name}-{safe_name(retriever.fingerprint(), 'settings')}"


def parts_dir_for(corpus: Corpus, retriever: Retriever) -> Path:
    """Stable folder of a sharded build's per-shard encodings (kept across failed builds)."""
    path = index_dir_for(corpus, retriever)
    return path.with_name(path.name + ".parts")


def open_index(
    corpus: Corpus,
    retriever: Retriever,
    *,
    encode: EncodePool | None = None,
    search: SearchPool | None = None,
) -> Retriever:
    """Load the retriever's persisted index over ``corpus``, or build it (atomically) and persist it.

    Afterwards ``retriever.index_status`` is ``"loaded"`` or ``"built"`` and ``retriever.index_dir``
    is the index folder. An index that fails to load is rebuilt. ``encode`` (an encode pool, e.g.
    :func:`synthrr.executors.make_encode_pool`) makes a retriever that encodes its corpus (dense) do
    so in resumable shards on that pool; their parts folder is removed once the index is in place.
    ``search`` (a search pool, :func:`synthrr.executors.make_search_pool`) makes a retriever whose
    index is in shard files (dense with ``index_shards > 1``) load and search them on the pool's
    workers instead of this process; other retrievers ignore it.
    """
    path = index_dir_for(corpus, retriever)
    remote = search is not None and retriever.use_search_pool(search)
    t0 = time.perf_counter()
    if (path / "index.json").is_file():
        try:
            retriever.load(path)
        except Exception as e:  # a corrupt or incompatible index: rebuild it below
            log.warning("index %s could not be loaded (%s); rebuilding it", path, e)
        else:
            retriever.index_dir, retriever.index_status = path, "loaded"
            log.info("%s index for %s loaded from %s", retriever.name, corpus.name, path)
            return retriever
    step(
        f"building the {retriever.name} index of corpus '{corpus.name}' ({len(corpus):,} passages): "
        "once per corpus and retriever settings; later runs, dry runs included, load it"
    )
    with atomic_dir(path) as tmp:
        parts = parts_dir_for(corpus, retriever) if encode is not None else None
        retriever.build(corpus, tmp, pool=encode, parts_dir=parts)
        info = {
            "corpus": {"name": corpus.name, "fingerprint": corpus.fingerprint, "passages": len(corpus)},
            "retriever": retriever.describe(),
            "build_seconds": round(time.perf_counter() - t0, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "index.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    if parts is not None:
        shutil.rmtree(parts, ignore_errors=True)
    if remote:  # built here; from now on searched by the pool's workers, which load the final folder
        retriever.load(path)
    retriever.index_dir, retriever.index_status = path, "built"
    log.info("%s index for %s built in %.1f s at %s", retriever.name, corpus.name, info["build_seconds"], path)
    return retriever


def retrieve(
    queries: Sequence[Example],
    corpus: Corpus,
    config: RetrievalConfig,
    *,
    retriever: Retriever | None = None,
    encode: EncodePool | None = None,
    search: SearchPool | None = None,
) -> list[Hit]:
    """Top-``config.k`` passages of ``corpus`` for each query example (its text is the query).

    Pass an already opened ``retriever`` to reuse it across calls; otherwise one is made from
    ``config`` and its index opened (built once, then reused from disk). ``encode`` and ``search``
    (encode and search pools) are used when the index is opened here (see :func:`open_index`).
    """
    if retriever is None:
        retriever = retriever_from_config(config)
    if retriever.index_status is None:
        open_index(corpus, retriever, encode=encode, search=search)
    results = retriever.search([q.text for q in queries], config.k)
    return [
        Hit(seed_id=q.id, passage_id=pid, rank=rank, score=score)
        for q, ranked in zip(queries, results, strict=True)
        for rank, (pid, score) in enumerate(ranked, start=1)
    ]


def hits_frame(hits: Sequence[Hit]) -> Any:
    """Hits as a DataFrame with columns seed_id, passage_id, rank, score."""
    import pandas as pd

    return pd.DataFrame(
        {
            "seed_id": pd.Series([h.seed_id for h in hits], dtype="string"),
            "passage_id": pd.Series([h.passage_id for h in hits], dtype="string"),
            "rank": pd.Series([h.rank for h in hits], dtype="int32"),
            "score": pd.Series([h.score for h in hits], dtype="float32"),
        }
    )


def save_hits(hits: Sequence[Hit], path: str | Path) -> Path:
    """Write hits as Parquet (columns seed_id, passage_id, rank, score), atomically."""
    write_parquet(hits_frame(hits), path)
    return Path(path)


def load_hits(path: str | Path) -> list[Hit]:
    """Read hits written by :func:`save_hits` (ranks from 1 per seed, as written)."""
    df = read_table(path, columns=list(HIT_COLUMNS))
    try:
        return [
            Hit(seed_id=str(q), passage_id=str(p), rank=int(r), score=float(s))
            for q, p, r, s in zip(df["seed_id"], df["passage_id"], df["rank"], df["score"], strict=True)
        ]
    except (TypeError, ValueError) as e:
        raise InputError(path, f"not a hits table: {e}") from None
