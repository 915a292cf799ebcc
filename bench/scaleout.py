"""Scale-out benchmark: the same generation run on the local executor and on Ray actor pools.

    .venv/bin/python -m bench.scaleout --llm fake --n 60 --actors 1 2
    .venv/bin/python -m bench.scaleout --llm llamacpp --n 8 --actors 1 2
    .venv/bin/python -m bench.scaleout --index --passages 1000 --queries 500

``--index`` measures the dense index instead: corpus encoding (passages/s) and retrieval
(queries/s: encode the queries + exact top-50 search) on the local executor vs a local Ray
instance with ``--actors`` encoder actors of 1 CPU each (``--num-cpus``), same run, same
passages (the first ``--passages`` of the built-in wiki corpus); the vectors are checked to
agree, and FAISS search alone is timed on one flat index vs 2 shards over ``--faiss-n`` vectors, and
on those 2 shards in this process vs on 2 Ray search actors (``RaySearchPool``: each actor loads one
shard file, the driver merges; actor start-up and shard loading excluded; hits checked to be equal).

``fake`` sleeps ``--delay`` s per completion (a stand-in for an engine or server that is the
bottleneck, e.g. one HTTP server per node); ``llamacpp`` is the real SmolLM2 on CPU (each actor gets
``--threads`` engine threads; one slot, no prompt-cache reuse, so the rows are identical). Each
figure is a cold run (fresh cache, fresh run directory) of ``generate``; Ray start-up is excluded
(one instance serves every figure). Every Ray run is checked to give the same rows as local.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from synthrr.core.log import progress_switch

TASK = str(Path(__file__).resolve().parent.parent / "tests" / "data" / "tasks" / "support_tickets.yaml")


def _cfg(args: argparse.Namespace, out: Path, **top: Any) -> Any:
    from synthrr.config import RunConfig

    if args.llm == "fake":
        llm: dict[str, Any] = {"backend": "fake", "options": {"default": "Ticket: {h} issue {n}: {prompt}"}}
        llm["options"]["delay"] = args.delay
    else:
        llm = {
            "backend": "llamacpp",
            "sampling": {"max_tokens": 32},
            "options": {"n_ctx": 2048, "n_parallel": 1, "cache_prompt": False},
        }
    data: dict[str, Any] = {
        "task": TASK,
        "seeds": {"per_label": 5},
        "llm": llm,
        "synthesis": {"method": "fewgen", "n": args.n, "shots": 2, "filters": {"label_consistency": "none"}},
        "threads": args.threads,
        "shard_size": args.shard_size,
        "out": str(out),
    }
    data.update(top)
    return RunConfig.from_dict(data)


def _timed(cfg: Any, home: Path) -> tuple[float, Any]:
    from synthrr.stages.generate import generate

    os.environ["SYNTHRR_HOME"] = str(home)
    with progress_switch(False):
        t0 = time.perf_counter()
        result = generate(cfg)
        return time.perf_counter() - t0, result


def _wiki_subset(root: Path, n: int) -> Any:
    import json

    from synthrr.config import CorpusConfig
    from synthrr.corpus import get_corpus

    wiki = get_corpus("wiki")
    src = root / f"wiki{n}.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for ids, texts in wiki.iter_texts(batch_size=n):
            for pid, text in zip(ids, texts, strict=True):
                fh.write(json.dumps({"id": pid, "text": text}) + "\n")
            break
    os.environ["SYNTHRR_HOME"] = str(root / "home-corpus")
    return get_corpus(str(src), CorpusConfig(id_field="id"))


def _queries(corpus: Any, n: int) -> list[str]:
    out: list[str] = []
    for _, texts in corpus.iter_texts(batch_size=n):
        out += [t.split(". ")[0] for t in texts]
    return out[:n]


def _compare_ranked(a: list[Any], b: list[Any]) -> str:
    """Max score difference, and how many positions hold another id (and whether only near-ties)."""
    import numpy as np

    sa = np.array([[s for _, s in x] for x in a])
    sb = np.array([[s for _, s in y] for y in b])
    diff = float(np.abs(sa - sb).max())
    moved = [(r, c) for r, (x, y) in enumerate(zip(a, b, strict=True)) for c in range(len(x)) if x[c][0] != y[c][0]]
    ties = all(
        any(abs(sa[r, c] - sa[r, c2]) <= 1e-6 for c2 in (c - 1, c + 1) if 0 <= c2 < sa.shape[1]) for r, c in moved
    )
    return f"max score diff {diff:.1e}, other id at {len(moved)}/{sa.size} positions (all in score ties: {ties})"


def _local_index(args: argparse.Namespace, corpus: Any, queries: list[str], home: Path, k: int) -> dict[str, Any]:
    """Encode and index ``corpus`` on the local executor, then search ``queries``: the retriever and both times."""
    from synthrr.retrieval import open_index
    from synthrr.retrieval.dense import DenseRetriever

    os.environ["SYNTHRR_HOME"] = str(home)
    local = DenseRetriever(threads=os.cpu_count() or 1, encode_shard_size=args.encode_shard)
    local.encoder.model  # noqa: B018 - load the model before timing
    t0 = time.perf_counter()
    open_index(corpus, local)
    encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    local.search(queries, k)
    return {"retriever": local, "encode_s": encode_s, "query_s": time.perf_counter() - t0}


def _ray_index(args: argparse.Namespace, corpus: Any, queries: list[str], root: Path, k: int) -> dict[str, Any]:
    """The same on Ray encoder actors (``--actors``, 1 CPU each) into 2 index shards, the queries encoded on
    the actors too: the retriever, both times and the actors' start-up (excluded from the times)."""
    import numpy as np
    import ray

    from synthrr.config import RayConfig
    from synthrr.executors.encode import RayEncodePool
    from synthrr.retrieval import open_index
    from synthrr.retrieval.dense import DenseRetriever
    from synthrr.retrieval.pools import EncodeShard, PartStore

    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    try:
        pool = RayEncodePool(RayConfig(actors=args.actors[-1], cpus_per_actor=1))
        remote = DenseRetriever(threads=os.cpu_count() or 1, encode_shard_size=args.encode_shard, index_shards=2)
        t0 = time.perf_counter()
        pool._pool(remote.encoder_spec())
        ray.get([a.pid.remote() for a in pool.actors])  # actors up, MiniLM loaded in each
        startup = time.perf_counter() - t0
        os.environ["SYNTHRR_HOME"] = str(root / "h-ray")
        t0 = time.perf_counter()
        open_index(corpus, remote, encode=pool)
        encode_s = time.perf_counter() - t0
        step = args.encode_shard
        bounds = [(i, min(i + step, len(queries))) for i in range(0, len(queries), step)]
        qshards = [EncodeShard(i, np.arange(i, j, dtype=np.uint64), queries[i:j]) for i, j in bounds]
        store = PartStore(root / "query-parts")
        t0 = time.perf_counter()
        qv = np.empty((len(queries), remote.encoder.dim), dtype=np.float32)
        for shard, _ in pool.map(remote.encoder_spec(), qshards, store):
            qv[shard.start : shard.start + len(shard.keys)] = store.load(shard)
        remote.search_vectors(qv, k)
        query_s = time.perf_counter() - t0
        pool.close()
    finally:
        ray.shutdown()
    return {"retriever": remote, "encode_s": encode_s, "query_s": query_s, "startup_s": startup}


