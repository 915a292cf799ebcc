"""Fast encoders and approximate indexes against the torch MiniLM and the exact index, in one run.

Part 1 — encoders, on a fixed sample of ``--passages`` passages of the ``wiki`` corpus (evenly
spread; bbc_news and newsgroups8 retrieve from wiki): for each ``retrieval.options.encoder``
(``minilm``, the torch sentence-transformers path of today, first), a cold encoder build/load
(``build s``: the first use builds the fast encoders under ``$SYNTHRR_HOME``; later runs load
them), passages/s encoding the sample, the ratio to MiniLM in this same run, the process's peak RSS
so far, and an LLM-free retrieval-quality proxy: up to ``--limit`` validation texts of bbc_news and
newsgroups8 are the queries of an exact index over the encoded sample, and ``align@10`` is the
share of the top-10 passages that the task's label-preservation oracle (TF-IDF logistic
regression on the train split) assigns the query's label, averaged per label then over labels
(as in bench/bm25_options.py), with the paired difference to MiniLM (± 95 %).

Part 2 — indexes, on the static vectors of up to ``--index-passages`` passages of all built-in
corpora: build seconds, queries/s at top-50 for the validation queries of part 1 (plus as many
passages as queries to reach ``--queries``), recall@50 against the exact index on those queries
and the recall@50 the index measured on build (stored in its metadata), for flat, ivf and hnsw.

    .venv/bin/python -m bench.encoders --md encoders.md
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from typing import Any

from bench.bm25_options import macro, queries_of, shares
from bench.table import emit
from synthrr.core.log import progress_switch

ENCODERS = ("minilm", "minilm-onnx", "minilm-onnx-int8", "static")
TASKS = ("bbc_news", "tests/data/tasks/newsgroups8.yaml")
CORPORA = ("wiki", "movie_plots", "news", "headlines", "abc_news")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample(corpus_name: str, n: int) -> tuple[list[str], list[str]]:
    """``n`` passages of a corpus, evenly spread (the same sample every run)."""
    from synthrr.corpus import get_corpus

    ids: list[str] = []
    texts: list[str] = []
    with progress_switch(False):
        corpus = get_corpus(corpus_name)
    for b_ids, b_texts in corpus.iter_texts():
        ids.extend(b_ids)
        texts.extend(b_texts)
    if len(ids) <= n:
        return ids, texts
    step = len(ids) / n
    rows = [int(i * step) for i in range(n)]
    return [ids[i] for i in rows], [texts[i] for i in rows]


def task_queries(limit: int, ids: list[str], texts: list[str]) -> list[dict[str, Any]]:
    """Per task: its validation queries and the oracle's label for every sampled passage."""
    from synthrr.metrics.fidelity import get_oracle
    from synthrr.tasks import get_task

    out = []
    for name in TASKS:
        task = get_task(name)
        oracle, _ = get_oracle(task, "tfidf")
        qs = queries_of(task, limit)
        pred = dict(zip(ids, oracle.predict(texts), strict=True))
        out.append({"task": task.name, "texts": [q.text for q in qs], "labels": [q.label for q in qs], "pred": pred})
    return out


