"""Stage 2, content sourcing: retrieve the top-K corpus passages for each seed.

This stage only composes protocols (task, corpus, retriever); it does not know where it runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthrr.config import RunConfig
from synthrr.core.errors import ConfigError, UsageError
from synthrr.core.records import Example, Hit
from synthrr.corpus import get_corpus
from synthrr.executors import make_encode_pool, make_search_pool
from synthrr.retrieval import open_index, retrieve, retriever_from_config
from synthrr.retrieval.hits_cache import cached_hits, hits_key, store_hits
from synthrr.run.rundir import read_retrieval_dir, write_retrieval_dir
from synthrr.stages.seeds import draw_seed_set
from synthrr.synth.methods import METHODS

if TYPE_CHECKING:
    from synthrr.corpus.base import Corpus
    from synthrr.retrieval.base import Retriever
    from synthrr.tasks.base import Task

log = logging.getLogger(__name__)

#: seeds named (with a snippet) in the warning about seeds without hits
SHOWN_SEEDS = 3


class NoHitsError(UsageError):
    """Retrieval found no passage for any seed of a label, and the run's method writes from them."""


@dataclass
class RetrievalResult:
    """Seeds, the corpus they were matched against, and the hits (rank 1 = best)."""

    task: Task
    corpus: Corpus
    seeds: list[Example]
    hits: list[Hit]
    timings: dict[str, float] = field(default_factory=dict)

    def hits_for(self, seed_id: str) -> list[Hit]:
        return [h for h in self.hits if h.seed_id == seed_id]

    def summary(self) -> dict[str, Any]:
        return {
            "task": self.task.name,
            "corpus": self.corpus.name,
            "corpus_passages": len(self.corpus),
            "seeds": len(self.seeds),
            "hits": len(self.hits),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def retrieve_for_run(cfg: RunConfig, seeds: list[Example], corpus: Corpus) -> tuple[list[Hit], Retriever]:
    """Top-K hits per seed with the run's retriever (threads from ``cfg.threads``). The run's
    executor says where the work goes: with ``ray`` a missing dense index is encoded on encoder
    actors and a sharded one (``index_shards > 1``) is searched on search actors; queries are
    encoded here, and BM25 searches here. The pools are closed before returning, so the returned
    retriever's sharded index is no longer searchable. Hits are cached by content
    (:mod:`synthrr.retrieval.hits_cache`): a rerun opens no index and encodes no query."""
    retriever = retriever_from_config(cfg.retrieval, threads=cfg.threads)
    key = hits_key(corpus, retriever, cfg.retrieval, seeds)
    hits = cached_hits(key)
    if hits is None:
        hits = _search(cfg, seeds, corpus, retriever)
        store_hits(key, hits)
    check_hits(cfg, seeds, hits, retriever)
    return hits, retriever


def _search(cfg: RunConfig, seeds: list[Example], corpus: Corpus, retriever: Retriever) -> list[Hit]:
    """Open (or build) the index on the run executor's pools, then search it for every seed."""
    with ExitStack() as pools:  # closed last-in first-out: the search actors before a Ray shutdown
        encode = make_encode_pool(cfg.executor, cfg.ray)
        if encode is not None:
            pools.callback(encode.close)
        search = make_search_pool(cfg.executor, cfg.ray)
        if search is not None:
            pools.callback(search.close)
        open_index(corpus, retriever, encode=encode, search=search)
        if encode is not None:
            encode.release()  # the encoder workers' CPUs go to the search workers
        return retrieve(seeds, corpus, cfg.retrieval, retriever=retriever)


def check_hits(cfg: RunConfig, seeds: Sequence[Example], hits: Sequence[Hit], retriever: Retriever) -> None:
    """Say which seeds retrieval found nothing for, before any LLM call. A label none of whose seeds
    has a hit is a :class:`NoHitsError` (exit 2) when the run's method writes from retrieved
    passages (``needs_retrieval``: SynthesizRR could not meet that label's quota); otherwise seeds
    without hits are one warning line naming a few of them."""
    found = {h.seed_id for h in hits}
    per_label: dict[str, int] = {}
    missing: dict[str, list[Example]] = {}
    for s in seeds:
        per_label[s.label] = per_label.get(s.label, 0) + 1
        if s.id not in found:
            missing.setdefault(s.label, []).append(s)
    if not missing:
        return
    empty = [lab for lab, group in missing.items() if len(group) == per_label[lab]]
    where = f"({cfg.retrieval.retriever} over corpus '{cfg.corpus.name}')"
    if empty and METHODS.get(cfg.synthesis.method).needs_retrieval:
        label = empty[0]
        also = f" (nor for label(s) {', '.join(repr(x) for x in empty[1:])})" if empty[1:] else ""
        raise NoHitsError(
            f"retrieval found no passage for any of the {per_label[label]} seeds of label '{label}'{also} {where}, "
            f"so method '{cfg.synthesis.method}' has nothing to write from; {_fixes(cfg, retriever, label)}"
        )
    lost = [s for group in missing.values() for s in group]
    counts = ", ".join(f"{lab}: {len(g)} of {per_label[lab]}" for lab, g in missing.items())
    shown = "; ".join(f"{s.id} {_snippet(s.text)!r}" for s in lost[:SHOWN_SEEDS])
    more = f"; and {len(lost) - SHOWN_SEEDS} more" if len(lost) > SHOWN_SEEDS else ""
    log.warning(
        "retrieval found no passage for %d of %d seeds %s (%s), e.g. %s%s; they get no prompts; %s",
        len(lost),
        len(seeds),
        where,
        counts,
        shown,
        more,
        _fixes(cfg, retriever, next(iter(missing))),
    )


def _fixes(cfg: RunConfig, retriever: Retriever, label: str) -> str:
    """The ways to get hits: another retriever or stemming (BM25), a corpus covering ``label``, the
    corpus's text column."""
    fixes = []
    if retriever.score_kind == "bm25":
        fixes.append("--retriever dense (retrieval.retriever)")
        if getattr(retriever.options, "stemmer", "") is None:
            fixes.append("stemming (--set retrieval.options.stemmer=english)")
    fixes.append(f"a corpus that covers '{label}' (--corpus, corpus.name)")
    fixes.append("check that the corpus text column is the one read (--text-column COLUMN, corpus.text_column)")
    return "try " + ", or ".join(fixes)


def _snippet(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def open_index_for_run(cfg: RunConfig, corpus: Corpus, retriever: Retriever) -> Retriever:
    """Load or build ``retriever``'s index over ``corpus`` for a method that searches it itself
    (ReGen). As in :func:`retrieve_for_run`, a missing dense index is encoded on the run executor's
    encode pool (Ray encoder actors for ``ray``); the index is then searched in this process."""
    encode = make_encode_pool(cfg.executor, cfg.ray)
    try:
        return open_index(corpus, retriever, encode=encode)
    finally:
        if encode is not None:
            encode.close()


def run_retrieval(cfg: RunConfig) -> RetrievalResult:
    """Draw the seed set, ingest the corpus (cached) and retrieve top-K per seed (index cached)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    task, seeds = draw_seed_set(cfg)
    timings["seeds"] = time.perf_counter() - t
    t = time.perf_counter()
    corpus = get_corpus(cfg.corpus.name, cfg.corpus)
    timings["corpus"] = time.perf_counter() - t
    t = time.perf_counter()
    hits, _ = retrieve_for_run(cfg, seeds, corpus)
    timings["retrieve"] = time.perf_counter() - t
    return RetrievalResult(task=task, corpus=corpus, seeds=seeds, hits=hits, timings=timings)


def write_retrieval(result: RetrievalResult, cfg: RunConfig, out: Path) -> dict[str, Path]:
    """Write seeds.parquet, hits.parquet (seed_id, passage_id, rank, score), config.yaml and
    retrieval.json (:func:`synthrr.run.rundir.write_retrieval_dir`)."""
    return write_retrieval_dir(out, cfg, result.seeds, result.hits, result.summary())


#: the config sections a retrieval's hits depend on: reuse needs them equal
HITS_DEPEND_ON = ("task", "seeds", "corpus", "retrieval")


def reuse_hits(cfg: RunConfig, directory: Path, seeds: list[Example]) -> list[Hit]:
    """The hits of an earlier ``synthrr retrieve --out DIRECTORY``, after checking that they were
    made for this config's task, seed set, corpus and retrieval settings (else a ``ConfigError``
    naming the first setting that differs)."""
    directory = Path(directory).expanduser()
    their_cfg, their_seeds, hits = read_retrieval_dir(directory)
    theirs, ours = their_cfg.public_dict(), cfg.public_dict()
    for section in HITS_DEPEND_ON:
        key = _first_difference(section, ours[section], theirs[section])
        if key is not None:
            raise ConfigError(
                "hits_from", f"{directory} was retrieved with another {key} than this run's; retrieve again or drop it"
            )
    if [s.id for s in their_seeds] != [s.id for s in seeds]:
        raise ConfigError("hits_from", f"{directory} holds another seed set than this run draws")

    check_hits(cfg, seeds, hits, retriever_from_config(cfg.retrieval))
    return hits


def _first_difference(key: str, a: object, b: object) -> str | None:
    """The dotted key of the first setting where ``a`` and ``b`` differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            found = _first_difference(f"{key}.{k}", a.get(k), b.get(k))
            if found is not None:
                return found
        return None
    return None if a == b else key
