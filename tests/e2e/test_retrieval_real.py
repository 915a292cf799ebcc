"""Real built-in corpora and real retrievers (bm25s, MiniLM + FAISS) on the packaged offline data.

The dense index over ``movie_plots`` (~1.1k passages) is encoded once per test session (the cache
root is session-wide) and reused by every later test that opens it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.config import RetrievalConfig
from synthrr.core.records import Example
from synthrr.core.text import count_tokens
from synthrr.corpus import Corpus, get_corpus
from synthrr.retrieval import get_retriever, open_index, retrieve

pytestmark = pytest.mark.e2e

# IMDb-style reviews that describe a film without naming it; the key is the film's plot id.
REVIEWS = {
    "spiderman": "Tobey Maguire is perfect as the nerdy teenager who gets bitten by a spider and learns that with "
    "great power comes great responsibility. The wall-crawling action is a blast.",
    "signs": "Mel Gibson plays a reverend who has lost his faith, and when a huge crop circle appears on his "
    "Pennsylvania farm the media frenzy begins. Shyamalan builds the suspense slowly.",
    "catch_me_if_you_can": "DiCaprio is charming as the teenage con man who poses as a pilot and a doctor and forges "
    "millions in checks while Tom Hanks' FBI agent chases him around the world.",
    "panic_room": "Jodie Foster and her daughter lock themselves in a secret safe room while burglars search their "
    "new Manhattan house for hidden money. Fincher makes every corridor feel claustrophobic.",
    "ice_age": "The sloth Sid, Manny the mammoth and the sabre-tooth tiger trying to bring a human baby home across "
    "the glaciers made my kids laugh all the way through. Scrat and his acorn steal the show.",
    "star_trek_nemesis": "Picard faces a clone of himself, Shinzon, on Romulus, and the crew finds another android "
    "like Data. A weak ending for the Next Generation crew.",
}


@pytest.fixture(scope="module")
def plots() -> Corpus:
    return get_corpus("movie_plots")


def test_builtin_corpora_ingest_and_list() -> None:
    names = ("wiki", "movie_plots", "headlines", "abc_news", "news")
    sizes = {name: len(get_corpus(name)) for name in names}
    assert 9_900 <= sizes["wiki"] <= 10_033
    assert 1_000 <= sizes["movie_plots"] <= 1_097
    assert 4_000 <= sizes["headlines"] <= 4_080  # short texts: the built-in's own min_tokens=3 applies
    assert 850 <= sizes["abc_news"] <= 900  # 300 articles cut into passages of at most 100 tokens
    assert 27_000 <= sizes["news"] <= 30_000  # 3,469 non-BBC articles cut into passages of at most 100 tokens
    news = get_corpus("abc_news").texts()
    assert max(count_tokens(t) for t in news) <= 100
    assert sum(t.endswith((".", '"')) for t in news) >= 0.95 * len(news)  # cut at sentence ends
    result = CliRunner().invoke(cli, ["corpora", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row["passages"] for row in json.loads(result.output)}
    assert listed == sizes
    wiki = get_corpus("wiki")
    assert wiki.from_cache
    first = next(wiki.iter_passages())
    assert first.text.startswith(f"{first.source}. ")  # "Title. extract"


@pytest.mark.parametrize(("name", "min_top1"), [("bm25", 5), ("dense", 4)])
def test_reviews_retrieve_the_plot_of_their_film(plots: Corpus, name: str, min_top1: int) -> None:
    seeds = [Example(film, text, "pos") for film, text in REVIEWS.items()]
    hits = retrieve(seeds, plots, RetrievalConfig(retriever=name, k=5))
    ranks = {}
    for film in REVIEWS:
        films = [plots.get([h.passage_id])[0].source for h in hits if h.seed_id == film]
        assert len(films) == 5
        assert film in films, f"{name}: {film} not in the top 5: {films}"
        ranks[film] = films.index(film) + 1
    top1 = sum(r == 1 for r in ranks.values())
    mrr = sum(1 / r for r in ranks.values()) / len(ranks)
    assert top1 >= min_top1 and mrr >= 0.7, ranks

    reopened = open_index(plots, get_retriever(name))
    assert reopened.index_status == "loaded"
    again = reopened.search([REVIEWS["panic_room"]], 5)[0]
    first = [(h.passage_id, h.score) for h in hits if h.seed_id == "panic_room"]
    assert [p for p, _ in again] == [p for p, _ in first]
    assert [s for _, s in again] == pytest.approx([s for _, s in first], abs=1e-5)


def test_encoder_matches_bare_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    from synthrr.encoders import sentence as embed

    monkeypatch.setattr(embed, "_SLICE_BATCHES", 1)  # 96 texts in 3 encode calls of one batch each
    texts = get_corpus("headlines").texts()[:96]
    enc = embed.get_encoder()
    ours = enc.encode(texts, batch_size=32)
    bare = enc.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.dtype == np.float32 and ours.shape == (96, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.abs(ours - bare).max() < 1e-5
