"""The Python API (synthrr.generate / evaluate / compare / load, make_task / make_corpus) with the
fake LLM: in-memory tasks and corpora from lists, DataFrames and datasets.Dataset, typed results
with to_pandas() and to_hf(), and the CLI's errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import synthrr
from synthrr.core.errors import ConfigError, UsageError

TICKETS = {
    "billing": [
        "I was charged twice for my subscription this month.",
        "Where can I download the invoice for my last order?",
        "Please refund the payment I made by mistake yesterday.",
        "My card was declined but the money left my account.",
    ],
    "technical": [
        "The app crashes whenever I open the settings page.",
        "Uploading a photo fails with an unknown error message.",
        "The search button does nothing on my tablet.",
        "Notifications stopped arriving after the last update.",
    ],
}
ROWS = [{"message": t, "team": lab} for lab, texts in TICKETS.items() for t in texts]
FAKE = {"llm": "fake", "per_label": 3, "n": 4, "overrides": {"synthesis.filters.label_consistency": "none"}}


def test_generate_from_rows_in_memory_to_pandas_and_hf(tmp_path: Path) -> None:
    task = synthrr.make_task(
        {"train": ROWS, "test": ROWS}, name="tickets", text_column="message", label_column="team",
        labels={"billing": "a payment problem", "technical": "a bug in the app"},
    )  # fmt: skip
    assert task == synthrr.make_task(
        {"train": ROWS, "test": ROWS}, name="tickets", text_column="message", label_column="team",
        labels={"billing": "a payment problem", "technical": "a bug in the app"},
    )  # fmt: skip  # the same data: the same task file
    run = synthrr.generate(task=task, method="fewgen", out=tmp_path, progress=False, **FAKE)
    assert isinstance(run, synthrr.SynthesisResult) and run.complete and run.manifest.kept == 4
    df = run.to_pandas()
    assert len(df) == 4 and {"text", "label", "prompt_hash", "demo_ids", "verdict"} <= set(df.columns)
    assert len(run.to_pandas(candidates=True)) >= 4
    ds = run.to_hf()
    assert ds.features["label"].names == ["billing", "technical"] and len(ds) == 4
    assert sorted(ds.features["label"].int2str(ds["label"])) == sorted(df["label"])
    again = synthrr.load(run.run_dir)
    assert again.run_dir == run.run_dir and again.manifest.per_label["billing"].kept == 2

    scores = synthrr.evaluate(run, students=["tfidf"], metrics=["distinct"], overrides={"eval.seeds": 1})
    assert scores["n"] == 4 and "tfidf" in scores["students"] and "distinct" in scores["metrics"]
    row = scores.to_pandas()
    assert len(row) == 1 and row.at[0, "students.tfidf.accuracy_mean"] == scores["students"]["tfidf"]["accuracy_mean"]
    table = synthrr.compare([run], student="tfidf", metrics=["distinct"], overrides={"eval.seeds": 1})
    frame = table.to_pandas()
    assert list(frame["method"]) == ["gold", "fewgen"] and "| run |" in table.markdown


def test_tasks_from_a_dataframe_and_a_dataset_with_class_labels() -> None:
    datasets = pytest.importorskip("datasets")
    from synthrr.tasks import get_task

    frame = pd.DataFrame(ROWS).rename(columns={"message": "text", "team": "label"})
    from_frame = synthrr.make_task(frame, name="tickets")
    names = ["billing", "technical"]
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=names)})
    ds = datasets.Dataset.from_dict(
        {"text": frame["text"].tolist(), "label": [names.index(x) for x in frame["label"]]}, features=features
    )
    from_ds = synthrr.make_task(ds, name="tickets")
    assert from_ds == from_frame  # the same rows: class ids became their names
    task = get_task(str(from_ds))
    assert task.spec.label_names == names and len(task.load_split("train")) == 8


def test_a_corpus_from_texts_feeds_synthesizrr(tmp_path: Path) -> None:
    topics = ["a double payment", "a refund", "an invoice", "a crash", "a frozen screen", "a failed upload"]
    places = ["on the phone app", "in the web shop", "on a tablet", "after an update"]
    corpus = synthrr.make_corpus(
        [f"Help article: what to do about {t} {p}. Our support team explains every step for {t} {p} in detail."
         for t in topics for p in places]
    )  # fmt: skip
    task = synthrr.make_task({"train": ROWS, "test": ROWS}, text_column="message", label_column="team")
    run = synthrr.generate(
        task=task, corpus=corpus, method="synthesizrr", retriever="bm25", k=5, out=tmp_path, progress=False, **FAKE
    )
    df = run.to_pandas()
    assert len(df) == 4 and df["passage_id"].notna().all()
    # provenance: every candidate joins its seed, passage, demonstrations and exact prompt
    prov = run.provenance()
    assert len(prov) == run.manifest.counts["parsed"]
    assert prov[["seed_text", "passage_text", "prompt"]].notna().all().all()
    assert all(len(t) == len(i) and None not in t for t, i in zip(prov["demo_texts"], prov["demo_ids"], strict=True))
    first = prov.iloc[0]
    assert first["passage_text"] in first["prompt"] and all(t in first["prompt"] for t in first["demo_texts"])
    assert run.manifest.files["prompts.parquet"]["rows"] >= 1 and "passages.parquet" in run.manifest.files

    from click.testing import CliRunner

    from synthrr.cli import cli

    shown = CliRunner().invoke(cli, ["show", str(run.run_dir), "--n", "2", "--label", "billing"])
    assert shown.exit_code == 0 and shown.output.count("[kept] billing") == 2, shown.output
    assert "  passage " in shown.output and "[user] Document:" in shown.output
    bad = CliRunner().invoke(cli, ["show", str(run.run_dir), "--verdict", "nope"])
    assert bad.exit_code == 2 and "verdicts: kept" in bad.output


def test_errors_are_the_cli_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"synthesis\.n"):
        synthrr.generate(n=-1, llm="fake", out=tmp_path)
    with pytest.raises(ConfigError, match="task"):
        synthrr.RunConfig(task=3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="colour"):
        synthrr.build_config(colour="red")
    with pytest.raises(ConfigError, match="row 1 has no text"):
        synthrr.make_task([{"text": "fine", "label": "a"}, {"label": "b"}])
    with pytest.raises(ConfigError, match="unknown split"):
        synthrr.make_task({"train": ROWS, "dev": ROWS}, text_column="message", label_column="team")
