"""Shared-prefix benchmark: today's scheduling vs demonstration blocks + slot pinning, same engine, same run.

Workloads are built by the real pipeline (seed set, retrieval, methods, prompt rendering), with the
prompt sizes of ``make demo`` / ``bench/quality.py`` (passages cut to 160 tokens, demonstrations to
80, up to 96 new tokens):

  synthesizrr-3   imdb, ``synthesizrr`` 3-shot RetrICL over ``movie_plots`` (~1k-token prompts)
  fewgen-32       bbc_news, ``fewgen`` 32-shot (~3k-token prompts)
  fewgen-32-8     the 8-label custom task ``tests/data/tasks/newsgroups8.yaml``, ``fewgen`` 32-shot:
                  more labels (prefix groups) than slots, 10 prompts per label (the first round of
                  an N=100 run)

Each workload takes ``--prompts`` jobs per label (fewgen-32-8: 10) in the order the generator sends
them, for two labels (fewgen-32-8: all eight). Every condition runs in a fresh process (so its peak
RSS is its own) through our ``LLMClient`` + ``llamacpp`` backend with a new empty cache, after a warm-up call:

  old        ``demo_block=1`` (a demonstration draw per prompt), ``pin_slots=false`` (llama.cpp picks
             slots), ``n_parallel=4``, llama.cpp's own prompt-cache limit (8 GiB): the defaults
             before this benchmark existed
  block B, S slots   ``demo_block=B`` for B in ``--blocks``, ``pin_slots=true``, ``n_parallel=S``
             for S in ``--slots``, ``cache_ram_mib`` 256
  n samples/prompt   a prompt per ``n`` examples (``llm.sampling.n=n``) in blocks of the first B on
             the first S: the samples of a prompt share its prefill on one slot

Printed per condition: requests/s, examples/s (completions that parse into an example), prompt
tokens actually prefilled per request (the rest came from a slot's KV cache), peak RSS, and the
ratio to ``old``. After each ``new`` condition the same batch is generated again from the cache,
which must make 0 engine calls.

    .venv/bin/python -m bench.prefix --md docs/bench-prefix.md
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import peak_rss_mb
from bench.table import add_row, emit, heading
from synthrr.core.log import progress_switch

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = {
    # name: (task, corpus, method, shots, labels (None: all), prompts per label (None: --prompts))
    "synthesizrr-3": ("imdb", "movie_plots", "synthesizrr", 3, 2, None),
    "fewgen-32": ("bbc_news", "wiki", "fewgen", 32, 2, None),
    "fewgen-32-8": (str(ROOT / "tests" / "data" / "tasks" / "newsgroups8.yaml"), "wiki", "fewgen", 32, None, 10),
}
OLD_OPTIONS = {"n_parallel": 4, "pin_slots": False, "cache_ram_mib": 8192}


def run_config(workload: str, args: argparse.Namespace) -> Any:
    from synthrr.config import RunConfig

    task, corpus, method, shots, _, _ = WORKLOADS[workload]
    return RunConfig().with_overrides(
        {
            "task": task,
            "corpus.name": corpus,
            "retrieval.retriever": args.retriever,
            "synthesis.method": method,
            "synthesis.shots": shots,
            "synthesis.context_tokens": [1, 160],
            "synthesis.demo_tokens": 80,
            "llm.sampling.max_tokens": args.max_tokens,
        }
    )


class Workload:
    """A workload's seeds, retrieval and prompt context, prepared once; :meth:`requests` renders its
    jobs for one demonstration block size and number of samples per prompt."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        from synthrr.stages.generate import Generator

        self.cfg = run_config(name, args)
        _, _, _, _, self.labels, prompts = WORKLOADS[name]
        self.prompts = prompts or args.prompts
        self.gen = Generator(self.cfg)
        with progress_switch(False):  # seeds and retrieval (an index built on first use) quietly
            self.task, _, self.ctx = self.gen.prepare()

    def requests(self, block: int, n: int = 1) -> tuple[list[Any], str]:
        """The workload's requests per label (``// n`` prompts of ``n`` samples) for its labels, in
        the generator's order (a round sends each label's jobs together, labels in task order)."""
        from dataclasses import replace
        from itertools import islice

        from synthrr.llm.base import Sampling
        from synthrr.synth.methods import METHODS
        from synthrr.synth.rows import job_request

        self.ctx.config = self.cfg.synthesis.model_copy(update={"demo_block": block})
        method = METHODS.get(self.cfg.synthesis.method)()
        base = Sampling.from_config(self.cfg.llm.sampling, default_max_tokens=self.task.spec.max_new_tokens)
        base = replace(base, n=n)
        per_label = max(1, self.prompts // n)
        labels = self.task.spec.label_names[: self.labels]
        jobs = [j for lab in labels for j in islice(method.jobs(self.ctx, lab), per_label)]
        return [job_request(j, base, ()) for j in jobs], self.task.spec.answer_prefix


def child(spec_path: Path) -> None:
    """One condition in this (fresh) process: warm up, time a cold batch, rerun it from the cache."""
    from synthrr.llm.backends.llamacpp import LlamaCppBackend
    from synthrr.llm.base import LLMRequest
    from synthrr.llm.cache.store import LLMCache
    from synthrr.llm.client import LLMClient
    from synthrr.synth.parsing import parse_completion

    spec = pickle.loads(spec_path.read_bytes())
    backend = LlamaCppBackend.from_options(spec["options"])
    backend.generate([LLMRequest.chat("Say hello.")]).__next__()  # start + warm up, no shared prefix
    calls0, computed0 = backend.calls, backend.prompt_tokens_computed
    with tempfile.TemporaryDirectory() as tmp, progress_switch(False):
        client = LLMClient(backend, LLMCache(Path(tmp) / "c.sqlite"))
        t0 = time.perf_counter()
        out = client.generate(spec["requests"])
        seconds = time.perf_counter() - t0
        calls = backend.calls - calls0
        computed = backend.prompt_tokens_computed - computed0
        before = backend.calls
        client.generate(spec["requests"])  # fully cached rerun
        rerun_calls = backend.calls - before
    comps = [c for r in out for c in r.completions]
    examples = sum(1 for c in comps if parse_completion(c.text, spec["prefix"], c.finish_reason).reason is None)
    result = {
        "requests": len(spec["requests"]),
        "completions": len(comps),
        "examples": examples,
        "seconds": seconds,
        "prompt_tokens": sum(r.prompt_tokens for r in out) / len(out),
        "prefilled_per_call": computed / max(1, calls),
        "completion_tokens": sum(c.completion_tokens for c in comps) / max(1, len(comps)),
        "rerun_engine_calls": rerun_calls,
        "peak_rss_mb": peak_rss_mb(),
    }
    spec_path.with_suffix(".json").write_text(json.dumps(result))


def run_condition(requests: list[Any], prefix: str, options: dict[str, Any], tmp: Path, name: str) -> dict[str, Any]:
    path = tmp / (re.sub(r"[^A-Za-z0-9]+", "-", name) + ".pkl")
    path.write_bytes(pickle.dumps({"requests": requests, "prefix": prefix, "options": options}))
    subprocess.run([sys.executable, "-m", "bench.prefix", "--child", str(path)], check=True)
    result: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())
    return result


