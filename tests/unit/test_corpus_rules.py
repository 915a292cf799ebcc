"""Pure ingestion rules: normalisation, chunking, token range, stable ids, dedup, settings."""

from __future__ import annotations

import pytest

from synthrr.config import CorpusConfig
from synthrr.core.errors import ConfigError
from synthrr.core.text import content_id, count_tokens
from synthrr.corpus import IngestSettings, IngestStats, chunk_text, iter_passages
from synthrr.corpus.base import ids_to_keys, keys_to_ids, passage_key
from synthrr.corpus.ingest import drop_warning

WORDS = " ".join(f"w{i}" for i in range(30))  # 30 tokens


def run(docs: list[str], settings: IngestSettings | None = None) -> tuple[list[tuple[str, str, int, str]], IngestStats]:
    settings = settings or IngestSettings(min_tokens=3, max_tokens=50)
    stats = IngestStats(max_tokens=settings.max_tokens)
    raw = [(i + 1, "", t) for i, t in enumerate(docs)]
    return list(iter_passages(raw, settings, stats)), stats


def test_whitespace_is_normalised_and_empties_dropped() -> None:
    out, stats = run(["  one\n\ntwo\tthree  four ", "   \n ", "", None])  # type: ignore[list-item]
    assert [t for _, t, _, _ in out] == ["one two three four"]
    assert stats.read == 4 and stats.empty == 3 and stats.kept == 1


def test_token_range_is_inclusive_and_counted() -> None:
    s = IngestSettings(min_tokens=3, max_tokens=5)
    out, stats = run(["a b", "a b c", "a b c d e", "a b c d e f"], s)
    assert [n for _, _, n, _ in out] == [3, 5]
    assert (stats.too_short, stats.too_long, stats.kept) == (1, 1, 2)
    assert "1 too short (< 3 tokens)" in stats.drop_summary(s) and "1 too long (> 5 tokens)" in stats.drop_summary(s)


def test_exact_duplicates_after_normalisation_are_dropped() -> None:
    out, stats = run(["the same text here", "the  same\ntext here", "The same text here"])
    assert len(out) == 2 and stats.duplicate == 1


def test_ids_are_content_hashes_and_stable() -> None:
    out1, _ = run(["alpha beta gamma", "delta epsilon zeta"])
    out2, _ = run(["delta epsilon zeta", "alpha beta gamma"])
    assert {pid for pid, *_ in out1} == {pid for pid, *_ in out2}
    assert out1[0][0] == content_id("alpha beta gamma") == "p-" + content_id("alpha beta gamma")[2:]
    assert passage_key(out1[0][0]) == int(out1[0][0][2:], 16)
    keys = ids_to_keys([pid for pid, *_ in out1])
    assert keys_to_ids(keys) == [pid for pid, *_ in out1]


@pytest.mark.parametrize("bad", ["x-0123456789abcdef", "p-123", "p-zzzzzzzzzzzzzzzz"])
def test_malformed_passage_ids_are_key_errors(bad: str) -> None:
    with pytest.raises(KeyError):
        passage_key(bad)


def test_chunk_windows_overlap_and_keep_original_characters() -> None:
    text = "Hello, world! " + WORDS
    chunks = chunk_text(text, 10, 3)
    assert [n for _, n in chunks] == [10, 10, 10, 10, 6]  # 34 tokens, stride 7
    assert chunks[0][0] == "Hello, world! w0 w1 w2 w3 w4 w5"
    assert chunks[1][0].startswith("w3 w4 w5")  # 3 tokens of overlap
    assert chunks[-1][0].endswith("w29")
    assert all(count_tokens(t) == n for t, n in chunks)


def test_chunks_end_at_a_sentence_end_in_their_second_half() -> None:
    text = "One two three four five six seven. Eight nine ten eleven twelve. Thirteen fourteen fifteen"
    chunks = chunk_text(text, 10)  # the first window's sentence end (token 8) is in its second half
    assert [t for t, _ in chunks] == [
        "One two three four five six seven.",
        "Eight nine ten eleven twelve. Thirteen fourteen fifteen",
    ]
    assert [n for _, n in chunks] == [8, 9]
    quoted = chunk_text('A b c d e f "g h." I j k l m n o p', 12)
    assert quoted[0] == ('A b c d e f "g h."', 11)  # the closing quote stays with its sentence
    early = chunk_text("A b. " + WORDS, 10)  # a sentence end in the first half is not used
    assert early[0][1] == 10


def test_chunking_short_and_empty_texts() -> None:
    assert chunk_text("a b c", 10) == [("a b c", 3)]
    assert chunk_text("", 10) == []
    assert chunk_text(WORDS, 10) == [(" ".join(f"w{i}" for i in range(j, j + 10)), 10) for j in (0, 10, 20)]
    with pytest.raises(ValueError):
        chunk_text(WORDS, 5, 5)


def test_chunked_ingestion_filters_the_short_tail() -> None:
    s = IngestSettings(min_tokens=8, max_tokens=12, chunk_tokens=12)
    out, stats = run([WORDS], s)  # windows of 12, 12, 6
    assert [n for _, _, n, _ in out] == [12, 12]
    assert stats.candidates == 3 and stats.too_short == 1


def test_settings_resolution_explicit_beats_builtin_default() -> None:
    assert IngestSettings.resolve(None) == IngestSettings()
    assert IngestSettings.resolve(None, {"min_tokens": 3}).min_tokens == 3
    assert IngestSettings.resolve(CorpusConfig(min_tokens=7), {"min_tokens": 3}).min_tokens == 7
    chunked = IngestSettings.resolve(CorpusConfig(chunk_tokens=500, chunk_overlap=50))
    assert (chunked.max_tokens, chunked.chunk_overlap) == (500, 50)
    with pytest.raises(ConfigError, match="min_tokens"):
        IngestSettings.resolve(CorpusConfig(min_tokens=500))
    assert IngestSettings(min_tokens=1).key() != IngestSettings().key()


def test_token_statistics() -> None:
    stats = IngestStats(max_tokens=10)
    for n in (2, 4, 4, 6, 10):
        stats.keep(n)
    ts = stats.token_stats()
    assert (ts["min"], ts["max"], ts["total"], ts["mean"], ts["p50"], ts["p90"]) == (2, 10, 26, 5.2, 4, 10)


def _meta(**counts: int) -> dict[str, object]:
    base = {"candidates": 100, "too_short": 0, "too_long": 0}
    return {"name": "c", "counts": {**base, **counts}, "settings": {"min_tokens": 20, "max_tokens": 400}}


def test_drop_warning_names_each_lossy_rule_and_its_fix() -> None:
    assert drop_warning(_meta(too_long=9, too_short=9)) is None  # under a tenth: the usual trimming
    long_ = drop_warning(_meta(too_long=68))
    assert long_ is not None and long_.startswith(
        "corpus 'c': 68 of 100 passages (68%) dropped as too long (> 400 tokens)"
    )
    assert "corpus.chunk_tokens" in long_ and "min_tokens" not in long_
    both = drop_warning(_meta(too_long=10, too_short=50))
    assert both is not None and "50 of 100 passages (50%) dropped as too short (< 20 tokens)" in both
    assert "corpus.min_tokens" in both and "too long" in both
    assert drop_warning({"name": "c", "counts": {"candidates": 0}, "settings": {}}) is None
    chunked = _meta(too_short=50)
    chunked["settings"] = {"min_tokens": 20, "max_tokens": 400, "chunk_tokens": 100}
    assert drop_warning(chunked) is None  # the tails of cut documents
