"""A headless Chromium for the report's page (Debian's ``chromium`` + ``chromium-driver``, driven by
selenium): ``bench/report.py`` times a page's opening with it, and the browser test checks the page."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def open_page(path: Path) -> Any:
    """A headless Chromium on ``path`` with the browser console log captured (needs selenium,
    :data:`CHROMIUM` and :data:`DRIVER`)."""
    from selenium import webdriver  # an optional test dependency: only what opens a browser needs it

    if not CHROMIUM or not DRIVER:
        raise RuntimeError("no chromium / chromedriver here (Debian: apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2400"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.get(path.resolve().as_uri())
    return driver
