"""Engine threads with and without a busy neighbour: what llama.cpp's thread count costs when a process joins.

An engine started with as many threads as cores collapses when another process takes a core later:
llama.cpp's threads wait for each other at every layer, and a descheduled one stalls the rest. This
benchmark runs one fixed workload per generator in a fresh process per condition:

  threads T             ``llm.options.threads=T``
  + neighbour           the same while a busy-looping process holds one core from before the engine
                        starts to the end (the run a neighbour joins)

The workload: ``--requests`` chat prompts of ~``--prompt-words`` words (different texts, so every
prompt is prefilled in full) on one slot, ``--max-tokens`` new tokens each. Printed per condition:
the tokens prefilled and generated, the wall seconds and the ratio of wall time to the quiet
``threads 1`` row of the same model (lower is faster). ``--repeats R`` runs the conditions R times,
interleaved, so a change in the machine's background load shows as spread rather than as a difference.

    .venv/bin/python -m bench.threads --models smollm2-135m qwen-coder-0.5b --md docs/bench-threads.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import add_row, emit, heading

TEXT = (
    "the council voted on a new budget for schools roads and hospitals after a long debate about taxes "
    "while the team won its third match of the season with a late goal from the young striker and fans "
    "cheered as the company reported higher profits from its new phones and laptops sold across europe"
)
WORDS = TEXT.split()


def prompts(n: int, words: int) -> list[str]:
    """``n`` different prompts of ``words`` words (rotations of one text: no shared prefix)."""
    out = []
    for i in range(n):
        body = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(words)]
        out.append(f"Summarise this text in one sentence. Text {i}: " + " ".join(body))
    return out


def child(spec_path: Path) -> None:
    """One condition in a fresh process: warm up, then time the workload."""
    from synthrr.llm.backends.llamacpp import LlamaCppBackend
    from synthrr.llm.base import LLMRequest, Sampling

    spec = json.loads(spec_path.read_text())
    backend = LlamaCppBackend.from_options(spec["options"])
    next(backend.generate([LLMRequest.chat("Say hello.")]))
    sampling = Sampling(max_tokens=spec["max_tokens"], temperature=0.0, seed=0)
    reqs = [LLMRequest.chat(p, sampling=sampling) for p in prompts(spec["requests"], spec["prompt_words"])]
    t0 = time.perf_counter()
    out = [r for _, r in backend.generate(reqs)]
    wall = time.perf_counter() - t0
    result = {
        "wall": wall,
        "prompt_tokens": sum(r.prompt_tokens for r in out),
        "completion_tokens": sum(c.completion_tokens for r in out for c in r.completions),
        "engine_s": sum(r.seconds for r in out),
    }
    spec_path.with_suffix(".out").write_text(json.dumps(result))


def spin(stop: Any) -> None:
    """Hold one core busy until ``stop`` (a multiprocessing Event) is set: the neighbour."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def run(spec: dict[str, Any], tmp: Path, name: str, neighbour: bool) -> dict[str, Any]:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(spec))
    stop = mp.Event()
    spinner = mp.Process(target=spin, args=(stop,), daemon=True) if neighbour else None
    if spinner:
        spinner.start()
        time.sleep(0.5)
    try:
        subprocess.run([sys.executable, "-m", "bench.threads", "--child", str(path)], check=True)
    finally:
        if spinner:
            stop.set()
            spinner.join()
    result: dict[str, Any] = json.loads(path.with_suffix(".out").read_text())
    return result


def conditions(args: argparse.Namespace) -> list[tuple[str, dict[str, Any], bool]]:
    out = []
    for neighbour in (False, True):
        for t in args.threads:
            name = f"threads {t}" + (" + neighbour" if neighbour else "")
            out.append((name, {"threads": t, "n_parallel": 1}, neighbour))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--models", nargs="+", default=["smollm2-135m", "qwen-coder-0.5b"])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--requests", type=int, default=4)
    p.add_argument("--prompt-words", type=int, default=400)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=1, help="run every condition this many times, interleaved [1]")
    p.add_argument("--md", type=Path, default=None, help="also write the table as Markdown here")
    args = p.parse_args()
    if args.child is not None:
        child(args.child)
        return
    lines = [
        heading("threads"),
        "",
        "| model | condition | prompt tokens | generated tokens | wall s | wall vs threads 1 (quiet) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmpdir:
        for model in args.models:
            base = None
            for name, options, neighbour in conditions(args) * args.repeats:
                spec = {
                    "options": {**options, "model_path": model},
                    "requests": args.requests,
                    "prompt_words": args.prompt_words,
                    "max_tokens": args.max_tokens,
                }
                r = run(spec, Path(tmpdir), f"{model}-{len(lines)}", neighbour)
                base = base or r["wall"]
                add_row(
                    lines,
                    f"| {model} | {name} | {r['prompt_tokens']} | {r['completion_tokens']} | {r['wall']:.1f} | "
                    f"**{r['wall'] / base:.2f}x** |",
                )
    emit("\n".join(lines) + "\n", args.md, blank_line=True)


if __name__ == "__main__":
    main()
