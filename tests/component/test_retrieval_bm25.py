"""BM25 over a tiny corpus, index persistence and reuse, hits on disk."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthrr.config import CorpusConfig, RetrievalConfig
from synthrr.core.log import progress_switch
from synthrr.core.paths import subdir
from synthrr.core.records import Example
from synthrr.corpus import Corpus, get_corpus
from synthrr.retrieval import Ranked, Retriever, get_retriever, index_dir_for, open_index, retrieve, save_hits

TINY = Path(__file__).parents[1] / "data" / "corpora" / "tiny.jsonl"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own cache root: its first index of the tiny corpus is built here, whatever other
    modules of the session built in the shared one."""
    return tmp_path_factory.mktemp("bm25_home")


@pytest.fixture(autouse=True)
def _own_home(_isolated_home: None, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHRR_HOME", str(home))


@pytest.fixture(scope="module")
def tiny(home: Path) -> Corpus:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNTHRR_HOME", str(home))
        return get_corpus(str(TINY), CorpusConfig(id_field="id"))


def source_of(corpus: Corpus, pid: str) -> str:
    return corpus.get([pid])[0].source


def test_bm25_finds_the_matching_passage_and_reuses_its_index(tiny: Corpus, caplog: pytest.LogCaptureFixture) -> None:
    with progress_switch(True), caplog.at_level(logging.INFO, logger="synthrr.progress"):
        first = open_index(tiny, get_retriever("bm25"))
        built = [r.getMessage() for r in caplog.records]
        second = open_index(tiny, get_retriever("bm25"))
    assert (first.index_status, second.index_status) == ("built", "loaded")
    # a build (the long part of a first run or dry run on a new corpus) says so once; a reuse does not
    assert [m for m in built if "building the bm25 index" in m and f"({len(tiny):,} passages)" in m]
    assert len([r for r in caplog.records if "building the" in r.getMessage()]) == 1
    assert first.index_dir == second.index_dir == index_dir_for(tiny, first)
    queries = ["lava flows from the erupting volcano", "grandmaster wins the chess title", "roasted coffee beans"]
    for r in (first, second):
        results = r.search(queries, k=3)
        assert [source_of(tiny, ranked[0][0]) for ranked in results] == ["volcano", "chess", "coffee"]
        assert all(ranked[0][1] > 0 for ranked in results)
    assert first.search(queries, 3) == second.search(queries, 3)


def test_k_is_clamped_and_queries_without_known_terms_return_nothing(tiny: Corpus) -> None:
    r = open_index(tiny, get_retriever("bm25"))
    many, nothing = r.search(["the suspension bridge over the river", "qwertyuiop the and"], k=100)
    assert len(many) <= len(tiny) and source_of(tiny, many[0][0]) == "bridge"
    assert [s for _, s in many] == sorted((s for _, s in many), reverse=True)
    assert nothing == []
    assert r.search([], 5) == []


def test_different_options_get_a_different_index(tiny: Corpus) -> None:
    a = open_index(tiny, get_retriever("bm25"))
    b = open_index(tiny, get_retriever("bm25", k1=0.9))
    assert a.index_dir != b.index_dir and b.index_status == "built"


def test_retrieve_and_save_hits(tiny: Corpus, tmp_path: Path) -> None:
    seeds = [
        Example("s1", "The striker scored in the football final.", "sports"),
        Example(
            "s2", "Shares climbed on Tuesday as the central bank held rates; election polls were level.", "business"
        ),
    ]
    hits = retrieve(seeds, tiny, RetrievalConfig(retriever="bm25", k=2))
    assert [(h.seed_id, h.rank) for h in hits] == [("s1", 1), ("s1", 2), ("s2", 1), ("s2", 2)]
    assert source_of(tiny, hits[0].passage_id) == "football" and source_of(tiny, hits[2].passage_id) == "stocks"
    out = save_hits(hits, tmp_path / "out" / "hits.parquet")
    df = pd.read_parquet(out)
    assert list(df.columns) == ["seed_id", "passage_id", "rank", "score"]
    assert df["seed_id"].tolist() == ["s1", "s1", "s2", "s2"] and df["rank"].tolist() == [1, 2, 1, 2]
    assert df["score"].iloc[0] == pytest.approx(hits[0].score)
    assert sorted(p.name for p in out.parent.iterdir()) == ["hits.parquet"]  # no temp files left
    save_hits([], tmp_path / "empty.parquet")
    assert list(pd.read_parquet(tmp_path / "empty.parquet").columns) == ["seed_id", "passage_id", "rank", "score"]


class FlakyRetriever(Retriever):
    """Records builds; can fail mid-build after writing a file."""

    name = "flaky"
    score_kind = "cosine"

    def __init__(self, fail: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.fail = fail
        self.builds = 0

    def fingerprint(self) -> str:
        return "f1"

    def build(self, corpus: Corpus, index_dir: Path, **_: object) -> None:
        self.builds += 1
        (index_dir / "ids.txt").write_text("\n".join(corpus.ids()))
        if self.fail:
            raise RuntimeError("disk full")

    def load(self, index_dir: Path) -> None:
        (index_dir / "ids.txt").read_text()

    def search(self, queries: list[str], k: int) -> list[Ranked]:
        return [[] for _ in queries]


def test_a_failed_build_leaves_nothing_and_a_broken_index_is_rebuilt(tiny: Corpus) -> None:
    with pytest.raises(RuntimeError, match="disk full"):
        open_index(tiny, FlakyRetriever(fail=True))
    assert not [p for p in subdir("indexes").iterdir() if "-flaky-" in p.name]
    ok = open_index(tiny, FlakyRetriever())
    assert ok.index_status == "built" and ok.index_dir is not None
    (ok.index_dir / "ids.txt").unlink()  # corrupt it
    again = FlakyRetriever()
    open_index(tiny, again)
    assert again.index_status == "built" and again.builds == 1 and (ok.index_dir / "ids.txt").is_file()
    shutil.rmtree(ok.index_dir)
