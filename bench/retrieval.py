"""Retrieval benchmark: ingestion, BM25, dense encoding (vs bare sentence-transformers) and FAISS.

Corpora: the built-in ``wiki`` (~10k passages) and a deterministic synthetic corpus of 100k
passages (3-6 sentences sampled from the wiki passages, written as JSONL in a temp folder).
Everything runs in a fresh temporary ``SYNTHRR_HOME``; nothing is downloaded.

    .venv/bin/python -m bench.retrieval --md docs/bench-retrieval.md
    .venv/bin/python -m bench.retrieval --ingest-1m          # also the 1M-line JSONL ingest (peak RSS)

Figures (per corpus):
  ingest p/s       passages kept per second by ``get_corpus`` (run in a child process, with its peak RSS)
  bm25 build s     ``open_index`` wall time (tokenise + index + save); q/s: ``search(queries, k)``
  dense p/s        ``Encoder.encode`` over ``--dense-sample`` passages vs one bare
                   ``SentenceTransformer.encode(texts, batch_size=64, normalize_embeddings=True)`` of the same
                   passages, same process, same threads; ratio = ours / bare (goal >= 0.9)
  faiss q/s        ``DenseRetriever.search_vectors`` (one batched ``IndexFlatIP`` call) over N vectors made by
                   tiling the real sample vectors with small Gaussian noise (renormalised); queries are the real
                   encoded queries
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import peak_rss_mb
from synthrr.core.log import progress_switch

ENCODE_CHUNK = 500  # passages per interleaved encode (ours slices it into 2 calls of 256)
_SENT = re.compile(r"(?<=[.!?])\s+")
_INGEST_CHILD = (
    "import json, sys, time\n"
    "from synthrr.core.log import progress_switch\n"
    "from synthrr.corpus import get_corpus\n"
    "with progress_switch(False):\n"
    "    t = time.perf_counter(); c = get_corpus(sys.argv[1]); s = time.perf_counter() - t\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print(json.dumps({'passages': len(c), 'seconds': s, 'counts': c.counts, 'fingerprint': c.fingerprint,\n"
    "                  'rss_mb': int(hwm) / 1024}))\n"
)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    versions = {}
    for pkg in ("synthrr", "bm25s", "faiss-cpu", "sentence-transformers", "torch", "pyarrow", "numpy"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "versions": versions,
        "load_avg_start": os.getloadavg(),
    }


def sentences_of(texts: list[str]) -> list[str]:
    return [s for t in texts for s in _SENT.split(t) if len(s.split()) >= 4]


def make_queries(sentences: list[str], n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.choice((1, 2)))) for _ in range(n)]


def write_synthetic(path: Path, sentences: list[str], n: int, lo: int, hi: int, seed: int = 0) -> Path:
    """``n`` JSONL lines, each ``lo``..``hi`` sentences sampled from ``sentences`` (deterministic)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(rng.choices(sentences, k=rng.randint(lo, hi)))
            fh.write(json.dumps({"id": f"s{i}", "text": text}) + "\n")
    return path


def ingest_child(name_or_path: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _INGEST_CHILD, name_or_path], capture_output=True, text=True, check=True, env=os.environ
    )
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    res["passages_per_s"] = res["passages"] / res["seconds"]
    return res


def bench_bm25(corpus: Any, queries: list[str], k: int) -> dict[str, float]:
    from synthrr.retrieval import get_retriever, open_index

    t = time.perf_counter()
    r = open_index(corpus, get_retriever("bm25"))
    build = time.perf_counter() - t
    assert r.index_status == "built"
    t = time.perf_counter()
    r.search(queries, k)
    qs = len(queries) / (time.perf_counter() - t)
    t = time.perf_counter()
    loaded = open_index(corpus, get_retriever("bm25"))
    load = time.perf_counter() - t
    assert loaded.index_status == "loaded"
    return {"bm25_build_s": build, "bm25_load_s": load, "bm25_qps": qs}


