"""The pure parts of ``bench/quality.py``: the target check and the kept analysis block."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(bleu: float, ent: float, mauve: float, acc: float) -> dict[str, float]:
    return {"self_bleu_5": bleu, "entity_entropy": ent, "mauve": mauve, "accuracy_mean": acc}


def test_targets_met_and_not_met(quality: ModuleType) -> None:
    rows = {
        "Gold": _row(0.05, 9.0, 1.0, 0.70),
        "SynthesizRR-3": _row(0.08, 7.0, 0.90, 0.60),  # 0.60 / 0.70 = 85.7 % of Gold
        "FewGen-32": _row(0.10, 7.5, 0.80, 0.61),
    }
    lines = quality.check_targets(rows)
    assert len(lines) == 5
    verdicts = [line.rsplit(": ", 1)[1] for line in lines]
    assert verdicts == ["met", "NOT met", "met", "NOT met", "met"]
    rows["SynthesizRR-3"]["accuracy_mean"] = 0.59  # 84.3 %
    assert quality.check_targets(rows)[-1].endswith("NOT met")


def test_missing_rows_are_not_judged(quality: ModuleType) -> None:
    lines = quality.check_targets({"SynthesizRR-3": _row(0.1, 1, 1, 0.5)})
    assert all("not judged" in line for line in lines)


def test_kept_analysis(quality: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "results.md"
    assert quality.kept_analysis(path) is None
    block = f"{quality.ANALYSIS_BEGIN}\nwhy\n{quality.ANALYSIS_END}"
    path.write_text(f"# t\n\n{block}\n\ntail\n", encoding="utf-8")
    assert quality.kept_analysis(path) == block
    path.write_text(f"# t\n{quality.ANALYSIS_END} {quality.ANALYSIS_BEGIN}\n", encoding="utf-8")
    assert quality.kept_analysis(path) is None
