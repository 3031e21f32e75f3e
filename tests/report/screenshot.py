"""Make the README's report screenshot: ``python -m tests.report.screenshot docs/report.png``.

It renders ``documents.nightly_backup()`` (a realistic failed run) and photographs the top of
the page (header, graph, timeline) in the same headless Chromium the browser tests use.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from gini_host.report import render_report

from . import documents
from .browser import WIDTH, ensure_chromium, start_chromium

HEIGHT = 1000


def main(target: Path) -> int:
    problem = ensure_chromium()
    if problem is not None:
        sys.stderr.write(f"no headless Chromium: {problem}\n")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch, "report.html")
        page.write_text(render_report(documents.nightly_backup()), encoding="utf-8")
        driver = start_chromium(Path(scratch, "profile"), height=HEIGHT)
        try:
            driver.set_window_size(WIDTH, HEIGHT)
            driver.get(page.as_uri())
            driver.save_screenshot(str(target))
        finally:
            driver.quit()
    sys.stdout.write(f"{target}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png")))