def interleaved_encode(enc: Any, texts: list[str], repeat: int) -> dict[str, Any]:
    """Our encoder and bare ``SentenceTransformer.encode`` on the same ``texts``: per encoder the
    vectors and the summed best wall and CPU seconds per chunk. The machine is shared and its load
    drifts: the two are interleaved chunk by chunk (alternating which goes first) and repeated."""
    import numpy as np

    model = enc.model
    chunks = [texts[i : i + ENCODE_CHUNK] for i in range(0, len(texts), ENCODE_CHUNK)]
    inf = float("inf")
    wall = {k: [inf] * len(chunks) for k in ("bare", "ours")}
    cpu = {k: [inf] * len(chunks) for k in ("bare", "ours")}
    out: dict[str, list[Any]] = {"bare": [None] * len(chunks), "ours": [None] * len(chunks)}
    for rnd in range(repeat):
        for ci, chunk in enumerate(chunks):
            for kind in ("bare", "ours") if (rnd + ci) % 2 == 0 else ("ours", "bare"):
                t, c = time.perf_counter(), time.process_time()
                if kind == "bare":
                    vecs = model.encode(chunk, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
                else:
                    vecs = enc.encode(chunk, batch_size=64)
                wall[kind][ci] = min(wall[kind][ci], time.perf_counter() - t)
                cpu[kind][ci] = min(cpu[kind][ci], time.process_time() - c)
                out[kind][ci] = vecs
    return {
        kind: {"vectors": np.concatenate(out[kind]), "wall_s": sum(wall[kind]), "cpu_s": sum(cpu[kind])}
        for kind in ("bare", "ours")
    }


def faiss_qps(r: Any, sample: Any, qv: Any, n_index: int, k: int) -> tuple[float, float]:
    """Queries/s of ``r.search_vectors`` over ``n_index`` vectors made by tiling ``sample`` with small
    Gaussian noise (renormalised): all queries in one call, and one query per call."""
    import numpy as np

    rng = np.random.default_rng(0)
    reps = -(-n_index // len(sample))
    vecs = np.tile(sample, (reps, 1))[:n_index]
    vecs = vecs + rng.normal(0, 0.02, vecs.shape).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    r.index_vectors(vecs, [f"v{i}" for i in range(n_index)])
    t = time.perf_counter()
    r.search_vectors(qv, k)
    batched = len(qv) / (time.perf_counter() - t)
    n1 = min(200, len(qv))
    t = time.perf_counter()
    for i in range(n1):
        r.search_vectors(qv[i : i + 1], k)
    return batched, n1 / (time.perf_counter() - t)


def bench_dense(
    texts: list[str], queries: list[str], n_index: int, k: int, repeat: int, threads: int | None
) -> dict[str, Any]:
    import numpy as np

    from synthrr.retrieval.dense import DenseRetriever

    r = DenseRetriever(threads=threads)
    enc = r.encoder
    enc.model  # noqa: B018 - load the model before timing
    enc.encode(texts[:64])  # warm-up (first-call allocations)
    timed = interleaved_encode(enc, texts, repeat)
    ours, bare = timed["ours"], timed["bare"]
    max_diff = float(np.abs(ours["vectors"] - bare["vectors"]).max())
    t = time.perf_counter()
    qv = enc.encode(queries, batch_size=64)
    q_enc = len(queries) / (time.perf_counter() - t)
    batched, single = faiss_qps(r, ours["vectors"], qv, n_index, k)
    return {
        "dense_sample": len(texts),
        "dense_ours_pps": len(texts) / ours["wall_s"],
        "dense_bare_pps": len(texts) / bare["wall_s"],
        "dense_ratio": bare["wall_s"] / ours["wall_s"],
        "dense_ratio_cpu": bare["cpu_s"] / ours["cpu_s"],
        "dense_max_abs_diff": max_diff,
        "query_encode_qps": q_enc,
        "faiss_n": n_index,
        "faiss_qps_batched": batched,
        "faiss_qps_one_per_call": single,
    }


def run_corpus(label: str, name_or_path: str, queries: list[str], args: argparse.Namespace, log: Any) -> dict[str, Any]:
    from synthrr.corpus import get_corpus

    log(f"[{label}] ingest ...")
    ing = ingest_child(name_or_path)
    corpus = get_corpus(name_or_path)
    assert corpus.from_cache and corpus.fingerprint == ing["fingerprint"]
    row: dict[str, Any] = {
        "corpus": label,
        "passages": len(corpus),
        "ingest_pps": ing["passages_per_s"],
        "ingest_rss_mb": ing["rss_mb"],
    }
    log(f"[{label}] {len(corpus)} passages, {ing['passages_per_s']:.0f} p/s; bm25 ...")
    row.update(bench_bm25(corpus, queries, args.k))
    if not args.skip_dense:
        rng = random.Random(2)
        pick = sorted(rng.sample(range(len(corpus)), min(args.dense_sample, len(corpus))))
        ids = corpus.ids()
        texts = [p.text for p in corpus.get([ids[i] for i in pick])]
        del ids
        log(f"[{label}] dense: encoding {len(texts)} passages x {2 * args.repeat} ...")
        row.update(bench_dense(texts, queries, len(corpus), args.k, args.repeat, args.threads))
    row["rss_mb_so_far"] = peak_rss_mb()
    return row


def fmt_rows(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    def f(v: Any, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    out: list[tuple[str, ...]] = []
    for r in rows:
        out.append(
            (
                r["corpus"],
                f(r["passages"], ","),
                f(r["ingest_pps"], ",.0f"),
                f(r["ingest_rss_mb"], ",.0f"),
                f(r.get("bm25_build_s"), ".2f"),
                f(r.get("bm25_qps"), ",.0f"),
                f(r.get("dense_sample"), ","),
                f(r.get("dense_ours_pps"), ".1f"),
                f(r.get("dense_bare_pps"), ".1f"),
                f(r.get("dense_ratio"), ".2f"),
                f(r.get("dense_ratio_cpu"), ".2f"),
                f(r.get("faiss_qps_batched"), ",.0f"),
                f(r.get("faiss_qps_one_per_call"), ",.0f"),
                f(r.get("rss_mb_so_far"), ",.0f"),
            )
        )
    return out


HEADER = (
    "corpus",
    "passages",
    "ingest p/s",
    "ingest peak RSS MB",
    "bm25 build s",
    "bm25 q/s",
    "dense sample",
    "dense ours p/s",
    "dense bare ST p/s",
    "ours/bare (wall)",
    "ours/bare (CPU)",
    "faiss q/s (batched)",
    "faiss q/s (1/call)",
    "bench peak RSS MB",
)


def table(rows: list[tuple[str, ...]], md: bool) -> str:
    if md:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*HEADER), *(fmt.format(*r) for r in rows)])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=1000, help="queries per search benchmark")
    ap.add_argument("--k", type=int, default=50, help="top-K")
    ap.add_argument("--synthetic", type=int, default=100_000, help="passages of the synthetic corpus (0: skip)")
    ap.add_argument("--dense-sample", type=int, default=1000, help="passages encoded per corpus (ours and bare)")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved encode rounds (best of each is kept)")
    ap.add_argument("--threads", type=int, default=None, help="torch/FAISS threads (default: all cores)")
    ap.add_argument("--skip-dense", action="store_true")
    ap.add_argument("--ingest-1m", action="store_true", help="also ingest a 1M-line JSONL (peak RSS)")
    ap.add_argument("--md", type=Path, default=None, help="write the results as Markdown to this file")
    return ap.parse_args(argv)


