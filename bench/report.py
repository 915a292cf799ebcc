"""How long a large run's report takes to write and to open: a ``--n`` example run (fake LLM: the
generator is not what is measured), ``synthrr report`` on it (``--max-rows`` candidates sampled into
the example browser; the embedding map included), then the page opened ``--opens`` times in
headless Chromium, timed to the DOM being complete. Needs Debian's chromium and chromium-driver.

    .venv/bin/python -m bench.report --n 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.browser import CHROMIUM, DRIVER, open_page


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="examples in the run [10000]")
    p.add_argument("--max-rows", type=int, default=2000, help="candidates in the example browser [2000]")
    p.add_argument("--opens", type=int, default=3, help="times the page is opened [3]")
    args = p.parse_args(argv)
    if not CHROMIUM or not DRIVER:
        print("bench/report.py: skipped, no chromium / chromedriver (Debian: apt-get install chromium chromium-driver)")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        runs, page = Path(tmp) / "runs", Path(tmp) / "report.html"
        gen = [sys.executable, "-m", "synthrr.cli", "generate", "--task", "imdb", "--method", "zerogen", "--llm",
               "fake", "--n", str(args.n), "--per-label", "10", "--out", str(runs), "--no-progress",
               "--set", "synthesis.filters.label_consistency=none", "--set", "synthesis.filters.dedup=exact",
               "--set", "llm.options.default='Review {n}: a film about {h} that I watched on {n}.'"]  # fmt: skip
        env = {**os.environ, "SYNTHRR_HOME": tmp}
        subprocess.run(gen, check=True, capture_output=True, env=env)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "synthrr.cli", "report", str(next(runs.iterdir())), "--out", str(page),
                        "--max-rows", str(args.max_rows)], check=True, capture_output=True, env=env)  # fmt: skip
        written = time.perf_counter() - t0
        print(f"run of {args.n:,} examples: report written in {written:.1f} s, {page.stat().st_size / 1e6:.1f} MB")
        for i in range(args.opens):
            driver = open_page(page)
            try:
                ms = 0.0
                for _ in range(600):  # until the browser has recorded it (0 while the page is still loading)
                    ms = driver.execute_script("return performance.getEntriesByType('navigation')[0].domComplete")
                    if ms:
                        break
                    time.sleep(0.05)
                shown = driver.find_element("id", "count").text
            finally:
                driver.quit()
            print(f"open {i + 1}: DOM complete after {ms / 1000:.2f} s ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
