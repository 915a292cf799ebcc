"""A million passages from raw text to a searchable index on this machine: every phase side by side.

The corpus is bench/big_corpus.py's (the built-in corpora and the IMDb reviews, padded to exactly
``--scale`` passages by recombining their sentences; written once into ``--work``). Every phase
runs in a fresh process with a fresh ``$SYNTHRR_HOME`` (the fast encoders, built once, are shared),
so its peak RSS (VmHWM) is its own:

  ingest         the JSONL file -> a synthrr corpus (Parquet shards + id table)
  encode         torch MiniLM (today's path, the baseline) and ``minilm-onnx-int8`` on an evenly
                 spread sample of ``--sample`` passages (model load excluded; the whole-corpus time
                 is extrapolated and marked so); ``static`` on every passage inside the next phase
  build          ``open_index`` with ``encoder: static``, ``index: auto`` (encode + index + save)
  flat           the exact index over the same vectors (for comparison and the exact answers)
  query          ``--queries`` seed-like queries (train and validation texts of the built-in tasks,
                 round robin) at top-50 on the auto index, loaded from disk: queries/s including
                 query encoding, and recall@50 against the exact index's answers
  sweep          an IVF (or IVF-SQ8) auto index searched again at each of ``--nprobes``: queries/s, recall@50
  bm25           build, then queries/s for the first ``--bm25-queries`` of them (separate processes)
  ray            ``static`` on ``--ray-sample`` passages, locally and on 2 Ray encoder actors of 1
                 CPU: passages/s, identical vectors, identical top-50 hits

    nice -n 5 .venv/bin/python -m bench.corpus --scale 100k
    nice -n 5 .venv/bin/python -m bench.corpus --scale 1m --md bench-corpus.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.big_corpus import RECIPE, write_corpus
from bench.corpus_table import markdown
from bench.memory import peak_rss_mb
from bench.table import emit
from synthrr.core.log import progress_switch

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TASKS = ("imdb", "rotten_tomatoes", "bbc_news")
PHASES = ("ingest", "encode:minilm", "encode:minilm-onnx-int8", "build", "flat", "query", "sweep", "bm25-build",
          "bm25-query")  # fmt: skip
K = 50
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "0"}


def cores() -> int:
    return os.cpu_count() or 1


def seed_queries(n: int) -> list[str]:
    """``n`` seed-like texts: train then validation examples of the built-in tasks, round robin."""
    from itertools import chain, zip_longest

    from synthrr.tasks import get_task

    per_task = []
    for name in TASKS:
        task = get_task(name)
        per_task.append([x.text for split in ("train", "validation") for x in task.load_split(split)])
    pool = [t for t in chain.from_iterable(zip_longest(*per_task)) if t]
    return [pool[i % len(pool)] for i in range(n)]


def corpus(args: argparse.Namespace) -> Any:
    from synthrr.config import CorpusConfig
    from synthrr.corpus import get_corpus

    return get_corpus(str(args.jsonl), CorpusConfig(min_tokens=1))


def sample_texts(c: Any, n: int) -> tuple[Any, list[str]]:
    """``n`` passages evenly spread over the corpus: their uint64 keys and texts."""
    import numpy as np

    from synthrr.corpus.base import ids_to_keys

    step = max(1, len(c) // n)
    ids: list[str] = []
    texts: list[str] = []
    pos = 0
    for b_ids, b_texts in c.iter_texts():
        rows = [r for r in range((-pos) % step, len(b_ids), step)]
        ids += [b_ids[r] for r in rows]
        texts += [b_texts[r] for r in rows]
        pos += len(b_ids)
    return np.asarray(ids_to_keys(ids[:n])), texts[:n]


def phase_ingest(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    c = corpus(args)
    secs = time.perf_counter() - t0
    if len(c) != args.n:
        raise SystemExit(f"ingest kept {len(c)} passages, expected {args.n}")
    return {"passages": len(c), "seconds": secs, "rate": len(c) / secs}


def phase_encode(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from synthrr.encoders.sentence import get_encoder

    _, texts = sample_texts(corpus(args), args.sample)
    t0 = time.perf_counter()
    enc = get_encoder(threads=cores(), kind=kind)
    enc.encode(["warm up"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    enc.encode(texts)
    secs = time.perf_counter() - t0
    return {"passages": len(texts), "seconds": secs, "rate": len(texts) / secs, "load_s": load_s}


def phase_build(args: argparse.Namespace) -> dict[str, Any]:
    from synthrr.retrieval import open_index
    from synthrr.retrieval.dense import DenseRetriever

    c = corpus(args)
    r = DenseRetriever(threads=cores(), encoder="static")
    marks: dict[str, float] = {}
    inner = r.index_vectors

    def timed(vectors: Any, ids: Any) -> None:
        marks["index_start"] = time.perf_counter()
        inner(vectors, ids)
        marks["index_end"] = time.perf_counter()

    r.index_vectors = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    r.encoder.encode(["warm up"])  # load the static model (distilled on its very first use: not counted)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    open_index(c, r)
    secs = time.perf_counter() - t0
    encode_s, index_s = marks["index_start"] - t0, marks["index_end"] - marks["index_start"]
    return {"passages": len(c), "seconds": secs, "encode_s": encode_s, "index_s": index_s, "load_s": load_s,
            "rate": len(c) / encode_s, "index": r.describe()["index"], "dir": str(r.index_dir)}  # fmt: skip


def _queries(args: argparse.Namespace) -> list[str]:
    return list(json.loads((args.work / "queries.json").read_text(encoding="utf-8"))[: args.queries])


def _save_hits(path: Path, ranked: list[Any]) -> None:
    import numpy as np

    from synthrr.corpus.base import ids_to_keys

    rows = np.zeros((len(ranked), K), dtype=np.uint64)
    for i, hits in enumerate(ranked):
        rows[i, : len(hits)] = ids_to_keys([p for p, _ in hits])
    np.save(path, rows)


def phase_flat(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from synthrr.retrieval.dense import DenseRetriever

    built = json.loads((args.results / "build.json").read_text(encoding="utf-8"))
    folder = Path(built["dir"])
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    r = DenseRetriever(threads=cores(), encoder="static", index="flat")
    t0 = time.perf_counter()
    r.index_vectors(vectors, np.load(folder / "ids.npy", mmap_mode="r"))
    build_s = time.perf_counter() - t0
    queries = _queries(args)
    t0 = time.perf_counter()
    ranked = r.search_vectors(r.encoder.encode(queries), K)
    secs = time.perf_counter() - t0
    _save_hits(args.results / "flat-hits.npy", ranked)
    return {"build_s": build_s, "queries": len(queries), "seconds": secs, "rate": len(queries) / secs}


def phase_query(args: argparse.Namespace, name: str) -> dict[str, Any]:
    from synthrr.retrieval import open_index
    from synthrr.retrieval.bm25 import BM25Retriever
    from synthrr.retrieval.dense import DenseRetriever

    r = BM25Retriever(threads=cores()) if name == "bm25" else DenseRetriever(threads=cores(), encoder="static")
    t0 = time.perf_counter()
    open_index(corpus(args), r)
    load_s = time.perf_counter() - t0
    if r.index_status != "loaded":
        raise SystemExit(f"the {name} index was not found built")
    queries = _queries(args)[: args.bm25_queries if name == "bm25" else None]
    t0 = time.perf_counter()
    if isinstance(r, DenseRetriever):  # what search() does, the two steps timed apart
        qv = r.encoder.encode(queries)
        encode_s = time.perf_counter() - t0
        ranked = r.search_vectors(qv, K)
    else:
        ranked, encode_s = r.search(queries, K), 0.0
    secs = time.perf_counter() - t0
    _save_hits(args.results / f"{name}-hits.npy", ranked)
    return {"queries": len(queries), "seconds": secs, "rate": len(queries) / secs, "load_s": load_s,
            "encode_s": encode_s}  # fmt: skip


def phase_sweep(args: argparse.Namespace) -> dict[str, Any]:
    """The auto index (if IVF) searched with other ``nprobe`` values: queries/s and recall@50 vs exact."""
    import faiss
    import numpy as np

    from synthrr.retrieval.dense import DenseRetriever

    built = json.loads((args.results / "build.json").read_text(encoding="utf-8"))
    if built["index"]["kind"] not in ("ivf", "ivf-sq8"):
        return {"rows": []}
    folder = Path(built["dir"])
    index = faiss.read_index(str(folder / "index.faiss"))
    keys = np.load(folder / "ids.npy", mmap_mode="r")
    exact = np.load(args.results / "flat-hits.npy")
    faiss.omp_set_num_threads(cores())
    qv = DenseRetriever(threads=cores(), encoder="static").encoder.encode(_queries(args))
    rows = []
    for nprobe in args.nprobes:
        index.nprobe = min(nprobe, index.nlist)
        t0 = time.perf_counter()
        _, got = index.search(qv, K)
        secs = time.perf_counter() - t0
        hits = [len(set(e.tolist()) & set(keys[g[g >= 0]].tolist())) / K for e, g in zip(exact, got, strict=True)]
        rows.append({"nprobe": index.nprobe, "seconds": secs, "rate": len(qv) / secs, "recall": float(np.mean(hits))})
    return {"rows": rows, "nlist": index.nlist, "queries": len(qv)}


def phase_bm25_build(args: argparse.Namespace) -> dict[str, Any]:
    from synthrr.retrieval import open_index
    from synthrr.retrieval.bm25 import BM25Retriever

    c = corpus(args)
    t0 = time.perf_counter()
    open_index(c, BM25Retriever(threads=cores()))
    secs = time.perf_counter() - t0
    return {"passages": len(c), "seconds": secs, "rate": len(c) / secs}


def phase_ray(args: argparse.Namespace) -> dict[str, Any]:
    """``static`` on 2 Ray encoder actors vs in this process: speed, vectors, hits."""
    import numpy as np
    import ray

    from synthrr.config import RayConfig
    from synthrr.executors.encode import RayEncodePool
    from synthrr.retrieval.dense import DenseRetriever
    from synthrr.retrieval.pools import EncodeShard, PartStore

    keys, texts = sample_texts(corpus(args), args.ray_sample)
    local = DenseRetriever(threads=cores(), encoder="static")
    local.encoder.encode(["warm up"])
    t0 = time.perf_counter()
    lv = local.encoder.encode(texts)
    local_s = time.perf_counter() - t0
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        pool = RayEncodePool(RayConfig(actors=2, cpus_per_actor=1))
        spec = local.encoder_spec()
        pool._pool(spec)
        ray.get([a.pid.remote() for a in pool.actors])  # actors up, encoder loaded in each (excluded)
        size = max(1, len(texts) // 8)
        shards = [EncodeShard(i, keys[i : i + size], texts[i : i + size]) for i in range(0, len(texts), size)]
        rv = np.empty_like(lv)
        store = PartStore(args.work / "ray-parts")
        shutil.rmtree(store.root, ignore_errors=True)
        t0 = time.perf_counter()
        for shard, _ in pool.map(spec, iter(shards), store):
            rv[shard.start : shard.start + len(shard.keys)] = store.load(shard)
        ray_s = time.perf_counter() - t0
        pool.close()
    finally:
        ray.shutdown()
    qv = local.encoder.encode(_queries(args)[:1000])
    hits = []
    for vectors in (lv, rv):
        r = DenseRetriever(threads=cores(), index="flat")
        r.index_vectors(vectors, keys)
        hits.append(r.search_vectors(qv, K))
    return {"passages": len(texts), "local_rate": len(texts) / local_s, "rate": len(texts) / ray_s,
            "identical_vectors": bool(np.array_equal(lv, rv)), "max_diff": float(np.max(np.abs(lv - rv))),
            "identical_hits": hits[0] == hits[1], "hit_queries": len(qv)}  # fmt: skip


def child(args: argparse.Namespace) -> None:
    name = args.child
    with progress_switch(False):  # no bars or step lines inside the timings
        if name.startswith("encode:"):
            out = phase_encode(args, name.split(":", 1)[1])
        elif name in ("query", "bm25-query"):
            out = phase_query(args, "dense" if name == "query" else "bm25")
        else:
            out = {"ingest": phase_ingest, "build": phase_build, "flat": phase_flat, "bm25-build": phase_bm25_build,
                   "ray": phase_ray, "sweep": phase_sweep}[name](args)  # fmt: skip
    out["peak_rss_mb"] = peak_rss_mb()
    (args.results / f"{name.replace(':', '-')}.json").write_text(json.dumps(out), encoding="utf-8")


def run_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.corpus", "--child", name, "--scale", args.scale, "--work", str(args.work)]
    cmd += ["--sample", str(args.sample), "--queries", str(args.queries), "--ray-sample", str(args.ray_sample)]
    cmd += ["--bm25-queries", str(args.bm25_queries), "--nprobes", *map(str, args.nprobes)]
    env = {**os.environ, **ENV, "SYNTHRR_HOME": str(args.work / "home")}
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    result: dict[str, Any] = json.loads((args.results / f"{name.replace(':', '-')}.json").read_text())
    result["wall_s"] = time.perf_counter() - t0
    print(f"{name}: {json.dumps(result)}", flush=True)
    return result


def fresh_home(work: Path) -> None:
    """A new ``$SYNTHRR_HOME`` (no corpus, no index) that shares the built fast encoders."""
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    (work / "encoders").mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True)
    (home / "encoders").symlink_to(work / "encoders", target_is_directory=True)


def recall(results: Path, name: str) -> float:
    import numpy as np

    exact, got = np.load(results / "flat-hits.npy"), np.load(results / f"{name}-hits.npy")
    return float(np.mean([len(set(e[e > 0].tolist()) & set(g.tolist())) / K for e, g in zip(exact, got, strict=True)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=sorted(SCALES), default="100k", help="passages: 10k, 100k or 1m [100k]")
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "synthrr-bench" / "corpus")
    ap.add_argument("--sample", type=int, default=2000, help="passages for the MiniLM and int8 encode rates")
    ap.add_argument("--queries", type=int, default=10_000, help="seed-like queries at top-50")
    ap.add_argument("--nprobes", type=int, nargs="*", default=[32, 64, 128, 256], help="IVF nprobe values to try")
    ap.add_argument("--bm25-queries", type=int, default=2000, help="of those, searched with BM25 (slower)")
    ap.add_argument("--ray-sample", type=int, default=20_000, help="passages encoded on 2 Ray actors")
    ap.add_argument("--skip", nargs="*", default=[], help="phases to leave out (e.g. ray encode:minilm)")
    ap.add_argument("--md", type=Path, default=None, help="also write the table here")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.n = SCALES[args.scale]
    args.results = args.work / f"results-{args.scale}"
    args.jsonl = args.work / f"passages-{args.n}-r{RECIPE}.jsonl"
    if args.child:
        child(args)
        return
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    args.jsonl = write_corpus(args.n, args.work)
    make_s = time.perf_counter() - t0
    (args.work / "queries.json").write_text(json.dumps(seed_queries(args.queries)), encoding="utf-8")
    fresh_home(args.work)
    shutil.rmtree(args.results, ignore_errors=True)
    args.results.mkdir(parents=True)
    res: dict[str, Any] = {p: run_phase(p, args) for p in (*PHASES, "ray") if p not in args.skip}
    if "query" in res and "flat" in res:
        res["query"]["recall"] = recall(args.results, "dense")
    res["make"] = {"seconds": make_s}
    res["total_s"] = time.perf_counter() - t_all
    (args.results / "all.json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    emit(markdown(res, args.n, cores()), args.md)


if __name__ == "__main__":
    main()