def sentence_pool(home: Path, n_queries: int) -> tuple[list[str], list[str]]:
    """The wiki corpus's sentences and ``n_queries`` queries made of them; the corpus is then removed
    from ``home`` so that its ingestion is measured from scratch."""
    from synthrr.corpus import get_corpus

    wiki_texts = get_corpus("wiki").texts()
    sentences = sentences_of(wiki_texts)
    del wiki_texts
    shutil.rmtree(home / "corpora")
    return sentences, make_queries(sentences, n_queries)


def ingest_1m(tmp: Path, sentences: list[str], log: Any) -> dict[str, Any]:
    """Ingest a 1M-line JSONL of wiki sentences in a child process: its figures and the file's size."""
    log("writing the 1M-line JSONL ...")
    path = write_synthetic(tmp / "synthetic-1m.jsonl", sentences, 1_000_000, 2, 5, seed=3)
    size_mb = path.stat().st_size / 2**20
    log(f"ingesting it ({size_mb:,.0f} MB) ...")
    one_m = {**ingest_child(str(path)), "file_mb": size_mb}
    path.unlink()
    return one_m


def print_results(
    facts: dict[str, Any], text_rows: list[tuple[str, ...]], rows: list[dict[str, Any]], one_m: dict[str, Any] | None
) -> None:
    print(json.dumps(facts, indent=1))
    print(table(text_rows, md=False))
    if one_m:
        print(
            f"1M-line JSONL ({one_m['file_mb']:,.0f} MB): {one_m['passages']:,} passages kept in "
            f"{one_m['seconds']:.1f} s ({one_m['passages_per_s']:,.0f} p/s), peak RSS {one_m['rss_mb']:,.0f} MB; "
            f"counts {one_m['counts']}"
        )
    print(json.dumps(rows, indent=1, default=float))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tmp = Path(tempfile.mkdtemp(prefix="synthrr-bench-"))
    os.environ["SYNTHRR_HOME"] = str(tmp / "home")
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - t_start:7.1f}s {msg}", file=sys.stderr, flush=True)

    facts = machine()
    with progress_switch(False):  # no bars or step lines inside the timings
        sentences, queries = sentence_pool(tmp / "home", args.queries)
        rows = [run_corpus("wiki", "wiki", queries, args, log)]
        if args.synthetic:
            log(f"writing the {args.synthetic:,}-passage synthetic JSONL ...")
            path = write_synthetic(tmp / f"synthetic-{args.synthetic}.jsonl", sentences, args.synthetic, 3, 6)
            rows.append(run_corpus(f"synthetic {args.synthetic // 1000}k", str(path), queries, args, log))
            path.unlink()
        one_m = ingest_1m(tmp, sentences, log) if args.ingest_1m else None
    facts["load_avg_end"] = os.getloadavg()
    facts["wall_s"] = time.perf_counter() - t_start
    shutil.rmtree(tmp, ignore_errors=True)
    text_rows = fmt_rows(rows)
    print_results(facts, text_rows, rows, one_m)
    if args.md:
        write_md(args.md, facts, text_rows, rows, one_m, argv if argv is not None else sys.argv[1:], args)