def _faiss_rows(
    args: argparse.Namespace, root: Path, vecs: Any, qv: Any, k: int
) -> tuple[list[tuple[str, float, float]], str, str]:
    """FAISS search alone at ``--faiss-n`` vectors (``vecs`` tiled with small noise): one flat index vs 2
    shards searched in parallel, and those 2 shards in this process vs on 2 Ray search actors; the
    rows, and how the hits of each pair compare."""
    import numpy as np

    from synthrr.retrieval.dense import DenseRetriever

    reps = -(-args.faiss_n // len(vecs))
    rng = np.random.default_rng(0)
    big = np.tile(vecs, (reps, 1))[: args.faiss_n] + rng.normal(
        0, 0.02, (min(args.faiss_n, reps * len(vecs)), vecs.shape[1])
    ).astype(np.float32)
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    ids = [f"p-{i:016x}" for i in range(len(big))]
    timings = []
    for shards in (1, 2):
        r = DenseRetriever(threads=os.cpu_count() or 1, index_shards=shards)
        r.index_vectors(big, ids)
        t0 = time.perf_counter()
        res = r.search_vectors(qv, k)
        timings.append((time.perf_counter() - t0, res))
    tie_note = _compare_ranked(timings[0][1], timings[1][1])
    pool_secs, pool_note = _search_pool(args, root / "big-index", big, ids, qv, k, timings[1][1])
    rows = [
        (f"FAISS search only, {len(big):,} vectors, q/s (1 index vs 2 shards)", len(qv) / timings[0][0],
         len(qv) / timings[1][0]),
        (f"FAISS search only, {len(big):,} vectors in 2 shards, q/s (in process vs 2 Ray search actors)",
         len(qv) / timings[1][0], len(qv) / pool_secs),
    ]  # fmt: skip
    return rows, tie_note, pool_note


def bench_index(args: argparse.Namespace) -> None:
    import numpy as np

    cores, k = os.cpu_count() or 1, 50
    with tempfile.TemporaryDirectory() as tmp, progress_switch(False):  # no bars or step lines in the timings
        root = Path(tmp)
        corpus = _wiki_subset(root, args.passages)
        queries = _queries(corpus, args.queries)
        n = len(corpus)
        loc = _local_index(args, corpus, queries, root / "h-local", k)
        on_ray = _ray_index(args, corpus, queries, root, k)
        local, remote = loc["retriever"], on_ray["retriever"]
        assert local.index_dir is not None and remote.index_dir is not None
        vecs = np.load(local.index_dir / "vectors.npy")
        diff = float(np.abs(vecs - np.load(remote.index_dir / "vectors.npy")).max())
        same = [[p for p, _ in r] for r in local.search(queries, k)] == [
            [p for p, _ in r] for r in remote.search(queries, k)
        ]
        rows = [
            ("corpus encode, passages/s", n / loc["encode_s"], n / on_ray["encode_s"]),
            ("retrieval, queries/s", len(queries) / loc["query_s"], len(queries) / on_ray["query_s"]),
        ]
        faiss, tie_note, pool_note = _faiss_rows(args, root, vecs, local.encoder.encode(queries), k)
        rows += faiss

    print(
        f"passages={n} queries={len(queries)} top-{k} cores={cores} "
        f"ray: {args.actors[-1]} actors x 1 CPU, num_cpus={args.num_cpus}"
    )
    print(
        f"ray actor start-up + model load (excluded): {on_ray['startup_s']:.1f} s; "
        f"max |local - ray| vector diff {diff:.1e}; same top-{k} ids: {same}; sharded vs single FAISS: {tie_note}"
    )
    print(f"Ray search actors vs in-process shards: {pool_note}")
    print(f"| what | local ({cores} threads) | ray ({args.actors[-1]} actors x 1 CPU) | ray / local |")
    print("|---|---:|---:|---:|")
    for what, a, b in rows:
        print(f"| {what} | {a:,.1f} | {b:,.1f} | {b / a:.2f} |")


def _search_pool(
    args: argparse.Namespace, folder: Path, vectors: Any, ids: list[str], qv: Any, k: int, expected: list[Any]
) -> tuple[float, str]:
    """Seconds to search ``qv`` on 2 Ray search actors holding the 2 shard files of ``vectors``, and
    how the hits compare with the in-process shards' ``expected`` (actor start-up excluded)."""
    import numpy as np
    import ray

    from synthrr.config import RayConfig
    from synthrr.executors.search import RaySearchPool
    from synthrr.retrieval.dense import DenseRetriever
    from synthrr.retrieval.sharded import ShardedFlatIndex

    folder.mkdir(parents=True, exist_ok=True)
    ShardedFlatIndex.from_vectors(vectors, 2).save(folder)
    np.save(folder / "ids.npy", np.arange(len(ids), dtype=np.uint64))  # loads as ids[i] = p-<i in hex>
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    try:
        with RaySearchPool(RayConfig(actors=2, cpus_per_actor=1)) as pool:
            r = DenseRetriever(index_shards=2)
            assert r.use_search_pool(pool)
            r.load(folder)
            t0 = time.perf_counter()
            r.search_vectors(qv[:1], k)  # actors start and load their shard
            startup = time.perf_counter() - t0
            t0 = time.perf_counter()
            got = r.search_vectors(qv, k)
            secs = time.perf_counter() - t0
    finally:
        ray.shutdown()
    assert r._ids == ids
    return secs, f"actor start-up + shard load {startup:.1f} s (excluded); {_compare_ranked(expected, got)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", choices=["fake", "llamacpp"], default="fake")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--delay", type=float, default=0.02, help="fake: seconds per completion")
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--threads", type=int, default=1, help="engine threads per process")
    ap.add_argument("--shard-size", type=int, default=4)
    ap.add_argument("--num-cpus", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--index", action="store_true", help="benchmark corpus encoding and retrieval instead")
    ap.add_argument("--passages", type=int, default=1000, help="--index: wiki passages to encode")
    ap.add_argument("--queries", type=int, default=500, help="--index: queries (first sentences of passages)")
    ap.add_argument("--encode-shard", type=int, default=100, help="--index: passages per encode shard")
    ap.add_argument("--faiss-n", type=int, default=100_000, help="--index: vectors for the FAISS-only timing")
    args = ap.parse_args()
    if args.index:
        bench_index(args)
        return

    import ray

    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            secs, local = _timed(_cfg(args, root / "local"), root / "h-local")
            rows = sorted((r.id, r.label, r.text) for r in local.rows)
            calls = local.manifest["llm"]["calls"]
            print(f"llm={args.llm} n={args.n} prompts={local.manifest['counts']['prompts']} calls={calls}")
            print("| executor | actors | wall s | completions/s | same rows as local |")
            print("|---|---:|---:|---:|---|")
            print(f"| local | - | {secs:.2f} | {calls / secs:.1f} | - |")
            for a in args.actors:
                cfg = _cfg(args, root / f"ray{a}", executor="ray", ray={"actors": a, "cpus_per_actor": 1})
                secs, res = _timed(cfg, root / f"h-ray{a}")
                same = sorted((r.id, r.label, r.text) for r in res.rows) == rows
                print(f"| ray | {a} | {secs:.2f} | {res.manifest['llm']['calls'] / secs:.1f} | {same} |")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
