"""Ingesting real files into cached shards: formats, reuse, lookup, sharding and atomicity."""

from __future__ import annotations

import bz2
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.config import CorpusConfig
from synthrr.core.errors import InputError, UsageError
from synthrr.core.paths import subdir
from synthrr.corpus import get_corpus
from synthrr.corpus import ingest as ingest_mod

TINY = Path(__file__).parents[1] / "data" / "corpora" / "tiny.jsonl"


def tiny_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in TINY.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache root, so counts of cache folders are exact."""
    h = tmp_path / "home"
    monkeypatch.setenv("SYNTHRR_HOME", str(h))
    return h


def write_format(fmt: str, folder: Path) -> Path:
    rows = tiny_rows()
    df = pd.DataFrame(rows)
    if fmt == "jsonl":
        return Path(shutil.copy(TINY, folder / "tiny.jsonl"))
    if fmt == "csv":
        df.to_csv(folder / "tiny.csv", index=False)
        return folder / "tiny.csv"
    if fmt == "tsv.bz2":
        with bz2.open(folder / "tiny.tsv.bz2", "wt", encoding="utf-8") as fh:
            df.to_csv(fh, sep="\t", index=False)
        return folder / "tiny.tsv.bz2"
    if fmt == "parquet":
        df.to_parquet(folder / "tiny.parquet", index=False)
        return folder / "tiny.parquet"
    docs = folder / "docs"
    for i, row in enumerate(rows):
        sub = docs / ("b" if i % 2 else "a")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:02d}-{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    return docs


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv.bz2", "parquet", "txt-folder"])
def test_every_format_gives_the_same_passages(fmt: str, tmp_path: Path, home: Path) -> None:
    path = write_format(fmt, tmp_path)
    c = get_corpus(str(path), CorpusConfig(id_field=None if fmt == "txt-folder" else "id"))
    assert c.counts == {
        "read": 15, "empty": 1, "candidates": 14, "too_short": 1, "too_long": 0, "duplicate": 1, "kept": 12
    }  # fmt: skip
    assert len(c) == 12 and not c.from_cache
    texts = c.texts()
    if fmt == "txt-folder":  # recursive, sorted: a/ (even rows) before b/ (odd rows)
        assert [p.source for p in c.iter_passages()][:2] == ["a/00-volcano.txt", "a/02-stocks.txt"]
        assert sorted(texts) == sorted(r["text"] for r in tiny_rows()[:12])
    else:
        assert texts == [r["text"] for r in tiny_rows()[:12]]
        assert next(c.iter_passages()).source == "volcano"


def test_fingerprint_depends_only_on_the_passages(tmp_path: Path, home: Path) -> None:
    a = get_corpus(str(write_format("jsonl", tmp_path)))
    b = get_corpus(str(write_format("parquet", tmp_path)))
    assert a.path != b.path and a.fingerprint == b.fingerprint


def test_second_call_reuses_the_cache_and_a_changed_file_is_reingested(tmp_path: Path, home: Path) -> None:
    path = write_format("jsonl", tmp_path)
    first = get_corpus(str(path))
    again = get_corpus(str(path))
    assert again.from_cache and again.path == first.path
    assert not get_corpus(str(path), CorpusConfig(min_tokens=5)).from_cache  # other settings
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "A brand new document about glaciers slowly carving deep valleys " * 2}) + "\n")
    os.utime(path, ns=(1, 1))
    changed = get_corpus(str(path))
    assert not changed.from_cache and len(changed) == 13 and changed.fingerprint != first.fingerprint
    assert len([p for p in subdir("corpora").iterdir()]) == 3


def test_get_by_id_across_shards_and_row_groups(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_mod, "SHARD_ROWS", 5)
    monkeypatch.setattr(ingest_mod, "ROW_GROUP_ROWS", 2)
    c = get_corpus(str(write_format("jsonl", tmp_path)))
    assert [s["rows"] for s in c.meta["shards"]] == [5, 5, 2]
    passages = list(c.iter_passages())
    assert [len(b) for b in c.iter_batches(5)] == [5, 5, 2]
    wanted = [passages[11].id, passages[0].id, passages[6].id, passages[0].id]
    assert c.get(wanted) == [passages[11], passages[0], passages[6], passages[0]]
    assert c.get([]) == []
    assert passages[3].id in c and "p-0000000000000000" not in c
    with pytest.raises(KeyError, match="p-0000000000000000"):
        c.get([passages[1].id, "p-0000000000000000"])


def test_a_failure_mid_ingest_leaves_no_cache_folder(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_mod, "SHARD_ROWS", 3)  # shards are already written when the error comes
    path = write_format("jsonl", tmp_path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"text": "broken\n')
    with pytest.raises(InputError, match=r"tiny\.jsonl:16: malformed JSON"):
        get_corpus(str(path))
    assert list(subdir("corpora").iterdir()) == []


def test_chunking_through_the_config(tmp_path: Path, home: Path) -> None:
    c = get_corpus(str(TINY), CorpusConfig(chunk_tokens=12, chunk_overlap=2, min_tokens=5))
    assert c.meta["settings"]["chunk_tokens"] == 12
    assert c.meta["tokens"]["max"] == 12 and len(c) > 12
    assert all(p.source for p in c.iter_passages())


def test_a_corpus_mostly_lost_to_the_token_range_warns_each_time_it_is_used(
    tmp_path: Path, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Whole articles (> 400 tokens) are dropped by the paper's range: the user hears it, with the fix."""
    article = " ".join(f"Sentence {i} of a long article about the budget." for i in range(60))
    rows = [{"text": f"{article} Article {k}."} for k in range(3)] + tiny_rows()[:7]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for _ in range(2):  # ingested, then reused from the cache
        caplog.clear()
        with caplog.at_level("WARNING", logger="synthrr.corpus.catalog"):
            c = get_corpus(str(path))
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and c.meta["counts"]["too_long"] == 3
        assert "3 of 10 passages (30%) dropped as too long (> 400 tokens)" in warnings[0]
        assert "--set corpus.chunk_tokens=200" in warnings[0] and "'articles'" in warnings[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="synthrr.corpus.catalog"):
        chunked = get_corpus(str(path), CorpusConfig(chunk_tokens=200))
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert chunked.meta["counts"]["too_long"] == 0 and len(chunked) > len(c)


