"""Scale-out benchmark: the same generation run on the local executor and on Ray actor pools.

    .venv/bin/python bench/scaleout.py --llm fake --n 60 --actors 1 2
    .venv/bin/python bench/scaleout.py --llm llamacpp --n 8 --actors 1 2

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
    from synthrr.synth.run import generate

    os.environ["SYNTHRR_HOME"] = str(home)
    t0 = time.perf_counter()
    result = generate(cfg, progress=False)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", choices=["fake", "llamacpp"], default="fake")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--delay", type=float, default=0.02, help="fake: seconds per completion")
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--threads", type=int, default=1, help="engine threads per process")
    ap.add_argument("--shard-size", type=int, default=4)
    ap.add_argument("--num-cpus", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

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
