"""The ``reporter`` built-in plugin: how a run looks on the terminal.

Written as pytest writes its terminal reporter: the ``reporter`` plugin itself implements no
observer hook, so a host that nobody watches pays nothing per stage. :meth:`ReporterPlugin.attach`
(the CLI calls it, except under ``--json``) registers a :class:`TerminalReporter` on the host's
plugin manager; it uses only the observer hooks every plugin has (``gini_pipeline_start``,
``gini_stage_start``, ``gini_stage_finish``, ``gini_pipeline_finish``). On a terminal it shows
a live display (stages done, running and failed, elapsed time); elsewhere one plain line per
finished stage and a ``still running`` line now and then for long stages
(:mod:`~gini_host.builtin.heartbeat`). Every run ends with a summary: a table on a terminal,
plain lines elsewhere (:mod:`~gini_host.builtin.summary`), so a CI log never gets a long
error folded into a narrow column. ``NO_COLOR`` turns colour off;
``-p no:reporter`` disables it. rich is imported only when a run is reported.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Final, TextIO

from gini_host import capture
from gini_host.builtin.heartbeat import DEFAULT_INTERVAL, Heartbeat
from gini_host.builtin.summary import plain_summary
from gini_host.builtin.summary import seconds as _seconds
from gini_host.logs import color_enabled
from gini_host.markers import hookimpl
from gini_host.naming import printable

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from gini_host.kernel.host import Host
    from gini_host.stages.context import StageContext
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = ["ReporterPlugin", "TerminalReporter"]

#: The name the attached :class:`TerminalReporter` is registered under.
TERMINAL_REPORTER_NAME: Final = "reporter.terminal"

_STYLES: Final = {
    "succeeded": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "cancelled": "yellow",
    "dry_run": "cyan",
}


class _RunView:
    """What the reporter knows about the run in progress; guarded by ``lock`` because the
    live display renders it from its own refresh thread."""

    def __init__(self, pipeline: Pipeline, run_id: str) -> None:
        self.pipeline = pipeline
        self.run_id = run_id
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.running: dict[str, tuple[float, StageContext]] = {}
        self.finished: dict[str, StageResult] = {}

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.finished.values():
            counts[result.status.value] = counts.get(result.status.value, 0) + 1
        return counts


class ReporterPlugin:
    """The ``reporter`` built-in: attaches a :class:`TerminalReporter` to a host on demand."""

    def __init__(self) -> None:
        self._plugin_manager: Any = None
        self.terminal: TerminalReporter | None = None

    @hookimpl
    def gini_shutdown(self, host: Host) -> None:
        """Leave the terminal tidy even when a run ended by an exception."""
        self.detach()

    @property
    def attached(self) -> bool:
        return self.terminal is not None

    def attach(
        self,
        host: Host,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        color: bool | None = None,
        heartbeat: float | None = DEFAULT_INTERVAL,
    ) -> TerminalReporter:
        """Report ``host``'s runs to ``stream`` (default stdout): live on a terminal, plain
        lines if not, with a ``still running`` line every ``heartbeat`` seconds for long
        stages."""
        if self.terminal is not None:
            return self.terminal
        self._plugin_manager = host.plugin_manager
        self.terminal = TerminalReporter(stream, live=live, color=color, heartbeat=heartbeat)
        self._plugin_manager.register(self.terminal, name=TERMINAL_REPORTER_NAME)
        return self.terminal

    def detach(self) -> None:
        terminal, self.terminal = self.terminal, None
        if terminal is None:
            return
        terminal.close()
        if self._plugin_manager is not None and self._plugin_manager.is_registered(terminal):
            self._plugin_manager.unregister(terminal)


class TerminalReporter:
    """Progress and summary of the runs of one host, on one stream.

    ``heartbeat``: off a terminal, seconds between ``still running: ...`` lines for long
    stages (None: no heartbeat).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        color: bool | None = None,
        heartbeat: float | None = DEFAULT_INTERVAL,
    ) -> None:
        # The host's own stdout, never what plugin code prints to (see gini_host.capture).
        self._stream: TextIO = stream if stream is not None else capture.host_stdout()
        isatty = getattr(self._stream, "isatty", None)
        terminal = bool(isatty()) if callable(isatty) else False
        self._live_wanted = terminal if live is None else live
        self._color = color_enabled(self._stream) if color is None else color
        self._view: _RunView | None = None
        self._console: Console | None = None
        self._live: Live | None = None
        self._spinners: dict[str, Any] = {}
        self._heartbeat_interval = heartbeat
        self._heartbeat: Heartbeat | None = None
        #: Plain lines come from the scheduling thread and the heartbeat thread.
        self._write_lock = threading.Lock()

    def close(self) -> None:
        """Stop a live display or heartbeat that is still running."""
        self._stop_live()
        self._stop_heartbeat()
        self._view = None

    # -- hooks --------------------------------------------------------------------------------

    @hookimpl
    def gini_pipeline_start(self, pipeline: Pipeline, run_id: str) -> None:
        # A run started from inside a stage is part of the outer run's display, not a new one.
        if self._view is not None:
            return
        self._view = _RunView(pipeline, run_id)
        if self._live_wanted:
            self._start_live()
        elif self._heartbeat_interval is not None:
            self._start_heartbeat(self._view, self._heartbeat_interval)

    @hookimpl
    def gini_stage_start(self, stage: Stage, context: StageContext) -> None:
        view = self._view
        if view is None or stage.id not in view.pipeline.stages:
            return
        with view.lock:
            view.running[stage.id] = (time.perf_counter(), context)

    @hookimpl
    def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
        view = self._view
        if view is None or stage.id not in view.pipeline.stages:
            return
        with view.lock:
            view.running.pop(stage.id, None)
            view.finished[stage.id] = result
        if self._live is None and result.status.value != "dry_run":
            self._plain_line(result)

    @hookimpl
    def gini_pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        view = self._view
        if view is None or view.pipeline is not pipeline:
            return
        self._stop_live()
        self._stop_heartbeat()
        self._view = None
        self._summary(result)

    # -- output -------------------------------------------------------------------------------

    def _console_for(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self._stream,
                no_color=not self._color,
                highlight=False,
                force_terminal=True if self._live_wanted else None,
            )
        return self._console

    def _plain_line(self, result: StageResult) -> None:
        status = result.status.value
        duration = f" ({_seconds(result.duration)})" if result.attempts else ""
        attempts = f" after {result.attempts} attempts" if result.attempts > 1 else ""
        detail = printable(result.detail) if result.detail else result.detail
        line = f"{status:<10} {printable(result.stage_id)}{duration}{attempts}"
        self._write_line(line + (f": {detail}" if detail else ""))

    def _write_line(self, line: str) -> None:
        with self._write_lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def _start_heartbeat(self, view: _RunView, interval: float) -> None:
        def running() -> dict[str, float]:
            with view.lock:
                return {printable(sid): started for sid, (started, _) in view.running.items()}

        self._heartbeat = Heartbeat(interval, running, self._write_line)
        self._heartbeat.start()

    def _stop_heartbeat(self) -> None:
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            heartbeat.stop()

    def _start_live(self) -> None:
        from rich.live import Live

        self._live = Live(
            console=self._console_for(),
            get_renderable=self._render_progress,
            refresh_per_second=8,
            transient=True,
            redirect_stdout=True,
            redirect_stderr=True,
        )
        self._live.start()

    def _stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    def _render_progress(self) -> RenderableType:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.text import Text

        view = self._view
        if view is None:
            return Text("")
        with view.lock:
            running = dict(view.running)
            counts = view.counts()
        total = len(view.pipeline)
        done = sum(counts.values())
        now = time.perf_counter()
        cancelling = any(ctx.cancelled.is_set() for _, ctx in running.values())
        head = Text.assemble(
            (view.pipeline.name, "bold"),
            f"  {done}/{total} done",
            f" · {len(running)} running",
            (f" · {counts['failed']} failed", "bold red") if counts.get("failed") else "",
            f" · {_seconds(now - view.started)}",
            ("  cancelling (waiting for running stages)…", "yellow") if cancelling else "",
        )
        lines: list[RenderableType] = [head]
        for sid, (started, _ctx) in running.items():
            spinner = self._spinners.get(sid)
            if spinner is None:
                spinner = self._spinners[sid] = Spinner("dots", style="cyan")
            spinner.text = Text(f"{sid}  {_seconds(now - started)}")
            lines.append(spinner)
        for sid in list(self._spinners):
            if sid not in running:
                del self._spinners[sid]
        return Group(*lines)

    def _summary(self, result: PipelineResult) -> None:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        if result.dry_run:
            return  # the caller prints the descriptions; a table of "dry_run" says nothing
        if not self._live_wanted:
            # Off a terminal rich would fold long errors into a narrow column, 20 lines
            # each in a CI log: one line per stage, long details on their own lines.
            self._write_line(plain_summary(result))
            return
        console = self._console_for()
        counts = ", ".join(f"{n} {status}" for status, n in result.counts().items())
        title = Text.assemble(
            (result.pipeline, "bold"),
            ": ",
            (result.status, _STYLES.get(result.status, "")),
            f" ({counts}) in {_seconds(result.duration)}, run {result.run_id}",
        )
        table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
        table.add_column("stage", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("duration", justify="right", no_wrap=True)
        table.add_column("attempts", justify="right", no_wrap=True)
        table.add_column("error / reason", overflow="fold")
        for sid, r in result.items():
            status = r.status.value
            table.add_row(
                sid,
                Text(status, style=_STYLES.get(status, "")),
                _seconds(r.duration) if r.attempts else "-",
                str(r.attempts) if r.attempts else "-",
                r.detail,
            )
        console.print(table)
        console.print(title, soft_wrap=True)
