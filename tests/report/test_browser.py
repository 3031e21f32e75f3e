"""The report in a real browser (headless Chromium): what a person sees, checked on the DOM."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from . import documents
from .browser import full_page_screenshot

Open = Callable[[dict[str, Any]], Any]


def _no_horizontal_overflow(driver: Any) -> None:
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def test_every_stage_is_shown_with_its_status(open_report: Open, tmp_path: Path):
    """Each stage has a box in the graph and a row in the table, both carrying its status."""
    doc = documents.nightly_backup()
    driver = open_report(doc)
    expected = {s["stage_id"]: s["status"] for s in doc["stages"]}
    nodes = driver.find_elements(By.CSS_SELECTOR, "svg.dag .node")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.summary tbody tr")
    assert {n.get_attribute("data-stage"): n.get_attribute("data-status") for n in nodes} == expected
    assert {r.get_attribute("data-stage"): r.get_attribute("data-status") for r in rows} == expected
    for row in rows:
        assert row.is_displayed()
        stage, status = row.find_elements(By.TAG_NAME, "td")[:2]
        assert stage.text == row.get_attribute("data-stage")
        assert status.text == expected[stage.text].replace("_", " ")
    assert driver.find_element(By.CSS_SELECTOR, "#run-status .badge").text == "failed"
    resources = driver.execute_script("return performance.getEntriesByType('resource').length")
    assert resources == 0  # no fetch from the network (an http(s) URL is listed even if it fails)
    _no_horizontal_overflow(driver)
    full_page_screenshot(driver, tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_timeline_has_one_bar_per_attempt(open_report: Open):
    """Bars come from the attempt log (retries included), on the worker lane of each attempt."""
    doc = documents.nightly_backup()
    driver = open_report(doc)
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.timeline .bar")
    drawn = Counter(b.get_attribute("data-stage") for b in bars)
    expected = {s["stage_id"]: len(s["attempt_log"]) for s in doc["stages"] if s["attempt_log"]}
    assert drawn == expected
    upload = {
        b.get_attribute("data-attempt"): b.get_attribute("data-status")
        for b in bars if b.get_attribute("data-stage") == "net::upload"
    }
    assert upload == {"1": "failed", "2": "failed"}
    for bar in bars:
        rect = bar.find_element(By.TAG_NAME, "rect")
        assert rect.size["width"] > 0 and rect.size["height"] > 0
    lanes = [t.get_attribute("data-worker") for t in
             driver.find_elements(By.CSS_SELECTOR, "svg.timeline .lane-label")]
    assert sorted(lanes) == sorted(documents.WORKERS)


def test_a_traceback_is_folded_and_opens_on_click(open_report: Open):
    """The error message shows; its traceback is hidden until its summary is clicked."""
    driver = open_report(documents.nightly_backup())
    card = driver.find_element(By.CSS_SELECTOR, '#errors .error[data-stage="net::upload"]')
    assert "Max retries exceeded" in card.find_element(By.CSS_SELECTOR, ".message").text
    details = card.find_element(By.CSS_SELECTOR, "details.traceback")
    trace = details.find_element(By.TAG_NAME, "pre")
    assert details.get_attribute("open") is None
    assert not trace.is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.get_attribute("open") is not None
    assert trace.is_displayed()
    assert trace.text.startswith("Traceback (most recent call last):")


def test_a_hostile_stage_name_is_shown_as_text(open_report: Open, tmp_path: Path):
    """Markup in stage names, errors, workers and logs is text: nothing runs, nothing loads."""
    driver = open_report(documents.hostile())
    assert driver.title.startswith("run-<img")
    assert driver.find_elements(By.TAG_NAME, "img") == []
    scripts = driver.find_elements(By.TAG_NAME, "script")
    assert len(scripts) == 1  # the report's own
    row = driver.find_element(By.CSS_SELECTOR, "table.summary tbody tr")
    assert row.find_element(By.CSS_SELECTOR, ".stage-id").text == documents.HOSTILE_NAME
    node = driver.find_element(By.CSS_SELECTOR, "svg.dag .node")
    assert node.get_attribute("data-stage") == documents.HOSTILE_NAME
    _no_horizontal_overflow(driver)
    full_page_screenshot(driver, tmp_path / "hostile.png")


def test_a_legend_entry_shows_one_status(open_report: Open):
    """Clicking a status in the legend dims the other stages; clicking it again undoes it."""
    driver = open_report(documents.nightly_backup())
    button = driver.find_element(By.CSS_SELECTOR, '.legend button[data-status="failed"]')

    def opacity(selector: str) -> float:
        element = driver.find_element(By.CSS_SELECTOR, selector)
        return float(element.value_of_css_property("opacity"))

    succeeded = 'table.summary tr[data-stage="inventory::discover"]'
    failed = 'table.summary tr[data-stage="net::upload"]'
    button.click()
    assert opacity(succeeded) < 0.5 and opacity(failed) == 1.0
    button.click()
    assert opacity(succeeded) == 1.0


def test_a_graph_of_hundreds_of_stages_fits_its_box(open_report: Open):
    """300 stages: every box is drawn, the graph scrolls inside its section, the page does not."""
    doc = documents.wide(300)
    driver = open_report(doc)
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.dag .node")) == 300
    _no_horizontal_overflow(driver)
