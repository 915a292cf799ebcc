"""The benchmark corpus of bench/big_corpus.py: exactly N distinct passages, the same every time."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from bench import big_corpus as big_corpus_module
from synthrr.config import CorpusConfig
from synthrr.core.text import count_tokens
from synthrr.corpus import get_corpus

REAL = [
    "The river rose overnight. Farmers moved their cattle to higher ground! Nobody was hurt, the mayor said.",
    "A new bridge opened in the city. It took four years to build. Traffic is expected to ease by spring.",
    "The orchestra played a late symphony. Critics praised the strings. The hall was full for a second night?",
    "The orchestra played a late symphony. Critics praised the strings. The hall was full for a second night?",
    "Scientists found a new species of frog in the forest. It is smaller than a coin. Its call is very loud.",
]


@pytest.fixture
def big_corpus(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(big_corpus_module, "builtin_texts", lambda: iter(REAL[:3]))
    monkeypatch.setattr(big_corpus_module, "review_texts", lambda: iter(REAL[3:]))
    return big_corpus_module


def test_padding_gives_exactly_n_distinct_passages_the_same_every_time(big_corpus: ModuleType) -> None:
    first = list(big_corpus.passages(300))
    assert len(first) == 300 and first == list(big_corpus.passages(300))
    texts = [t for _, t in first]
    assert len(set(texts)) == 300
    assert texts[:4] == [REAL[0], REAL[1], REAL[2], REAL[4]]  # real passages first, the duplicate dropped
    assert [s for s, _ in first[:4]] == ["builtin"] * 3 + ["imdb-reviews"]
    assert {s for s, _ in first[4:]} == {"recombined"}
    sentences = {s for t in REAL for s in big_corpus._SENTENCE.split(t)}
    for text in texts[4:]:  # whole real sentences joined, within the chunk size
        assert set(big_corpus._SENTENCE.split(text)) <= sentences
        assert big_corpus.MIN_TOKENS <= count_tokens(text) <= big_corpus.CHUNK_TOKENS
    other = list(big_corpus.recombine(REAL, 10, set(), seed=big_corpus.SEED + 1))
    assert other != texts[4:14]  # the draws come from the seed


def test_fewer_than_the_real_passages_keeps_the_first(big_corpus: ModuleType) -> None:
    assert [t for _, t in big_corpus.passages(2)] == REAL[:2]


def test_the_file_ingests_to_exactly_n_passages(big_corpus: ModuleType, tmp_path: Path) -> None:
    path = big_corpus.write_corpus(500, tmp_path)
    assert path.name == f"passages-500-r{big_corpus.RECIPE}.jsonl"
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0]) == {"text": REAL[0], "source": "builtin"}
    corpus = get_corpus(str(path), CorpusConfig(min_tokens=1))
    assert len(corpus) == 500 and corpus.counts["duplicate"] == 0
    mtime = path.stat().st_mtime_ns
    assert big_corpus.write_corpus(500, tmp_path) == path and path.stat().st_mtime_ns == mtime  # reused
