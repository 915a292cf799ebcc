"""Inputs that used to end in a traceback or a refusal the docs do not promise (issue #35): readers
that tell compression by content, BOMs, dictionary-encoded Parquet, damaged manifests, templates
with format specs, and count options below their range. Each is exit 0 when it should be read, and
otherwise exit 2 with one ``error:`` line naming the thing, never a traceback."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from synthrr.cli import cli

DATA = Path(__file__).parent.parent / "data"
TASK_DIR = DATA / "tasks"
ROWS = [
    f"passage {i}: a refund was charged twice on the card and the invoice shows the wrong amount again"
    " so please send the money back soon"
    for i in range(8)
]
CSV = ("text\n" + "\n".join(ROWS) + "\n").encode()


def corpora(path: Path) -> Result:
    return CliRunner().invoke(cli, ["corpora", "--corpus", str(path), "--no-progress", "--json", "-q"])


def one_error(res: Result, *says: str) -> str:
    """The single ``error:`` line of a clean refusal (exit 2), which must contain each of ``says``."""
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.output
    for part in says:
        assert part in errors[0], errors[0]
    return errors[0]


def kept(res: Result) -> int:
    assert res.exit_code == 0, res.output
    return int(json.loads(res.output)["counts"]["kept"])


# --- readers: compression by content, BOMs, dictionary-encoded strings -----------------------------


@pytest.mark.parametrize("name", ["plain.csv.gz", "plain.csv.bz2", "plain.csv.xz"])
def test_a_plain_csv_with_a_compression_suffix_is_read_as_plain(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(CSV)
    assert kept(corpora(path)) == len(ROWS)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_csv_is_read_whatever_its_suffix(tmp_path: Path, compress: Callable[[bytes], bytes]) -> None:
    path = tmp_path / "docs.csv"
    path.write_bytes(compress(CSV))
    assert kept(corpora(path)) == len(ROWS)


@pytest.mark.parametrize(
    ("suffix", "compress", "kind"),
    [(".bz2", bz2.compress, "bz2"), (".gz", gzip.compress, "gzip"), (".xz", lzma.compress, "xz")],
)
def test_a_truncated_compressed_corpus_names_the_file(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes], kind: str
) -> None:
    data = compress(CSV * 50)
    path = tmp_path / f"docs.csv{suffix}"
    path.write_bytes(data[: len(data) // 2])
    one_error(corpora(path), str(path), f"{kind} data is truncated or damaged")


def test_a_compressed_jsonl_is_refused_by_content_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_bytes(gzip.compress(b'{"text": "x"}\n'))
    one_error(corpora(path), str(path), "only CSV and TSV files may be compressed (gzip)")


def test_a_jsonl_corpus_with_a_utf8_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text("".join(json.dumps({"text": r}) + "\n" for r in ROWS), encoding="utf-8-sig")
    assert kept(corpora(path)) == len(ROWS)


def test_a_parquet_text_column_of_dictionary_encoded_strings_is_read(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dict.parquet"
    pq.write_table(pa.table({"text": pa.array(ROWS).dictionary_encode()}), path)
    assert kept(corpora(path)) == len(ROWS)


def test_a_parquet_text_column_of_dictionary_encoded_numbers_is_still_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nums.parquet"
    pq.write_table(pa.table({"text": pa.array(list(range(8))).dictionary_encode()}), path)
    one_error(corpora(path), str(path), "column 'text' has type", "expected strings")


def test_task_data_named_csv_gz_but_plain_is_read(tmp_path: Path) -> None:
    from synthrr.core.io import read_table

    (tmp_path / "train.csv.gz").write_bytes(b"text,label\nhello,a\n")
    assert read_table(tmp_path / "train.csv.gz").to_dict("records") == [{"text": "hello", "label": "a"}]


# --- run directories with a damaged manifest --------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (fake-LLM) fewgen run of the support-tickets task."""
    out = tmp_path_factory.mktemp("runs")
    argv = ["generate", "--task", str(TASK_DIR / "support_tickets.yaml"), "--method", "fewgen", "--llm", "fake"]
    res = CliRunner().invoke(cli, [*argv, "--per-label", "3", "--n", "3", "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return next(p for p in out.iterdir() if p.is_dir())


def _damaged(run_dir: Path, tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    damage(run / "manifest.json")
    return run


def _files_as_list(path: Path) -> None:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = list(manifest["files"])
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _utf16(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-16")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b'{"task": "\xff"}')


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_files_as_list, "field 'files' is list, expected an object"),
        (_utf16, "is UTF-16"),
        (_not_utf8, "not valid UTF-8"),
    ],
)
@pytest.mark.parametrize("command", ["show", "export"])
def test_a_damaged_manifest_is_one_line_naming_it(
    run_dir: Path, tmp_path: Path, damage: Callable[[Path], None], says: str, command: str
) -> None:
    run = _damaged(run_dir, tmp_path, damage)
    extra = [str(tmp_path / "export")] if command == "export" else []
    one_error(CliRunner().invoke(cli, [command, str(run), *extra]), str(run / "manifest.json"), says)


@pytest.mark.parametrize(("field", "value"), [("model", [1, "x"]), ("per_label", None), ("task", 3)])
@pytest.mark.parametrize("command", ["show", "export"])
def test_a_manifest_field_of_the_wrong_type_is_one_line_naming_it(
    run_dir: Path, tmp_path: Path, field: str, value: object, command: str
) -> None:
    def retype(path: Path) -> None:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest[field] = value
        path.write_text(json.dumps(manifest), encoding="utf-8")

    run = _damaged(run_dir, tmp_path, retype)
    extra = [str(tmp_path / "export")] if command == "export" else []
    res = CliRunner().invoke(cli, [command, str(run), *extra])
    one_error(res, str(run / "manifest.json"), f"field '{field}' is")


def test_hits_from_a_folder_without_hits_names_the_setting(tmp_path: Path) -> None:
    argv = ["generate", "--task", str(TASK_DIR / "support_tickets.yaml"), "--llm", "fake", "--retriever", "bm25"]
    argv += ["--corpus", str(DATA / "corpora" / "help_centre.jsonl"), "--per-label", "3", "--n", "3", "--dry-run"]
    res = CliRunner().invoke(cli, [*argv, "--hits-from", str(tmp_path), "--out", str(tmp_path / "out")])
    one_error(res, str(tmp_path), "no hits.parquet here", "--hits-from")


def test_a_compressed_task_data_file_with_a_bad_row_names_the_row(tmp_path: Path) -> None:
    shutil.copytree(TASK_DIR / "support_tickets", tmp_path / "support_tickets")
    text = (TASK_DIR / "support_tickets.yaml").read_text(encoding="utf-8")
    text = text.replace("train: support_tickets/train.csv", "train: train.csv.gz")
    (tmp_path / "train.csv.gz").write_bytes(gzip.compress(b"message,team\nmy card was charged twice,billing\nhi,\n"))
    task = tmp_path / "task.yaml"
    task.write_text(text, encoding="utf-8")
    one_error(CliRunner().invoke(cli, ["tasks", "--task", str(task)]), "train.csv.gz:3", "data row 2", "empty value")


def test_a_manifest_with_a_utf8_bom_is_read(run_dir: Path, tmp_path: Path) -> None:
    run = _damaged(run_dir, tmp_path, lambda p: p.write_text(p.read_text(encoding="utf-8"), encoding="utf-8-sig"))
    res = CliRunner().invoke(cli, ["show", str(run), "--n", "1"])
    assert res.exit_code == 0, res.output


# --- count options below their range ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "flag"),
    [(["show", "RUN", "--n", "-1"], "--n"), (["report", "RUN", "--max-rows", "-1", "--no-map"], "--max-rows")],
)
def test_a_negative_count_is_a_usage_error_naming_the_flag(run_dir: Path, argv: list[str], flag: str) -> None:
    res = CliRunner().invoke(cli, [str(run_dir) if a == "RUN" else a for a in argv])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"Invalid value for '{flag}': -1 is not in the range x>=0" in res.output


