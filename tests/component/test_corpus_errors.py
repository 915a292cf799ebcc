"""Bad corpus input: one clear error naming the file (and line), exit code 2 through the CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.errors import InputError, UsageError
from synthrr.corpus import get_corpus

GOOD = "a perfectly ordinary sentence with more than enough words to pass the default twenty token minimum"


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


def _parquet_without_text(d: Path) -> Path:
    pd.DataFrame({"body": [GOOD]}).to_parquet(d / "x.parquet")
    return d / "x.parquet"


def _bad_txt_folder(d: Path) -> Path:
    (d / "docs" / "sub").mkdir(parents=True)
    (d / "docs" / "ok.txt").write_text(GOOD)
    (d / "docs" / "sub" / "bad.txt").write_bytes(b"line one\nline two \xff\xfe\n")
    return d / "docs"


def _empty_folder(d: Path) -> Path:
    (d / "empty").mkdir()
    return d / "empty"


L = GOOD.encode()
CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing file": (lambda d: d / "nope.jsonl", r"nope\.jsonl: corpus file or folder not found"),
    "missing folder": (lambda d: d / "nodir" / "", r"nodir: corpus file or folder not found"),
    "malformed jsonl": (
        _write("c.jsonl", b'{"text": "%s"}\n\n{"text": oops}\n' % L),
        r"c\.jsonl:3: malformed JSON",
    ),
    "jsonl not an object": (_write("c.jsonl", b"[1, 2]\n"), r"c\.jsonl:1: expected a JSON object"),
    "jsonl non-utf8": (_write("c.jsonl", b'{"text": "%s"}\n{"text": "caf\xe9"}\n' % L), r"c\.jsonl:2: not valid UTF-8"),
    "jsonl missing text field": (
        _write("c.jsonl", b'{"text": "%s"}\n{"body": "x"}\n' % L),
        r"c\.jsonl:2: no key 'text'; keys found: 'body'; .*--text-column body .*corpus\.text_column=body",
    ),
    "jsonl text not a string": (_write("c.jsonl", b'{"text": 42}\n'), r"c\.jsonl:1: field 'text' is int"),
    "csv missing text column": (
        _write("c.csv", b"id,body\n1,%s\n" % L),
        r"c\.csv:1: no column 'text'; columns found: 'id', 'body'; name the text column: --text-column body ",
    ),
    "csv wrong field count": (_write("c.csv", b"id,text\n1,%s\n2,a,b\n" % L), r"c\.csv:3: malformed CSV: expected 2"),
    "csv unterminated quote": (_write("c.csv", b'id,text\n1,"%s\n' % L), r"c\.csv:\d+: malformed CSV"),
    "csv non-utf8": (_write("c.csv", b"id,text\n1,%s\n2,\xff\xfe bad\n" % L), r"c\.csv:3: not valid UTF-8"),
    "csv empty file": (_write("c.csv", b""), r"c\.csv: file is empty"),
    "tsv missing column": (_write("c.tsv", b"id\tbody\n1\tx\n"), r"c\.tsv:1: no column 'text'"),
    "parquet missing column": (_parquet_without_text, r"x\.parquet: no column 'text'"),
    "parquet unreadable": (_write("x.parquet", b"not parquet at all"), r"x\.parquet: not a readable Parquet file"),
    "txt non-utf8": (_bad_txt_folder, r"bad\.txt:2: not valid UTF-8"),
    "txt empty folder": (_empty_folder, r"empty: no \.txt files found"),
    "unsupported type": (_write("c.xml", b"<a/>"), r"c\.xml: unsupported file type"),
    "compressed jsonl": (_write("c.jsonl.gz", b"\x1f\x8b"), r"c\.jsonl\.gz: only CSV and TSV files may be compressed"),
    "nothing left": (
        _write("c.jsonl", b'{"text": "short"}\n{"text": "  "}\n{"text": "tiny too"}\n'),
        r"c\.jsonl: no passages left after filtering: read 3 document\(s\); dropped 1 empty, 2 too short \(< 20",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_error(case: str, tmp_path: Path) -> None:
    make, pattern = CASES[case]
    path = make(tmp_path)
    with pytest.raises(InputError, match=pattern):
        get_corpus(str(path))
    result = CliRunner().invoke(cli, ["corpora", "--corpus", str(path), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.count("error:") == 1


def test_unknown_builtin_suggests_and_lists_the_known_ones() -> None:
    known = r"built-in corpora: abc_news, headlines, movie_plots, (\w+, )*wiki "
    with pytest.raises(UsageError, match=rf"unknown corpus 'wikii' \(did you mean 'wiki'\?\); {known}"):
        get_corpus("wikii")
    result = CliRunner().invoke(cli, ["corpora", "--corpus", "wikii"])
    assert result.exit_code == 2 and re.search(known, result.output)


def test_invalid_token_range_is_a_config_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["corpora", "--corpus", "x.jsonl", "--min-tokens", "9", "--max-tokens", "3"])
    assert result.exit_code == 2 and "min_tokens (9) is greater than max_tokens (3)" in result.output
