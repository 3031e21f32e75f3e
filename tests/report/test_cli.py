"""``gini-host report RUN [-o FILE]``: a real run recorded by the history, then its report."""

from __future__ import annotations

import os
import stat
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from gini_host.testing import CliInvoker, CliResult, PluginDists

#: A nightly job in miniature: ``upload`` fails every attempt (it is retried once), so
#: ``notify`` is skipped; ``fetch`` logs, ``side`` runs on its own. ``upload`` puts markup in
#: its log line and its error, as a hostile plugin would.
NIGHTLY = """
    from gini_host import PipelineSpec, hookimpl, stage

    @stage
    def fetch(ctx):
        "Fetch the inventory."
        ctx.log.info("fetched 3 hosts")
        return {"hosts": 3}

    @stage(requires=["fetch"])
    def upload(ctx):
        "Fails: the target refuses."
        ctx.log.warning("the target refused <img src=x onerror=alert(1)>")
        raise ConnectionError("backup target refused <script>alert(1)</script>")

    @stage(requires=["upload"])
    def notify(ctx):
        "Never runs: upload fails."
        return "sent"

    @stage
    def side(ctx):
        "Independent."
        return "side"

    @hookimpl
    def gini_register_stages(host):
        return [fetch, upload, notify, side]

    @hookimpl
    def gini_register_pipelines(host):
        return [PipelineSpec("nightly", ["nightly::notify", "nightly::side"], "the job")]
"""


pytestmark = pytest.mark.usefixtures("isolated_cli")


class Cli:
    """``gini-host --no-autoload -p nightly ARGS`` in-process; a crash fails the test."""

    def __init__(self, gini_cli: CliInvoker) -> None:
        self.gini_cli = gini_cli

    def __call__(self, *args: str) -> CliResult:
        __tracebackhide__ = True
        result = self.gini_cli("--no-autoload", "-p", "nightly", *args)
        if result.exception is not None:
            raise result.exception
        return result


@pytest.fixture
def cli(gini_cli: CliInvoker, plugin_dist: PluginDists, tmp_path: Path) -> Cli:
    """The nightly plugin installed; its runs recorded in the test's own history database."""
    plugin_dist("nightly", source=NIGHTLY, version="1.0")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (tmp_path / "gini.toml").write_text(
        f'[history]\npath = "{state / "history.sqlite3"}"\n\n'
        '[stages."nightly::upload"]\nretries = 1\n',
        encoding="utf-8",
    )
    return Cli(gini_cli)


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {s["stage_id"]: s["status"] for s in doc["stages"]}


class _Rows(HTMLParser):
    """The page's summary rows and timeline bars, as (stage, status) and (stage, attempt)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self.bars: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-stage"):
            self.rows[str(found["data-stage"])] = str(found["data-status"])
        if tag == "g" and "bar" in str(found.get("class", "")).split():
            self.bars.append((str(found["data-stage"]), str(found["data-attempt"])))


def _parse(page: Path) -> _Rows:
    parser = _Rows()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def failed_run(cli: Cli) -> dict[str, Any]:
    """A recorded failed run of ``nightly``: upload failed twice, notify skipped."""
    ran = cli("run", "nightly", "--keep-going", "--json")
    assert ran.exit_code == 1, ran
    shown = cli("runs", "show", "last", "--json")
    assert shown.exit_code == 0, shown
    doc: dict[str, Any] = shown.json
    return doc


def test_the_report_of_the_last_run_is_written_in_the_working_directory(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path
):
    """report last: gini-report-<run_id>.html here, its path printed, every stage and attempt in it."""
    result = cli("report", "last")
    assert result.exit_code == 0, result
    expected = f"gini-report-{failed_run['run_id']}.html"
    assert result.stdout == expected + "\n"
    page = _parse(tmp_path / expected)
    assert page.rows == statuses(failed_run)
    assert page.rows == {
        "nightly::fetch": "succeeded",
        "nightly::upload": "failed",
        "nightly::notify": "skipped",
        "nightly::side": "succeeded",
    }
    assert Counter(stage for stage, _ in page.bars) == {
        s["stage_id"]: len(s["attempt_log"]) for s in failed_run["stages"] if s["attempt_log"]
    }
    assert sorted(a for s, a in page.bars if s == "nightly::upload") == ["1", "2"]


def test_a_run_is_named_by_a_unique_prefix_and_written_where_o_says(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path
):
    """RUN may be a prefix of a run id; -o FILE picks the file, which is replaced whole."""
    target = tmp_path / "out.html"
    target.write_text("an older report")
    result = cli("report", failed_run["run_id"][:12], "-o", str(target))
    assert result.exit_code == 0, result
    assert result.stdout == f"{target}\n"
    assert failed_run["run_id"] in target.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.html")] == []


@pytest.mark.parametrize(
    ("where", "reason"),
    [("missing/report.html", "No such file or directory"), (".", "it is a directory")],
)
def test_a_path_that_cannot_be_written_is_bad_input(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path, where: str, reason: str
):
    """-o into a missing directory or onto a directory: one message, exit 2, nothing written."""
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("report", "last", "-o", where)
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: cannot write {where}: {reason}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_fifo_is_written_through_never_replaced(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path
):
    """-o onto a FIFO (as onto /dev/null or /dev/stdout) writes the page into it: renaming a
    file over it replaced the FIFO with a plain file (as root, /dev/null itself). No path is
    printed: there is no file to point at."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = cli("report", "last", "-o", str(fifo))
        page = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert page.startswith(b"<!DOCTYPE html>")


def test_a_fifo_nobody_reads_is_bad_input_not_a_hang(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path
):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = cli("report", "last", "-o", str(fifo))
    assert result.exit_code == 2, result
    assert result.stderr.strip() == f"error: cannot write {fifo}: nothing reads from it"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_through_a_symbolic_link_the_file_it_points_at_is_replaced(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path
):
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "latest.html"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.html"
    link.symlink_to(real)
    result = cli("report", "last", "-o", str(link))
    assert result.exit_code == 0, result
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest.html"]


def test_an_unknown_run_is_bad_input(failed_run: dict[str, Any], cli: Cli):
    """A RUN that names no recorded run: exit 2 and a message naming it."""
    result = cli("report", "nosuchrun")
    assert result.exit_code == 2, result
    assert "no recorded run 'nosuchrun'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_report_of_a_real_run_in_the_browser(
    failed_run: dict[str, Any], cli: Cli, tmp_path: Path, browser: Any
):
    """The page of a recorded run, in Chromium: each stage with its status, upload's two
    attempts, its traceback folded until clicked, the markup it logged and raised as text."""
    assert cli("report", "last", "-o", "run.html").exit_code == 0
    browser.get((tmp_path / "run.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "table.summary tbody tr")
    assert {r.get_attribute("data-stage"): r.get_attribute("data-status") for r in rows} == (
        statuses(failed_run)
    )
    bars = browser.find_elements(By.CSS_SELECTOR, 'svg.timeline .bar[data-stage="nightly::upload"]')
    assert len(bars) == 2
    details = browser.find_element(By.CSS_SELECTOR, '.error[data-stage="nightly::upload"] details')
    trace = details.find_element(By.TAG_NAME, "pre")
    assert not trace.is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    assert trace.is_displayed()
    assert "ConnectionError: backup target refused <script>alert(1)</script>" in trace.text
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 1  # the report's own
    assert browser.find_elements(By.TAG_NAME, "img") == []
    browser.save_screenshot(str(tmp_path / "run.png"))
