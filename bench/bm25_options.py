"""Which BM25 tokenisation should be the default? An LLM-free proxy of retrieval quality, on validation.

For each task and each setting of ``retrieval.options.stemmer`` (none / english) x
``retrieval.options.stopwords`` (en: Lucene's 33 words / en_plus: bm25s's 179 / none), the task's
validation texts (up to ``--limit`` per task, never the test split) are the queries of a BM25 index
over the task's default corpus. Per setting:

  zero        queries with no hit at all (no query term in the corpus)
  short %     share of queries with fewer than k hits
  align@10 %  share of the top-10 passages that the task's label-preservation oracle (a TF-IDF
  align@k %   logistic regression trained on the full train split) assigns the query's label,
              averaged per label, then over labels (a missing passage counts as not aligned)
  Δ align@10  against the first setting (no stemmer, ``en``: the default before), paired per query,
              with a 95 % interval (1.96 standard errors of the label-averaged mean difference)
  chance %    1 / labels: the label-averaged alignment of passages drawn at random
  build s     one fresh index build (tokenise + index + save); search ms/q: per query, k passages

Corpora: imdb and rotten_tomatoes -> ``movie_plots``; bbc_news and custom tasks -> ``wiki`` (as in
bench/quality.py). Indexes are cached under ``$SYNTHRR_HOME`` like a run's.

    .venv/bin/python -m bench.bm25_options --md docs/bm25-options.md
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import emit
from synthrr.core.log import progress_switch

TASKS = ("imdb", "rotten_tomatoes", "bbc_news", "tests/data/tasks/newsgroups8.yaml")
DEFAULT_CORPUS = {"imdb": "movie_plots", "rotten_tomatoes": "movie_plots", "bbc_news": "wiki"}
#: (stemmer, stopwords)
SETTINGS: tuple[tuple[str | None, str | None], ...] = tuple(
    (stemmer, stopwords) for stemmer in (None, "english") for stopwords in ("en", "en_plus", None)
)


def queries_of(task: Any, limit: int) -> list[Any]:
    """Up to ``limit`` validation examples, drawn at random (seed 0), in split order."""
    val = task.load_split("validation")
    if len(val) <= limit:
        return list(val)
    rng = random.Random(0)
    picked = rng.sample(range(len(val)), limit)
    return [val[i] for i in sorted(picked)]


def shares(ranked: list[list[tuple[str, float]]], labels: list[str], pred: dict[str, str], k: int) -> list[float]:
    """Per query: the share of its top-``k`` passages the oracle assigns its label (missing ones count 0)."""
    return [sum(pred[pid] == lab for pid, _ in hits[:k]) / k for hits, lab in zip(ranked, labels, strict=True)]


def macro(values: list[float], labels: list[str]) -> tuple[float, float]:
    """Mean over labels of the per-label mean of ``values``, and its standard error (labels independent)."""
    groups: dict[str, list[float]] = {}
    for v, lab in zip(values, labels, strict=True):
        groups.setdefault(lab, []).append(v)
    means = [statistics.fmean(g) for g in groups.values()]
    var = sum(statistics.variance(g) / len(g) for g in groups.values() if len(g) > 1) / len(groups) ** 2
    return statistics.fmean(means), math.sqrt(var)


def build_seconds(corpus: Any, retriever: Any) -> float:
    """Wall time of one fresh build (tokenise + index + save) into a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        retriever.build(corpus, Path(tmp))
        return time.perf_counter() - t0


def measure_task(task_name: str, corpus_name: str, k: int, limit: int) -> list[dict[str, Any]]:
    from synthrr.corpus import get_corpus
    from synthrr.metrics.fidelity import get_oracle
    from synthrr.retrieval import get_retriever, open_index
    from synthrr.tasks import get_task

    task = get_task(task_name)
    corpus = get_corpus(corpus_name)
    oracle, _ = get_oracle(task, "tfidf")
    ids, texts = _all_texts(corpus)
    pred = dict(zip(ids, oracle.predict(texts), strict=True))
    queries = queries_of(task, limit)
    labels = [q.label for q in queries]
    rows: list[dict[str, Any]] = []
    baseline: list[float] = []
    for stemmer, stopwords in SETTINGS:
        retriever = get_retriever("bm25", stemmer=stemmer, stopwords=stopwords)
        build_s = build_seconds(corpus, retriever)
        open_index(corpus, retriever)
        t0 = time.perf_counter()
        ranked = retriever.search([q.text for q in queries], k)
        search_s = time.perf_counter() - t0
        at10 = shares(ranked, labels, pred, 10)
        baseline = baseline or at10  # the first setting is the default before this measurement
        delta, delta_se = macro([a - b for a, b in zip(at10, baseline, strict=True)], labels)
        rows.append(
            {
                "task": task.name,
                "corpus": corpus_name,
                "stemmer": stemmer or "none",
                "stopwords": stopwords or "none",
                "queries": len(queries),
                "zero": sum(not r for r in ranked),
                "short": sum(len(r) < k for r in ranked) / len(ranked),
                "align10": macro(at10, labels)[0],
                "alignk": macro(shares(ranked, labels, pred, k), labels)[0],
                "delta10": delta,
                "delta10_se": delta_se,
                "base": 1 / len(set(labels)),
                "build_s": build_s,
                "search_ms": 1000 * search_s / len(queries),
            }
        )
    return rows


def _all_texts(corpus: Any) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    texts: list[str] = []
    for batch_ids, batch_texts in corpus.iter_texts():
        ids.extend(batch_ids)
        texts.extend(batch_texts)
    return ids, texts


def table(rows: list[dict[str, Any]], k: int) -> str:
    lines = [
        f"| task (queries) | corpus | stemmer | stopwords | zero | short % | align@10 % | Δ align@10 (± 95 %) "
        f"| align@{k} % | chance % | build s | search ms/q |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} ({r['queries']}) | {r['corpus']} | {r['stemmer']} | {r['stopwords']} | {r['zero']} | "
            f"{100 * r['short']:.1f} | {100 * r['align10']:.1f} | {100 * r['delta10']:+.1f} ± "
            f"{196 * r['delta10_se']:.1f} | {100 * r['alignk']:.1f} | {100 * r['base']:.1f} | {r['build_s']:.2f} | "
            f"{r['search_ms']:.2f} |"
        )
    lines += ["", "Mean over the tasks:", ""]
    lines.append(f"| stemmer | stopwords | zero (all tasks) | align@10 % | Δ align@10 | align@{k} % |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for stemmer, stopwords in SETTINGS:
        sel = [r for r in rows if r["stemmer"] == (stemmer or "none") and r["stopwords"] == (stopwords or "none")]
        n = len(sel)
        lines.append(
            f"| {stemmer or 'none'} | {stopwords or 'none'} | {sum(r['zero'] for r in sel)} | "
            f"{100 * sum(r['align10'] for r in sel) / n:.1f} | {100 * sum(r['delta10'] for r in sel) / n:+.1f} | "
            f"{100 * sum(r['alignk'] for r in sel) / n:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="+", default=list(TASKS))
    ap.add_argument("-k", type=int, default=50, help="passages per query [50, the default retrieval.k]")
    ap.add_argument("--limit", type=int, default=400, help="validation queries per task [400]")
    ap.add_argument("--md", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with progress_switch(False):  # no bars or step lines inside the timings
        for name in args.tasks:
            corpus = DEFAULT_CORPUS.get(name, "wiki")
            rows.extend(measure_task(name, corpus, args.k, args.limit))
            print(f"{name}: done ({time.perf_counter() - t0:.0f} s)", flush=True)
    emit(table(rows, args.k), args.md)
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