def test_cli_shows_one_corpus_with_drop_counts(home: Path) -> None:
    args = ["corpora", "--corpus", str(TINY), "--id-field", "id", "--no-progress"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "ingested now" in first.output
    lines = {line[:18].strip(): line[18:].strip() for line in first.output.splitlines()}
    assert lines["documents read"] == "15" and lines["dropped empty"] == "1" and lines["kept"] == "12"
    assert lines["dropped too short"] == "1" and lines["dropped duplicate"] == "1"
    again = CliRunner().invoke(cli, [*args, "--json"])
    meta = json.loads(again.output)
    assert meta["from_cache"] and meta["counts"]["kept"] == 12 and meta["settings"]["id_field"] == "id"


def test_lines_source_reads_one_document_per_line(tmp_path: Path) -> None:
    from synthrr.corpus.builtin import LinesSource

    f = tmp_path / "news.cor"
    f.write_text("First story. It has two sentences.\n\n  \nSecond story.\n", encoding="utf-8")
    assert [(n, i, t.strip()) for n, i, t in LinesSource(f, "news").iter_docs()] == [
        (1, "line 1", "First story. It has two sentences."),
        (4, "line 4", "Second story."),
    ]
    f.write_bytes(b"ok\n\xff\xfe bad\n")
    with pytest.raises(InputError, match="not UTF-8"):
        list(LinesSource(f, "news").iter_docs())


def test_corpora_joined_by_plus_are_one_corpus_of_their_parts_passages(tmp_path: Path, home: Path) -> None:
    news = tmp_path / "news.jsonl"
    long_story = " ".join(f"Sentence number {i} of the long story ends here." for i in range(12))  # ~108 tokens
    rows = [{"text": long_story}, tiny_rows()[0]]  # the second repeats a passage of the other part
    news.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cfg = CorpusConfig(chunk_tokens=40)  # explicit settings apply to every part
    joined = get_corpus(f"{news}+{TINY}", cfg)
    tiny = get_corpus(str(TINY), cfg)
    parts = [p.text for p in get_corpus(str(news), cfg).iter_passages()]
    texts = [p.text for p in joined.iter_passages()]
    assert len(parts) == 4 and texts[:4] == parts  # the long story cut into 3 chunks, then the repeat
    assert texts[4:] == [p.text for p in tiny.iter_passages()][1:]  # the repeated passage is kept once
    assert next(joined.iter_passages()).source == "news:line 1"
    with pytest.raises(UsageError, match="an empty name"):
        get_corpus(f"{TINY}+")
    with pytest.raises(UsageError, match="unknown corpus 'wikii'"):
        get_corpus("abc_news+wikii")
