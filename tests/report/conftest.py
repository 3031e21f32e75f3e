"""One headless Chromium for the whole session (starting one costs about a second).

Missing browser: installed with apt-get when this process can (CI runs as root); otherwise the
browser tests skip and say why. Under CI (``CI`` set) a browser that cannot be had fails them:
CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gini_host.report import render_report

from .browser import ensure_chromium, start_chromium


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Selenium driver for headless Chromium, with a fresh profile."""
    problem = ensure_chromium()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(f"no headless Chromium: {problem}")
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Callable[[dict[str, Any]], Any]:
    """Render a run document to a file in the test's tmp dir and load it in the browser."""

    def load(doc: dict[str, Any]) -> Any:
        page = tmp_path / "report.html"
        page.write_text(render_report(doc), encoding="utf-8")
        browser.get(page.as_uri())
        return browser

    return load
