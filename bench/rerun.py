"""How long does a fully cached rerun take? The demo's SynthesizRR run (imdb, movie_plots, dense
retrieval, 3-shot, SmolLM2-135M via llama.cpp, the demo's prompt sizes), once cold, then again with
every LLM answer, the hits, the seed classifier and its verdicts in the caches.

Each run is its own ``python`` process (interpreter start and imports included: what a user waits
for); the figure is its wall time and the engine calls its manifest counts. The first run's figures
are kept in ``--record`` so the rerun can be measured again later against the same first run.

    .venv/bin/python -m bench.rerun --home rerun-home            # first run, then the rerun
    .venv/bin/python -m bench.rerun --home rerun-home --phase rerun
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from synthrr.core.log import progress_switch


def demo_run_config(n: int, out: Path) -> Any:
    """The demo's SynthesizRR config (src/synthrr/demo.py), retrieving inside ``generate``."""
    from synthrr.demo import demo_config

    args = argparse.Namespace(
        task="imdb", corpus="movie_plots", llm="llamacpp", per_label=None, n=n, student="tfidf", test_limit=500, out=out
    )
    return demo_config(args, [("synthesis.method", "synthesizrr"), ("synthesis.shots", 3)])


def child(n: int, out: Path) -> None:
    """One run in this process; prints its figures as one JSON line."""
    from synthrr.llm.client import make_client
    from synthrr.stages.generate import generate

    cfg = demo_run_config(n, out)
    client = make_client(cfg.llm, threads=cfg.threads)
    with progress_switch(False):
        run = generate(cfg, client=client)
    m = run.manifest
    figures = {
        "kept": m.kept,
        "status": m.status,
        "llm": m.llm,
        "counts": m.counts,
        "timings_s": m.timings_s,
        "run_dir": str(run.run_dir),
        # was the llama.cpp engine started, the sentence encoder's library even imported?
        "engine_started": getattr(client.backend, "_server", None) is not None,
        "torch_imported": "torch" in sys.modules,
    }
    print("FIGURES " + json.dumps(figures))


def measure(n: int, out: Path) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter; its figures plus the wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.rerun", "--child", "--n", str(n), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("FIGURES ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"wall_s": wall, **json.loads(line.removeprefix("FIGURES "))}


def row(name: str, fig: dict[str, Any]) -> str:
    llm, counts = fig["llm"], fig.get("counts", {})
    verdicts = f"{counts.get('label_verdicts_cached', '-')} / {counts.get('label_verdicts_computed', '-')}"
    started: dict[Any, str] = {True: "yes", False: "no"}
    return (
        f"| {name} | {fig['wall_s']:.1f} s | {llm.get('calls', 0)} | {llm.get('cache_hits', 0)} | {verdicts} | "
        f"{started.get(fig.get('engine_started'), '-')} | {started.get(fig.get('torch_imported'), '-')} | "
        f"{fig['kept']} ({fig['status']}) |"
    )


HEADER = (
    "| run | wall | engine calls | LLM cache hits | verdicts cached / computed | engine started | torch imported "
    "| kept |\n|---|---:|---:|---:|---:|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="examples to generate [100, the demo's]")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-rerun"))
    parser.add_argument("--home", type=Path, default=None, help="SYNTHRR_HOME for both runs (fresh: a cold first run)")
    parser.add_argument("--phase", choices=("both", "first", "rerun"), default="both")
    parser.add_argument("--record", type=Path, default=None, help="JSON of the first run [OUT/first-run.json]")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.home is not None:
        os.environ["SYNTHRR_HOME"] = str(args.home)
    if args.child:
        child(args.n, args.out)
        return
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    record = args.record or args.out / "first-run.json"
    if args.phase in ("both", "first"):
        first = measure(args.n, args.out)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(first, indent=1), encoding="utf-8")
        print(row("first run", first), flush=True)
    if args.phase in ("both", "rerun"):
        first = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None
        rerun = measure(args.n, args.out)
        print(HEADER)
        if first is not None:
            print(row("first run", first))
        print(row("fully cached rerun", rerun))
        if first is not None:
            print(f"rerun / first run: {rerun['wall_s'] / first['wall_s']:.3f}")
        print(f"rerun timings (s): {json.dumps({k: round(v, 2) for k, v in rerun['timings_s'].items()})}")


if __name__ == "__main__":
    main()
