"""The report page as HTML: self-contained, escaped, and tolerant of damaged documents."""

from __future__ import annotations

import copy
from html.parser import HTMLParser
from typing import Any

import pytest

from gini_host.report import render_report

from . import documents


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_the_page_needs_no_network():
    """No stylesheet, script, image or font comes from elsewhere; links stay in the page."""
    tags = _tags(render_report(documents.nightly_backup()))
    names = [tag for tag, _ in tags]
    assert "link" not in names and "img" not in names and "iframe" not in names
    for tag, attrs in tags:
        assert attrs.get("src") is None, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (tag, href)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts == [{}]  # one inline script, the report's own
    assert "@import" not in render_report(documents.nightly_backup())
    assert "url(http" not in render_report(documents.nightly_backup())


def test_every_text_from_the_document_is_escaped():
    """A hostile plugin's markup in any field never becomes an element or an attribute."""
    page = render_report(documents.hostile())
    names = [tag for tag, _ in _tags(page)]
    assert "img" not in names and "i" not in names
    assert names.count("script") == 1
    assert all("onerror" not in attrs for _, attrs in _tags(page))
    assert "&lt;b&gt;Err&lt;/b&gt;" in page  # the error type, as text
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page


def test_unencodable_text_is_replaced_so_the_page_can_be_written():
    """A lone surrogate or NUL in a message is replaced, not a UnicodeEncodeError."""
    page = render_report(documents.hostile())
    page.encode("utf-8")
    assert "\x00" not in page


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.clear(),
        lambda d: d.update(stages="nonsense", plan=[1, 2]),
        lambda d: d.update(started_at="yesterday", duration=float("nan"), targets=None),
        lambda d: d["stages"][0].update(attempt_log=[None, {"started_at": True}], logs=[7]),
        lambda d: d["stages"][0].update(error="boom", value=object(), stage_id=None),
        lambda d: d["plan"].update(edges=[["a"], "ab", ["net::upload", "nowhere"]]),
    ],
    ids=["empty", "wrong-containers", "wrong-scalars", "bad-attempts", "bad-stage", "bad-edges"],
)
def test_a_damaged_document_still_renders(damage: Any):
    """A report of a damaged record beats a traceback: wrong types read as unknown."""
    doc = copy.deepcopy(documents.nightly_backup())
    damage(doc)
    page = render_report(doc)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_a_stage_in_the_plan_without_a_record_is_shown_as_not_started():
    """An interrupted run's plan names stages that never started: they are drawn, not dropped."""
    doc = documents.nightly_backup()
    doc["status"] = "interrupted"
    doc["stages"] = [s for s in doc["stages"] if s["stage_id"] != "notify::summary"]
    tags = _tags(render_report(doc))
    rows = {a["data-stage"]: a["data-status"] for t, a in tags if t == "tr" and "data-stage" in a}
    assert rows["notify::summary"] == "not_started"


def test_a_stage_without_an_attempt_log_gets_one_bar_from_its_times():
    """Records without attempts still show on the timeline, from started_at and duration."""
    doc = documents.nightly_backup()
    for stage in doc["stages"]:
        stage["attempt_log"] = []
        stage["finished_at"] = None
    tags = _tags(render_report(doc))
    bars = [a["data-stage"] for t, a in tags if t == "g" and "bar" in (a.get("class") or "")]
    assert sorted(bars) == sorted(s["stage_id"] for s in doc["stages"] if s["started_at"])


def test_an_attempt_without_an_end_is_drawn_open_to_the_end_of_the_run():
    """A run killed mid-attempt: the attempt's bar is open-ended, not missing."""
    doc = documents.nightly_backup()
    upload = next(s for s in doc["stages"] if s["stage_id"] == "net::upload")
    upload["attempt_log"][-1]["finished_at"] = None
    tags = _tags(render_report(doc))
    open_bars = [a for t, a in tags if t == "g" and "open" in (a.get("class") or "").split()]
    assert [(a["data-stage"], a["data-attempt"]) for a in open_bars] == [("net::upload", "2")]


def test_a_dry_run_has_no_timeline_and_says_why():
    """Nothing ran in a dry run: the timeline section says so instead of drawing nothing."""
    doc = documents.nightly_backup()
    doc["dry_run"] = True
    for stage in doc["stages"]:
        stage.update(status="dry_run", attempt_log=[], started_at=None, finished_at=None)
    page = render_report(doc)
    assert "No stage attempt has a start time" in page
    assert 'class="timeline"' not in page
    assert "dry run (no stage body executed)" in page


def test_a_resumed_run_says_which_results_it_reused():
    """A stage reused from the resumed run has no bar (it ran then) and says where it came from."""
    doc = documents.nightly_backup()
    doc["resumed_from"] = "20261130T050102-aaaaaa"
    discover = doc["stages"][0]
    discover.update(reused_from="20261130T050102-aaaaaa", attempts=0, attempt_log=[])
    page = render_report(doc)
    tags = _tags(page)
    bars = [a["data-stage"] for t, a in tags if t == "g" and "bar" in (a.get("class") or "")]
    assert "inventory::discover" not in bars
    assert "reused from run 20261130T050102-aaaaaa" in page
    assert 'data-fact="resumed from">20261130T050102-aaaaaa<' in page


def test_stages_the_run_never_finished_are_shown_as_the_history_records_them():
    """The history marks a plan stage without a result interrupted (or running): shown so."""
    doc = documents.nightly_backup()
    doc["status"] = "interrupted"
    doc["stages"][-1].update(status="interrupted", reason="no result: the run ended before this stage finished")
    tags = _tags(render_report(doc))
    legend = {a["data-status"] for t, a in tags if t == "button"}
    assert "interrupted" in legend


def test_the_timeline_spans_the_attempts_and_counts_from_the_run_start():
    """Start-up before the first stage is not drawn (it would squeeze a quick run's bars into a
    corner), yet the axis labels are offsets from the start of the run, as the table's are."""
    doc = documents.nightly_backup()
    doc["started_at"] -= 30  # thirty seconds of start-up before the first stage
    page = render_report(doc)
    tags = _tags(page)
    rects = [a for t, a in tags if t == "rect" and a.get("height") == "17"]
    assert min(float(a["x"] or 0) for a in rects) == 180.0  # the first bar at the plot's left edge
    assert "+32 s" in page and "+0 s" not in page
