from __future__ import annotations

import pytest

from synthrr.core.records import SyntheticExample
from synthrr.synth.filters import ContaminationFilter, CopyFilter, DedupFilter, LengthFilter, ngram_set, overlap
from synthrr.synth.parsing import parse_completion


@pytest.mark.parametrize(
    ("raw", "finish", "texts", "reason"),
    [
        ("A fine film.", "stop", ("A fine film.",), None),
        ('"A fine film."', "stop", ("A fine film.",), None),
        ("Review: A fine film.", "stop", ("A fine film.",), None),
        ("review: A fine film.\nReview: Another one.", "stop", ("A fine film.", "Another one."), None),
        ("Here is a positive review of the movie:\n\nA fine film.", "stop", ("A fine film.",), None),
        ("Sure! Here's the review: “A fine film.”", "stop", ("A fine film.",), None),
        ("Sure, A fine film.", "stop", ("A fine film.",), None),
        ("I'm sorry, but I can't write that.", "stop", (), "refusal"),
        ("Here is my answer: I cannot help with that.", "stop", (), "refusal"),
        ("As an AI, I don't watch films.", "stop", (), "refusal"),
        ("   ", "stop", (), "empty"),
        ("Review:  ", "stop", (), "empty"),
        ("A fine film that goes on and", "length", ("A fine film that goes on",), None),
        ("Verylongword", "length", (), "truncated"),
        ("A fine film. It goes on and", "length", ("A fine film.",), None),
        ('Review: "A fine film!" It goes on and', "length", ("A fine film!",), None),
        ("whatever", "error", (), "llm_error"),
    ],
)
def test_parse_completion(raw: str, finish: str, texts: tuple[str, ...], reason: str | None) -> None:
    got = parse_completion(raw, "Review:", finish)
    assert got.texts == texts and got.reason == reason


def test_truncated_policy() -> None:
    assert parse_completion("A fine film that", "Review:", "length", truncated="keep").texts == ("A fine film that",)
    assert parse_completion("A fine film. And", "Review:", "length", truncated="drop").reason == "truncated"
    assert parse_completion("A fine film. And", "Review:", "length", truncated="trim").texts == ("A fine film.",)


def test_an_echoed_context_header_ends_the_answer() -> None:
    raw = "A fine film, warm and funny. Movie details: A man walks into a bar and"
    got = parse_completion(raw, "Review:", "length", stop_at=("Movie details:",))
    assert got.texts == ("A fine film, warm and funny.",)
    # cut like a stop sequence: the part before the marker is not trimmed as truncated
    assert parse_completion(
        "Warm and funny movie details: x", "Review:", "length", stop_at=("Movie details:",)
    ).texts == ("Warm and funny",)
    assert parse_completion(raw, "Review:", "stop").texts == (raw,)  # no marker given: unchanged


def _row(text: str, passage_id: str | None = None, i: int = 0) -> SyntheticExample:
    return SyntheticExample(
        id=str(i), text=text, label="a", method="m", job_id="j", prompt_hash="h", model="x", passage_id=passage_id
    )


def test_ngram_overlap() -> None:
    ref = ngram_set("the quick brown fox jumps over the lazy dog", 3)
    assert overlap("The quick brown fox jumps", ref, 3) == 1.0
    assert overlap("a completely new sentence here", ref, 3) == 0.0
    assert overlap("", ref, 3) == 0.0
    assert ngram_set("two words", 3) == {("two", "words")}


def test_length_filter() -> None:
    f = LengthFilter(3, 6)
    assert f.apply([_row("one two"), _row("one two three"), _row("a b c d e f g")]) == [
        "too_short",
        None,
        "too_long",
    ]


def test_copy_filter_passage_and_seed() -> None:
    passage = "Vijay is a strict bank manager who is sacked and plans to rob the bank with three blind men."
    f = CopyFilter({"p1": passage}, ["I loved this film so much, it was the best thing I saw all year."], 4, 0.5)
    assert f.keep(_row("Vijay is a strict bank manager who is sacked and plans to rob the bank.", "p1")) == (
        "copies_passage"
    )
    assert f.keep(_row("I loved this film so much, it was the best thing I saw.", "p1")) == "copies_seed"
    assert f.keep(_row("A tense heist where a fired manager recruits unlikely helpers.", "p1")) is None


def test_contamination_filter() -> None:
    f = ContaminationFilter(["This is a test review that must not leak into training data at all."], 5, 0.5)
    assert f.keep(_row("this is a test review that must not leak into training data at all.")) == ("test_contamination")
    assert f.keep(_row("An unrelated text about something else entirely, nothing shared.")) is None


def test_dedup_exact_and_near_across_batches() -> None:
    f = DedupFilter("near", 0.7)
    base = "the film follows a young woman who moves to paris and falls in love with a painter"
    assert f.apply([_row(base), _row(base.upper())]) == [None, "exact_duplicate"]
    # a second batch is compared with what the first kept
    assert f.apply([_row(base + " again"), _row("stocks fell sharply on tuesday as investors fled")]) == [
        "near_duplicate",
        None,
    ]
    exact_only = DedupFilter("exact")
    assert exact_only.apply([_row(base), _row(base + " again")]) == [None, None]


def test_dedup_is_deterministic() -> None:
    texts = [f"review number {i} says the plot is thin but the acting is good {i % 7}" for i in range(60)]
    a = DedupFilter("near", 0.7).apply([_row(t) for t in texts])
    b = DedupFilter("near", 0.7).apply([_row(t) for t in texts])
    assert a == b


def test_run_filters_counts_its_own_drops_and_marks_verdicts() -> None:
    from synthrr.synth.filters import LengthFilter, run_filters

    rows = [_row(t) for t in ("ok text here today", "short", "another fine text here", "tiny")]
    survivors, drops = run_filters([LengthFilter(3, None)], rows)
    assert [r.text for r in survivors] == ["ok text here today", "another fine text here"]
    assert drops == {"too_short": 2}
    assert [r.verdict for r in rows] == ["kept", "too_short", "kept", "too_short"]
    assert run_filters([], rows[:1]) == (rows[:1], {})
