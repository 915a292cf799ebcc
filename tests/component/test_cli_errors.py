"""Bad input through the command line: one readable line naming the field/file/line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from synthrr.cli import cli


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    out = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in out
    return result.exit_code, out


def test_malformed_config_yaml_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("task: imdb\nretrieval:\n  k: [1, 2\n")
    code, out = _run("retrieve", "--config", str(cfg), "--out", str(tmp_path / "o"))
    assert code == 2 and f"{cfg}:" in out and "malformed YAML" in out


def test_unknown_config_key_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("retrieval:\n  top_k: 5\n")
    code, out = _run("generate", "--config", str(cfg))
    assert code == 2 and "retrieval.top_k" in out and "unknown key" in out


def test_bad_value_through_set_names_field_and_value(tmp_path: Path) -> None:
    code, out = _run("retrieve", "--set", "retrieval.k=-3", "--out", str(tmp_path))
    assert code == 2 and "retrieval.k" in out and "-3" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("retrieve", "--retriever", "nope", "--per-label", "2"),
            "unknown retriever 'nope'; known retrievers: bm25, dense",
        ),
        (("seeds", "--task", "nope"), "unknown task 'nope'"),
        (("generate", "--method", "nope", "--llm", "fake", "--n", "2"), "unknown method 'nope'"),
        (("generate", "--llm", "nope", "--method", "fewgen", "--n", "2"), "unknown LLM backend 'nope'"),
        (("retrieve", "--corpus", "nope", "--per-label", "2"), "unknown corpus 'nope'"),
    ],
)
def test_unknown_names_list_the_known_ones(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    out_path = tmp_path / "seeds.parquet" if args[0] == "seeds" else tmp_path  # seeds --out takes a file
    code, out = _run(*args, "--out", str(out_path))
    assert code == 2, out
    assert expected in out


def test_missing_corpus_file(tmp_path: Path) -> None:
    code, out = _run(
        "retrieve", "--corpus", str(tmp_path / "missing.jsonl"), "--per-label", "2", "--out", str(tmp_path)
    )
    assert code == 2 and "missing.jsonl" in out


def test_unknown_backend_option_is_rejected(tmp_path: Path) -> None:
    code, out = _run(
        "generate", "--method", "fewgen", "--llm", "fake", "--n", "2", "--set", "llm.options.temprature=1",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2 and "llm.options.temprature" in out
