"""The report in a real browser: headless Chromium (Debian's ``chromium`` + ``chromium-driver``,
driven by selenium) opens a ``synthrr report`` page and must show no console errors, a rendered SVG
in every plot container, an example browser whose filters change what is shown and whose examples
open onto their prompt; a screenshot is saved (``$SYNTHRR_TEST_ARTIFACTS`` or the test's folder).
Skipped, with the reason, where no browser is installed; ``.ci/run`` installs one."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench import browser
from bench.browser import CHROMIUM, DRIVER
from synthrr.cli import cli

pytestmark = pytest.mark.e2e

TASK = str(Path(__file__).parent.parent / "data" / "tasks" / "support_tickets.yaml")


def open_page(path: Path) -> Any:
    """A headless Chromium on ``path`` with the browser console log captured; skips where none is installed."""
    pytest.importorskip("selenium.webdriver")
    if not CHROMIUM or not DRIVER:
        pytest.skip("no chromium / chromedriver here (Debian: apt-get install chromium chromium-driver)")
    return browser.open_page(path)


def screenshot(page: Path, png: Path) -> Path:
    """A full-width PNG of ``page`` (used for the README's picture of the demo's report)."""
    driver = open_page(page)
    try:
        time.sleep(1.0)
        driver.save_screenshot(str(png))
    finally:
        driver.quit()
    return png


def _runs(tmp_path: Path) -> list[Path]:
    out = []
    for shots in ("1", "3"):
        folder = tmp_path / f"runs{shots}"
        args = ["generate", "--task", TASK, "--method", "fewgen", "--llm", "fake", "--per-label", "5", "--n", "12"]
        args += ["--shots", shots, "--out", str(folder), "--no-progress"]
        res = CliRunner().invoke(cli, [*args, "--set", "synthesis.filters.label_consistency=none"])
        assert res.exit_code == 0, res.output
        out.append(next(folder.iterdir()))
    return out


def test_the_report_renders_and_its_browser_filters(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", *map(str, _runs(tmp_path)), "--out", str(page)])
    assert res.exit_code == 0, res.output
    driver = open_page(page)
    try:
        time.sleep(1.0)
        plots = driver.find_elements(By.CSS_SELECTOR, "div.plot")
        assert len(plots) == 6
        for plot in plots:
            assert plot.find_elements(By.CSS_SELECTOR, "svg.main-svg"), plot.get_attribute("id")
        count = driver.find_element(By.ID, "count")
        everything = count.text
        total = int(everything.split(" examples")[0])
        assert total >= 24 and "page 1 of" in everything  # every candidate of both runs (12 kept each, and drops)
        Select(driver.find_element(By.ID, "f-label")).select_by_visible_text("billing")
        assert 0 < int(count.text.split(" examples")[0]) < total
        shown = driver.find_elements(By.CSS_SELECTOR, "#examples-list details summary b")
        assert shown and all("billing" in b.text for b in shown)
        shown[0].click()
        opened = driver.find_element(By.CSS_SELECTOR, "#examples-list details[open]")
        assert "[user]" in opened.text  # the exact prompt, with its chat roles
        artifacts = Path(os.environ.get("SYNTHRR_TEST_ARTIFACTS", tmp_path))
        artifacts.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(artifacts / "report.png"))
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()