def test_retrieve_show_below_zero_is_a_usage_error() -> None:
    res = CliRunner().invoke(cli, ["retrieve", "--show", "-1"])
    assert res.exit_code == 2 and "Invalid value for '--show'" in res.output


# --- task templates that name known fields but cannot be filled in ----------------------------------


@pytest.mark.parametrize(
    ("placeholder", "says"),
    [("{verbalization:d}", "Unknown format code 'd'"), ("{label!z}", "Unknown conversion specifier z")],
)
def test_a_template_with_a_bad_format_spec_names_the_template_and_file(
    tmp_path: Path, placeholder: str, says: str
) -> None:
    shutil.copytree(TASK_DIR / "support_tickets", tmp_path / "support_tickets")
    text = (TASK_DIR / "support_tickets.yaml").read_text(encoding="utf-8")
    task = tmp_path / "task.yaml"
    task.write_text(text.replace("fewgen: Write a short support ticket from a customer about {verbalization}.",
                                 f"fewgen: Write a ticket about {placeholder}."), encoding="utf-8")  # fmt: skip
    assert placeholder in task.read_text(encoding="utf-8")
    one_error(
        CliRunner().invoke(cli, ["tasks", "--task", str(task)]), str(task), "'templates'", "template 'fewgen'", says
    )
