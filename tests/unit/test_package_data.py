"""pyproject's package-data names exactly the data files the package holds: no pattern without a file
(a folder that is gone), no data file left out of a built wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "synthrr"


def _patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = config["tool"]["setuptools"]["package-data"]["synthrr"]
    return patterns


def _data_files() -> set[Path]:
    skip = {".py", ".pyc"}
    return {p.relative_to(PACKAGE) for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in skip}


def test_every_package_data_pattern_matches_a_file() -> None:
    empty = [pattern for pattern in _patterns() if not any(PACKAGE.glob(pattern))]
    assert not empty, f"package-data patterns that match no file: {empty}"


def test_every_data_file_is_package_data() -> None:
    shipped = {p.relative_to(PACKAGE) for pattern in _patterns() for p in PACKAGE.glob(pattern)}
    data = _data_files()
    assert {Path("py.typed"), Path("report/browser.js"), Path("tasks/specs/imdb.yaml")} <= data
    assert data <= shipped, f"data files a wheel would leave out: {sorted(map(str, data - shipped))}"