def measure_encoder(kind: str, ids: list[str], texts: list[str], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    from synthrr.encoders.sentence import get_encoder
    from synthrr.retrieval.dense import DenseRetriever

    threads = os.cpu_count() or 1
    t0 = time.perf_counter()
    enc = get_encoder(threads=threads, kind=kind)
    enc.encode(["warm up"])  # builds a fast encoder on first use, loads the model otherwise
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = enc.encode(texts)
    encode_s = time.perf_counter() - t0
    index = DenseRetriever(threads=threads, index="flat")
    index.index_vectors(vectors, ids)
    per_task = {}
    for t in tasks:
        ranked = index.search_vectors(enc.encode(t["texts"]), 50)
        per_task[t["task"]] = shares(ranked, t["labels"], t["pred"], 10)
    return {"encoder": kind, "dim": enc.dim, "build_s": build_s, "pps": len(texts) / encode_s,
            "rss": peak_rss_mb(), "align": per_task, "vectors": vectors}  # fmt: skip


def encoder_table(rows: list[dict[str, Any]], tasks: list[dict[str, Any]], n: int) -> str:
    base = rows[0]
    names = [t["task"] for t in tasks]
    head = " | ".join(f"{t} align@10 % (Δ ± 95 %)" for t in names)
    lines = [
        f"| encoder | dim | build/load s | passages/s ({n} wiki passages) | × MiniLM "
        f"| peak RSS MB (process so far) | {head} |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(names),
    ]
    for r in rows:
        cells = []
        for t in tasks:
            a, b = r["align"][t["task"]], base["align"][t["task"]]
            mean, _ = macro(a, t["labels"])
            delta, se = macro([x - y for x, y in zip(a, b, strict=True)], t["labels"])
            cells.append(f"{100 * mean:.1f} ({100 * delta:+.1f} ± {196 * se:.1f})")
        lines.append(
            f"| {r['encoder']} | {r['dim']} | {r['build_s']:.1f} | {r['pps']:.0f} | {r['pps'] / base['pps']:.1f} | "
            f"{r['rss']:.0f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def index_rows(vectors: Any, queries: Any, k: int) -> list[dict[str, Any]]:
    import numpy as np

    from synthrr.retrieval.dense import DenseRetriever

    ids = [f"p{i}" for i in range(len(vectors))]
    threads = os.cpu_count() or 1
    rows, exact = [], None
    for kind in ("flat", "ivf", "hnsw"):
        r = DenseRetriever(threads=threads, index=kind)
        t0 = time.perf_counter()
        r.index_vectors(vectors, ids)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ranked = r.search_vectors(queries, k)
        qps = len(queries) / (time.perf_counter() - t0)
        got = [{p for p, _ in hits} for hits in ranked]
        exact = exact or got
        recall = float(np.mean([len(g & e) / k for g, e in zip(got, exact, strict=True)]))
        info = r.describe()["index"]
        rows.append({"kind": kind, "build_s": build_s, "qps": qps, "recall": recall, "info": info})
    return rows


def index_table(rows: list[dict[str, Any]], n: int, nq: int, k: int) -> str:
    lines = [
        f"| index ({n} static vectors) | parameters | build s | queries/s ({nq} queries, top-{k}) "
        f"| recall@{k} vs exact | recall@50 stored on build |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        info = r["info"]
        params = " ".join(f"{a}={b}" for a, b in info.items() if a not in ("kind",) and not a.startswith("recall"))
        stored = info.get("recall@50", "-")
        lines.append(
            f"| {r['kind']} | {params or '-'} | {r['build_s']:.2f} | {r['qps']:.0f} | {r['recall']:.3f} | {stored} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=1000, help="wiki passages encoded by every encoder [1000]")
    ap.add_argument("--index-passages", type=int, default=20000, help="passages for the index part [20000]")
    ap.add_argument("--queries", type=int, default=2000, help="queries for the index part [2000]")
    ap.add_argument("--limit", type=int, default=200, help="validation queries per task [200]")
    ap.add_argument("--encoders", nargs="+", default=list(ENCODERS))
    ap.add_argument("--md", type=Path, default=None, help="also write the tables here")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, texts = sample("wiki", args.passages)
    tasks = task_queries(args.limit, ids, texts)
    rows = []
    for kind in args.encoders:
        rows.append(measure_encoder(kind, ids, texts, tasks))
        print(f"{kind}: {rows[-1]['pps']:.0f} passages/s ({time.perf_counter() - t0:.0f} s)", flush=True)
    out = encoder_table(rows, tasks, len(texts))
    from synthrr.encoders.sentence import get_encoder

    static = get_encoder(threads=os.cpu_count() or 1, kind="static")
    pool = [text for name in CORPORA for text in sample(name, 10**9)[1]]  # every passage, corpus by corpus
    big = [pool[int(i * len(pool) / args.index_passages)] for i in range(min(args.index_passages, len(pool)))]
    vectors = static.encode(big)
    qtexts = [q for t in tasks for q in t["texts"]]
    qtexts += big[:: max(1, len(big) // max(1, args.queries - len(qtexts)))][: max(0, args.queries - len(qtexts))]
    irows = index_rows(vectors, static.encode(qtexts), 50)
    out += "\n" + index_table(irows, len(big), len(qtexts), 50)
    out += f"\npeak RSS {peak_rss_mb():.0f} MB; total {time.perf_counter() - t0:.0f} s on {os.cpu_count()} cores\n"
    emit(out, args.md)


if __name__ == "__main__":
    main()