def conditions(args: argparse.Namespace) -> list[tuple[str, int, int, dict[str, Any]]]:
    """(name, demo_block, samples per prompt, llama.cpp options)."""
    base = {"threads": args.threads, "n_ctx": args.n_ctx, "model_path": args.model}
    out = [] if args.no_old else [("old", 1, 1, {**base, **OLD_OPTIONS})]
    for b in args.blocks:
        for s in args.slots:
            opts = {**base, "n_parallel": s, "pin_slots": True, "cache_ram_mib": 256}
            out.append((f"block {b}, {s} slot{'s' if s > 1 else ''}", b, 1, opts))
    first = {**base, "n_parallel": args.slots[0], "pin_slots": True, "cache_ram_mib": 256}
    for n in args.samples:
        out.append((f"{n} samples per prompt, block {args.blocks[0]}", args.blocks[0], n, first))
    return out


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def figures(r: dict[str, Any]) -> dict[str, float]:
    return {**r, "req_s": r["requests"] / r["seconds"], "ex_s": r["examples"] / r["seconds"]}


def probe(args: argparse.Namespace) -> None:
    """Per workload and thread count: seconds of a group's first call (its prefix prefilled) and of
    the next one (prefix from the slot's KV cache), one slot, block 8: the two costs a run adds up."""
    from synthrr.llm.backends.llamacpp import LlamaCppBackend

    print("| workload | threads | call | prompt tokens | prefilled | generated | seconds |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for wl in args.workloads:
        first, second = Workload(wl, args).requests(8)[0][:2]
        for threads in args.probe:
            backend = LlamaCppBackend.from_options(
                {"threads": threads, "n_parallel": 1, "n_ctx": args.n_ctx, "model_path": args.model}
            )
            for name, request in (("first of its block", first), ("next, same block", second)):
                t0, c0 = time.perf_counter(), backend.prompt_tokens_computed
                ((_, resp),) = list(backend.generate([request]))
                row = (
                    f"| {wl} | {threads} | {name} | {resp.prompt_tokens} | {backend.prompt_tokens_computed - c0} | "
                    f"{resp.completions[0].completion_tokens} | {time.perf_counter() - t0:.1f} |"
                )
                print(row, flush=True)
            backend.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--workloads", nargs="+", choices=list(WORKLOADS), default=["synthesizrr-3", "fewgen-32"], help="[first two]"
    )
    p.add_argument("--prompts", type=int, default=16, help="prompts per label (two labels) [16]")
    p.add_argument("--blocks", type=_ints, default=[8, 16], help="demo_block values of the new scheduling [8,16]")
    p.add_argument("--slots", type=_ints, default=[1, 4], help="n_parallel values of the new scheduling [1,4]")
    p.add_argument("--samples", type=_ints, default=[2], help="samples per prompt (with the first block size) [2]")
    p.add_argument("--threads", type=int, default=None, help="llama.cpp threads [free cores]")
    p.add_argument("--n-ctx", type=int, default=6144)
    p.add_argument("--model", default=None, help="GGUF file or model name (qwen-coder-0.5b, ...) [SmolLM2]")
    p.add_argument("--max-tokens", type=int, default=96)
    p.add_argument("--retriever", default="dense", help="retriever of the synthesizrr workload [dense]")
    p.add_argument("--no-old", action="store_true", help="skip the old scheduling (ratios: vs the first condition)")
    p.add_argument("--probe", type=_ints, default=None, help="only time a block's first and next call at these threads")
    p.add_argument("--md", type=Path, default=None, help="also write the table as Markdown here")
    args = p.parse_args()
    if args.child is not None:
        child(args.child)
        return
    if args.probe:
        probe(args)
        return
    first = conditions(args)[0][0]
    lines = [
        heading("prefix"),
        "",
        f"| workload | condition | req/s | examples/s | ratio (examples/s vs {first}) | prompt tok | prefilled/call | "
        "peak RSS MB | cached rerun calls |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for wl in args.workloads:
            old = None
            workload = Workload(wl, args)  # seeds and retrieval once per workload
            for name, block, n, options in conditions(args):
                reqs, prefix = workload.requests(block, n)
                f = figures(run_condition(reqs, prefix, options, tmp, f"{wl}-{name}"))
                old = old or f
                ratio = f["ex_s"] / old["ex_s"] if old["ex_s"] else float("nan")
                add_row(
                    lines,
                    f"| {wl} | {name} | {f['req_s']:.3f} | {f['ex_s']:.3f} | **{ratio:.2f}x** | "
                    f"{f['prompt_tokens']:.0f} | {f['prefilled_per_call']:.0f} | {f['peak_rss_mb']:.0f} | "
                    f"{f['rerun_engine_calls']} |",
                )
    emit("\n".join(lines) + "\n", args.md, blank_line=True)


if __name__ == "__main__":
    main()
