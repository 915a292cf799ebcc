"""Self-BLEU benchmark: our vectorised implementation vs the paper's NLTK loop.

    python -m bench.selfbleu                       # 1,000 Rotten Tomatoes train texts, n = 1..5
    python -m bench.selfbleu --task imdb --n 1000 --md docs/bench-selfbleu.md

Both compute Self-BLEU-1..5 (uniform weights, NLTK smoothing method1) of every text against all
the others. The NLTK reference makes one ``sentence_bleu`` call per text with all five weight
vectors at once (its fastest use). Prints both timings, the speed-up and the largest absolute
difference of the five scores (must be < 1e-6).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path


def load_texts(task_name: str, n: int) -> list[str]:
    from synthrr.tasks import get_task

    texts = [ex.text for ex in get_task(task_name).load_split("train")[:n]]
    if len(texts) < n:
        raise SystemExit(f"task {task_name} has only {len(texts)} train texts")
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="rotten_tomatoes", help="offline task whose train texts are used")
    ap.add_argument("--n", type=int, default=1000, help="number of texts")
    ap.add_argument("--max-n", type=int, default=5, help="highest n-gram order")
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions of our implementation (median)")
    ap.add_argument("--md", type=Path, default=None, help="also write the result as Markdown to this file")
    args = ap.parse_args()

    from synthrr.core.text import tokenize
    from synthrr.metrics.diversity import TOKENIZER_NAME, self_bleu, self_bleu_reference

    texts = load_texts(args.task, args.n)
    docs = [tokenize(t) for t in texts]  # tokenise once, outside both timings
    n_tokens = sum(len(d) for d in docs)

    ours_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours = self_bleu(docs, args.max_n)
        ours_times.append(time.perf_counter() - t0)
    t_ours = statistics.median(ours_times)

    t0 = time.perf_counter()
    ref = self_bleu_reference(docs, args.max_n)
    t_ref = time.perf_counter() - t0

    diff = max(abs(ours[k] - ref[k]) for k in ours)
    ratio = t_ref / t_ours
    import nltk
    import numpy

    rows = [
        "| implementation | time (s) | Self-BLEU-1 | Self-BLEU-5 |",
        "|---|---:|---:|---:|",
        f"| NLTK `sentence_bleu` loop (reference) | {t_ref:.2f} | {ref[1]:.6f} | {ref[args.max_n]:.6f} |",
        f"| synthrr `self_bleu` (vectorised) | {t_ours:.3f} | {ours[1]:.6f} | {ours[args.max_n]:.6f} |",
    ]
    summary = (
        f"{args.n} texts of `{args.task}` (train split, first {args.n}), {n_tokens} tokens "
        f"({n_tokens / args.n:.1f} per text), n = 1..{args.max_n}; tokenizer: {TOKENIZER_NAME}.\n\n"
        + "\n".join(rows)
        + f"\n\n**Speed-up: {ratio:.0f}x.** Largest absolute difference over n = 1..{args.max_n}: {diff:.2e} "
        f"(required < 1e-6).\n\nMachine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, NLTK {nltk.__version__}, NumPy {numpy.__version__}; ours is the median "
        f"of {args.repeat} runs, NLTK one run; tokenisation excluded from both.\n"
    )
    print(summary)
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(
            "# Self-BLEU benchmark\n\nCommand: `python -m bench.selfbleu "
            + (f"--task {args.task} --n {args.n} --md {args.md}`\n\n")
            + summary,
            encoding="utf-8",
        )
    if diff >= 1e-6:
        raise SystemExit(f"mismatch: {diff}")


if __name__ == "__main__":
    main()
