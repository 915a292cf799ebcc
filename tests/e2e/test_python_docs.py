"""docs/python.md runs as written: its Python blocks, in order, in one namespace, on the default
offline model, in a temporary working folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_the_doc_has_examples() -> None:
    assert len(blocks()) >= 4


def test_python_md_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("xllamacpp")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for i, code in enumerate(blocks()):
        exec(compile(code, f"{DOC.name} block {i + 1}", "exec"), namespace)
    run, tickets = namespace["run"], namespace["tickets_run"]
    assert run.manifest.kept == 6 and len(run.to_hf()) == 6  # type: ignore[attr-defined]
    assert (tmp_path / "imdb-synthetic" / "README.md").is_file()
    assert tickets.manifest.kept >= 1  # type: ignore[attr-defined]  # a 135M model on a 24-passage corpus: not always all 4
    assert "accuracy_mean" in namespace["table"].to_pandas().columns  # type: ignore[attr-defined]
