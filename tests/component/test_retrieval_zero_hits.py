"""Seeds that retrieval finds nothing for: an error for a label with none (SynthesizRR), a warning
for some seeds, never a traceback; BM25 stemming so that ``payment`` finds ``payments``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.config import CorpusConfig, RunConfig
from synthrr.core.errors import ConfigError
from synthrr.core.records import Example, Hit
from synthrr.corpus import get_corpus
from synthrr.retrieval import get_retriever, open_index
from synthrr.stages.retrieve import NoHitsError, check_hits

TINY = Path(__file__).parents[1] / "data" / "corpora" / "tiny.jsonl"
TASK = """\
name: lava_or_bills
labels:
  - {name: nature, verbalization: volcanoes and lava}
  - {name: billing, verbalization: invoices and refunds}
data: {splits: {train: train.csv}}
"""
#: billing seeds share no word with the tiny corpus (stop words aside)
ALL_MISS = "text,label\nlava erupted from the volcano,nature\nvolcano ash over the island,nature\n" + (
    "refund my invoice,billing\nwhy was I overcharged,billing\n"
)
#: one billing seed shares a word ("chocolate") with the corpus
SOME_MISS = ALL_MISS.replace("why was I overcharged", "overcharged for chocolate")


def task_file(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "train.csv").write_text(rows, encoding="utf-8")
    path = tmp_path / "task.yaml"
    path.write_text(TASK, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    out = result.output  # stdout and stderr as a terminal shows them
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, out


def retrieve_args(task: Path, out: Path, *extra: str) -> list[str]:
    return [
        "retrieve",
        "--task",
        str(task),
        "--corpus",
        str(TINY),
        "--set",
        "corpus.id_field=id",
        "--retriever",
        "bm25",
        "--set",
        "retrieval.options.stemmer=none",
        "--set",
        "retrieval.options.k1=1.3",  # an index of its own: other tests expect to build the default one
        "-k",
        "5",
        "--set",
        "seeds.per_label=2",
        "--no-progress",
        "--out",
        str(out),
        *extra,
    ]


def test_a_label_without_hits_is_one_line_exit_2(tmp_path: Path) -> None:
    code, out = run(*retrieve_args(task_file(tmp_path, ALL_MISS), tmp_path / "r"))
    assert code == 2, out
    error = [line for line in out.splitlines() if line.startswith("error: ")]
    assert len(error) == 1, out
    line = error[0]
    assert "no passage for any of the 2 seeds of label 'billing'" in line
    assert "--retriever dense" in line and "retrieval.options.stemmer=english" in line
    assert "corpus.text_column" in line and "'nature'" not in line
    assert not (tmp_path / "r" / "hits.parquet").exists()


def test_generate_stops_before_any_llm_call(tmp_path: Path) -> None:
    task = task_file(tmp_path, ALL_MISS)
    args = retrieve_args(task, tmp_path / "runs")
    args[0] = "generate"
    args.remove("--no-progress")
    code, out = run(*args, "--llm", "fake", "--method", "synthesizrr", "--n", "4")
    assert code == 2 and "label 'billing'" in out and "method 'synthesizrr'" in out, out
    assert "candidate_pool_exhausted" not in out and "LLM:" not in out


def test_some_seeds_without_hits_are_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="synthrr.stages.retrieve"):
        code, out = run(*retrieve_args(task_file(tmp_path, SOME_MISS), tmp_path / "r"))
    assert code == 0, out
    warnings = [r.getMessage() for r in caplog.records if r.name == "synthrr.stages.retrieve"]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "no passage for 1 of 4 seeds" in warnings[0] and "billing: 1 of 2" in warnings[0]
    assert "'refund my invoice'" in warnings[0]
    assert (tmp_path / "r" / "hits.parquet").is_file()


def test_reused_hits_are_checked_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from synthrr.run.rundir import read_retrieval_dir
    from synthrr.stages.retrieve import reuse_hits

    code, out = run(*retrieve_args(task_file(tmp_path, SOME_MISS), tmp_path / "r"))
    assert code == 0, out
    cfg, seeds, _ = read_retrieval_dir(tmp_path / "r")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synthrr.stages.retrieve"):
        hits = reuse_hits(cfg, tmp_path / "r", seeds)
    assert len({h.seed_id for h in hits}) == 3
    assert ["no passage for 1 of 4 seeds" in r.getMessage() for r in caplog.records] == [True]


def test_retrieve_without_any_hit_for_a_method_that_needs_none(tmp_path: Path) -> None:
    rows = "text,label\nzzz qqq,nature\nxxyy,nature\nrefund invoice,billing\noverbilled,billing\n"
    code, out = run(
        *retrieve_args(task_file(tmp_path, rows), tmp_path / "r", "--set", "synthesis.method=fewgen", "--show", "2")
    )
    assert code == 0, out
    assert "0 hits for 4 seeds" in out and "wrote" in out and "seeds.parquet" in out


def test_check_hits_names_every_empty_label_and_only_warns_for_others() -> None:
    seeds = [Example(f"s{i}", f"text {i}", lab) for i, lab in enumerate(["a", "a", "b", "b", "c"])]
    hits = [Hit(seed_id="s0", passage_id="p", rank=1, score=1.0)]
    bm25 = get_retriever("bm25", stemmer="english")
    cfg = RunConfig().with_overrides({"retrieval.retriever": "bm25"})
    with pytest.raises(NoHitsError, match=r"label 'b' \(nor for label\(s\) 'c'\)") as err:
        check_hits(cfg, seeds, hits, bm25)
    assert err.value.exit_code == 2 and "stemmer=english" not in str(err.value)  # already stemming
    check_hits(cfg.with_overrides({"synthesis.method": "fewgen"}), seeds, hits, bm25)  # a warning only
    check_hits(cfg, seeds[:1], hits, bm25)  # every seed has a hit: nothing to say


# ---- stemming and stop words ------------------------------------------------------------------


def test_stemming_matches_word_forms_and_keys_the_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        '{"text": "Customers asked how their monthly payments are collected and when the receipts arrive by mail."}\n'
        '{"text": "The river flooded the valley after three days of heavy rain, and the village was evacuated."}\n',
        encoding="utf-8",
    )
    corpus = get_corpus(str(docs), CorpusConfig(min_tokens=5))
    plain = open_index(corpus, get_retriever("bm25", stemmer=None))
    stemmed = open_index(corpus, get_retriever("bm25", stemmer="english"))
    assert plain.index_dir != stemmed.index_dir and stemmed.index_status == "built"
    assert plain.search(["payment"], 2) == [[]]
    (hit,) = stemmed.search(["payment"], 2)
    assert len(hit) == 1 and "payments" in corpus.get([hit[0][0]])[0].text
    reloaded = open_index(corpus, get_retriever("bm25", stemmer="english"))
    assert reloaded.index_status == "loaded" and reloaded.search(["flooding"], 2) == stemmed.search(["flooding"], 2)
    assert reloaded.search(["flooding"], 2)[0]


def test_stop_word_lists_decide_which_words_are_searched(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        '{"text": "This is what they were doing when it was over and all of them had gone home for the night."}\n',
        encoding="utf-8",
    )
    corpus = get_corpus(str(docs), CorpusConfig(min_tokens=5))

    def found(stopwords: str, query: str) -> int:
        (ranked,) = open_index(corpus, get_retriever("bm25", stopwords=stopwords)).search([query], 1)
        return len(ranked)

    assert found("en", "they are") == 0 and found("none", "they are") == 1
    assert found("en", "were") == 1 and found("en_plus", "were") == 0  # Lucene's 33 words vs bm25s's 179
    with pytest.raises(ConfigError, match=r"retrieval\.options\.stopwords.*unknown stopword list 'klingon'"):
        get_retriever("bm25", stopwords="klingon")


@pytest.mark.parametrize("value", ["none", "None", "null", "", False])
def test_none_words_mean_no_stemmer(value: object) -> None:
    assert get_retriever("bm25", stemmer=value, stopwords=value).options.stemmer is None  # type: ignore[attr-defined]


def test_unknown_stemmer_names_the_option_and_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.options\.stemmer.*unknown stemmer 'klingon'.*english"):
        get_retriever("bm25", stemmer="klingon")