def write_md(
    path: Path,
    facts: dict[str, Any],
    text_rows: list[tuple[str, ...]],
    rows: list[dict[str, Any]],
    one_m: dict[str, Any] | None,
    argv: list[str],
    args: argparse.Namespace,
) -> None:
    v = facts["versions"]
    q_enc = ", ".join(f"{r.get('query_encode_qps', float('nan')):.0f}" for r in rows)
    lines = [
        "## Retrieval",
        "",
        f"Command: `.venv/bin/python -m bench.retrieval {' '.join(argv)}`",
        "",
        f"Machine: {facts['cores']} cores ({facts['cpu']}), {facts['memory_gib']} GiB, Python {facts['python']}; "
        f"bm25s {v['bm25s']}, faiss-cpu {v['faiss-cpu']}, sentence-transformers {v['sentence-transformers']}, "
        f"torch {v['torch']}, pyarrow {v['pyarrow']}. Load average at start "
        f"{', '.join(f'{x:.1f}' for x in facts['load_avg_start'])}, at end "
        f"{', '.join(f'{x:.1f}' for x in facts['load_avg_end'])} (the machine is shared: other processes ran "
        f"during the benchmark, so timings vary by up to ~2x). Wall time {facts['wall_s']:.0f} s.",
        "",
        table(text_rows, md=True),
        "",
        f"- Queries: {args.queries} wiki sentences (1-2 each), top-{args.k}.",
        f"- Dense: {args.dense_sample} passages per corpus sampled at random (not the whole corpus: the full "
        "100k encode is about 66 core-minutes); ours = `synthrr.encoders.sentence.Encoder.encode`, bare = one "
        "`SentenceTransformer.encode(texts, batch_size=64, normalize_embeddings=True)`, same process and threads; "
        f"interleaved in chunks of {ENCODE_CHUNK} passages (alternating which runs first), {args.repeat} rounds, "
        "best time of each per chunk, summed; ours/bare > 1 means ours is faster; the CPU column uses process CPU "
        "time, which other processes on the machine disturb less; max |ours - bare| = "
        + ", ".join(f"{r.get('dense_max_abs_diff', float('nan')):.1e}" for r in rows)
        + ".",
        "- FAISS: `IndexFlatIP` over as many vectors as the corpus has passages, made by tiling the real sample "
        "vectors with Gaussian noise (sigma 0.02, renormalised); the queries are the real encoded queries "
        f"(query encoding: {q_enc} q/s).",
        "- Ingest runs in a child process (its own peak RSS, from VmHWM); bench peak RSS is the benchmark "
        "process's so far.",
    ]
    if one_m:
        lines.append(
            f"- 1M-line JSONL ({one_m['file_mb']:,.0f} MB, 2-5 wiki sentences per line): {one_m['passages']:,} "
            f"passages kept in {one_m['seconds']:.1f} s ({one_m['passages_per_s']:,.0f} p/s), "
            f"**peak RSS {one_m['rss_mb']:,.0f} MB**; counts {one_m['counts']}."
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
