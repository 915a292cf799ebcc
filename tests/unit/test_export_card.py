"""The dataset card's parts: display names without local folders, prose instead of JSON,
demonstration counts read from the rows, and the --columns check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthrr.core.errors import UsageError
from synthrr.core.paths import display_name
from synthrr.run.export import dataset_card, demonstrations, select_columns


@pytest.mark.parametrize("name", ["imdb", "movie_plots", "abc_news+wiki", "hub:someone/tickets:train"])
def test_registered_names_are_shown_as_they_are(name: str) -> None:
    assert display_name(name) == name


def test_a_path_is_its_file_name_and_a_content_fingerprint(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "docs.csv").write_text("text\nhello\n", encoding="utf-8")
    shown = display_name(tmp_path / "a" / "docs.csv")
    assert shown is not None and shown.startswith("docs.csv (fingerprint ") and str(tmp_path) not in shown
    assert display_name(str(tmp_path / "b" / "docs.csv")) == shown  # same bytes, same name, anywhere
    (tmp_path / "b" / "docs.csv").write_text("text\nother\n", encoding="utf-8")
    assert display_name(tmp_path / "b" / "docs.csv") != shown
    assert display_name(str(tmp_path / "gone" / "old.jsonl")) == "old.jsonl"
    joined = display_name(f"wiki+{tmp_path / 'a' / 'docs.csv'}")
    assert joined == f"wiki+{shown}"
    assert display_name(None) is None


def _frame(demo_counts: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [f"text {i}" for i in range(len(demo_counts))],
            "label": ["a" if i % 2 else "b" for i in range(len(demo_counts))],
            "demo_ids": [[f"d{j}" for j in range(n)] for n in demo_counts],
        }
    )


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([2, 2, 2], "2 in-context demonstrations"),
        ([1], "1 in-context demonstration"),
        ([2, 3, 2], "2–3 in-context demonstrations (median 2)"),
        ([0, 0], "no in-context demonstrations"),
    ],
)
def test_demonstrations_are_counted_from_the_rows(counts: list[int], expected: str) -> None:
    assert demonstrations(_frame(counts)) == expected


def test_demonstrations_without_the_column_say_nothing() -> None:
    assert demonstrations(pd.DataFrame({"text": ["x"]})) == ""


MANIFEST = {
    "task": "tickets",
    "method": "synthesizrr",
    "fingerprint": "abc123",
    "model": {"backend": "fake", "identity": "fake:fake", "label": "fake:fake"},
    "counts": {"prompts": 4},
    "drops": {},
    "versions": {"synthrr": "0.1.0"},
    "config": {
        "task": "/home/someone/work/tickets.yaml",
        "corpus": {"name": "/home/someone/work/corpora/docs.csv"},
        "llm": {"sampling": {"temperature": 0.9, "stop": []}},
        "synthesis": {"shots": 3, "filters": {"dedup": "near", "contamination": True}},
    },
}


def test_the_card_is_prose_from_the_rows_with_no_local_folder() -> None:
    card = dataset_card(MANIFEST, ["a", "b"], _frame([2, 2, 1, 2]), {})
    assert "/home/someone" not in card and "{" not in card and "}" not in card
    assert "`docs.csv`" in card and "`tickets.yaml`" in card  # the files no longer exist: name only
    assert "4 labelled texts" in card and "1–2 in-context demonstrations (median 2)" in card
    assert "3 in-context" not in card  # the config's shots, not what the rows had
    assert "Dropped by the filters: none." in card and "contamination yes" in card and "stop none" in card
    assert "| a | 2 |" in card and "| b | 2 |" in card


def test_drops_are_a_table_and_metrics_are_words() -> None:
    manifest = {**MANIFEST, "drops": {"exact_duplicate": 3, "label_disagrees": 5, "too_short": 0}}
    metrics = {"metrics": {"distinct": {"distinct_1": 0.25, "tokenizer": "words"}}, "students": {}}
    card = dataset_card(manifest, ["a", "b"], _frame([2, 2]), metrics)
    assert "8 candidates" in card and "| label disagrees | 5 |" in card and "| exact duplicate | 3 |" in card
    assert "too short" not in card
    assert "- distinct: distinct_1 0.25" in card and "{" not in card


def test_columns_are_checked_against_the_rows() -> None:
    frame = _frame([1, 1])
    assert select_columns(frame, None) is None
    assert select_columns(frame, ["label", " text", "label"]) == ["label", "text"]
    with pytest.raises(UsageError, match=r"unknown column 'lable' to export \(did you mean 'label'\?\); known"):
        select_columns(frame, ["text", "lable"])
    with pytest.raises(UsageError, match="no column to export"):
        select_columns(frame, [""])
