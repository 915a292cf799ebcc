"""``python -m bench.quality --quick`` end to end: the real SmolLM2 model (llama.cpp), real filters, BM25
retrieval, TF-IDF students and the Gold row, on rotten_tomatoes at tiny N; checks the results file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ROWS = ["Gold", "FewGen-0", "FewGen-32", "ZeroGen", "SynthesizRR-0", "SynthesizRR-3"]
COLUMNS = [
    "row",
    "n",
    "Self-BLEU-5 ↓",
    "distinct-2 ↑",
    "entity entropy ↑",
    "within-label cos ↓",
    "MAUVE ↑",
    "label pres. % ↑",
    "student acc. % ↑",
    "macro-F1 % ↑",
    "gen. s",
    "LLM requests (cached)",
]


def _numeric(cell: str) -> bool:
    if cell == "—":
        return True
    cell = re.sub(r"^(\d+) \((\d+)\)$", r"\1", cell)  # "requests (cached)"
    try:
        for part in cell.split("±"):
            float(part.strip())
    except ValueError:
        return False
    return True


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_quality_quick_writes_one_table_with_six_rows(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    analysis = "<!-- analysis: begin -->\nHand-written analysis.\n<!-- analysis: end -->"
    results.write_text(f"# old\n\n{analysis}\n", encoding="utf-8")  # survives the rewrite
    args = ["--quick", "--tasks", "rotten_tomatoes", "--out", str(tmp_path / "runs"), "--results", str(results)]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.quality", *args],
        cwd=ROOT,
        env=dict(os.environ),  # SYNTHRR_HOME of the session: caches shared with the other tests
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert results.is_file()
    text = results.read_text(encoding="utf-8")
    assert "python -m bench.quality " + " ".join(args) in text  # the exact command line
    assert "gguf-sha256:" in text and '"synthrr":' in text  # model identity and versions
    assert len(re.findall(r"^## ", text, flags=re.M)) == 1 and "## rotten_tomatoes" in text

    table = [line for line in text.splitlines() if line.startswith("|")]
    assert _cells(table[0]) == COLUMNS
    body = [_cells(line) for line in table[2:]]
    assert [r[0] for r in body] == ROWS
    for row in body:
        assert len(row) == len(COLUMNS)
        assert all(_numeric(c) for c in row[1:]), row
    # every row really has a student score and a kept count
    assert all(r[COLUMNS.index("student acc. % ↑")] != "—" and r[1] != "—" for r in body)
    assert (tmp_path / "runs" / "rotten_tomatoes" / "compare.md").is_file()
    assert text.count(analysis) == 1 and "# old" not in text
    targets = re.findall(
        r"^- (Self-BLEU-5|entity entropy|MAUVE|student accuracy).*: (met|NOT met|not judged)", text, re.M
    )
    assert len(targets) == 5, text
