"""The ``history`` built-in plugin: records every run through the observer hooks.

The plugin registers a :class:`HistoryRecorder` when the history is enabled; the recorder
knows the engine only as every plugin does: ``gini_pipeline_start`` (with its
:class:`~gini_host.stages.observers.RunInfo`), ``gini_stage_finish``,
``gini_pipeline_finish``, and loguru records bound to a run (``ctx.log``). Each event becomes
one small operation for the :class:`~gini_host.builtin.history.writer.HistoryWriter`, which
owns the database; the writer and the database are made at the first run, so commands that
run nothing (``plugins``, ``stages``) never open it. ``[history] enabled = false`` or
``-p no:history`` turns recording off.

A stage's result does not carry its run id, so a finish is matched to the innermost run this
thread is scheduling that has the stage in its plan: a run started from inside a stage runs
on that stage's thread while the outer run waits for it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gini_host.markers import hookimpl

if TYPE_CHECKING:  # the writer is imported at the first run: boots that run nothing skip it
    from gini_host.builtin.history.writer import HistoryWriter, Operation
    from gini_host.stages.observers import RunInfo
    from gini_host.stages.pipeline import Pipeline
    from gini_host.stages.results import PipelineResult, StageResult
    from gini_host.stages.stage import Stage

__all__ = ["RECORDER_NAME", "HistoryPlugin", "HistoryRecorder"]

#: The name the :class:`HistoryRecorder` is registered under.
RECORDER_NAME = "history.recorder"

#: What the history keeps of a run's log: records at this level and above.
LOG_LEVEL = "INFO"
#: The boot pipeline is the host starting, not a run.
_BOOT = "boot"


class _Run:
    __slots__ = ("pipeline", "position", "run_id")

    def __init__(self, pipeline: Pipeline, run_id: str) -> None:
        self.pipeline = pipeline
        self.run_id = run_id
        self.position = pipeline.position


class HistoryPlugin:
    """The ``history`` built-in: registers a :class:`HistoryRecorder` on the host's plugin
    manager at init when ``[history] enabled`` (the default).

    Written like the ``reporter``: this object implements no observer hook, so a host whose
    history is off (``enabled = false``) pays nothing per stage.
    """

    def __init__(self) -> None:
        self.recorder: HistoryRecorder | None = None
        self._plugin_manager: Any = None

    def __dir__(self) -> list[str]:
        # pluggy's register looks at every name dir() gives (about 40 for an instance, the
        # object's dunders included): listing the hooks only makes registering this
        # built-in, on every boot, about three times cheaper.
        return ["flush", "gini_plugin_init", "gini_shutdown", "recorder"]

    @hookimpl
    def gini_plugin_init(self, host: Any) -> None:
        from gini_host.builtin.history.paths import history_path

        settings = host.config.history
        if not settings.enabled:
            return
        path = history_path(settings.path, host.config.source)
        self.recorder = HistoryRecorder(host, path, settings.keep)
        self._plugin_manager = host.plugin_manager
        self._plugin_manager.register(self.recorder, name=RECORDER_NAME)

    @hookimpl
    def gini_shutdown(self, host: Any) -> None:
        """Write what is queued: the history is complete when the host is gone."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        if self._plugin_manager.is_registered(recorder):
            self._plugin_manager.unregister(recorder)
        recorder.close()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every finished event is committed (for tests and embedders)."""
        return self.recorder.flush(timeout) if self.recorder is not None else True


class HistoryRecorder:
    """Records the runs of one host in the database at ``path``, keeping ``keep`` runs."""

    def __init__(self, host: Any, path: str, keep: int) -> None:
        self.host = host
        self.path = path
        self.keep = keep
        self.writer: HistoryWriter | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._live: dict[str, _Run] = {}
        self._sink_id: int | None = None
        self._facts: dict[str, Any] | None = None
        #: The writer's ``submit``, bound once: the per-stage path calls it directly.
        self._append: Callable[[Operation], None] = _drop

    def __dir__(self) -> list[str]:
        # As HistoryPlugin.__dir__: the recorder is registered on every boot with history on.
        return ["gini_pipeline_finish", "gini_pipeline_start", "gini_stage_finish"]

    def close(self) -> None:
        self._remove_sink()
        self._append = _drop
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout) if self.writer is not None else True

    # -- the run --------------------------------------------------------------------------

    @hookimpl
    def gini_pipeline_start(self, pipeline: Pipeline, run_id: str, run: RunInfo) -> None:
        if pipeline.name == _BOOT:
            return
        try:
            self._start(pipeline, run_id, run)
        except Exception as exc:
            _not_recorded(run_id, exc)

    @hookimpl
    def gini_stage_finish(self, stage: Stage, result: StageResult) -> None:
        # The hot path, once per stage: the innermost run of this thread, the common case
        # inline (a no-op stage costs the engine ~4 µs; this adds ~0.3 µs, pluggy's call ~1.8).
        try:
            run = self._local.stack[-1]
            position = run.position.get(result.stage_id)
            if position is None:
                self._stage_of_outer_run(result)
            else:
                self._append(_StageWrite(run.run_id, position, result))
        except (AttributeError, IndexError):
            return  # no run of this thread is recorded (the boot, a run before init)
        except Exception as exc:
            _not_recorded(result.stage_id, exc)

    @hookimpl
    def gini_pipeline_finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        try:
            self._finish(pipeline, result)
        except Exception as exc:
            _not_recorded(result.run_id, exc)

    def _start(self, pipeline: Pipeline, run_id: str, run: RunInfo) -> None:
        from gini_host.builtin.history import rows

        started_at = time.time()
        facts = self._run_facts()
        self._writer().submit(
            lambda store: store.begin_run(rows.run_row(pipeline, run, started_at, facts))
        )
        record = _Run(pipeline, run_id)
        self._stack().append(record)
        with self._lock:
            self._live[run_id] = record
            if self._sink_id is None:
                self._add_sink()

    def _stage_of_outer_run(self, result: StageResult) -> None:
        """A finish that is not the innermost run's: an outer run of this thread's, if any
        has the stage in its plan."""
        for run in reversed(self._local.stack):
            position = run.position.get(result.stage_id)
            if position is not None:
                self._append(_StageWrite(run.run_id, position, result))
                return

    def _finish(self, pipeline: Pipeline, result: PipelineResult) -> None:
        stack: list[_Run] | None = getattr(self._local, "stack", None)
        if not stack or stack[-1].pipeline is not pipeline:
            return
        stack.pop()
        with self._lock:
            self._live.pop(result.run_id, None)
        finished_at = result.started_at + result.duration
        status = result.status
        counts = result.counts()
        keep = self.keep
        run_id = result.run_id

        def finish(store: Any) -> None:
            store.finish_run(run_id, status, finished_at, counts)
            store.prune(keep)

        if self.writer is not None:
            self.writer.submit(finish)

    # -- helpers --------------------------------------------------------------------------

    def _stack(self) -> list[_Run]:
        stack: list[_Run] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _writer(self) -> HistoryWriter:
        with self._lock:
            if self.writer is None:
                from gini_host.builtin.history.writer import HistoryWriter

                self.writer = HistoryWriter(self.path)
                self._append = self.writer.submit
            return self.writer

    def _run_facts(self) -> dict[str, Any]:
        # Plugins and config do not change once the host is booted: computed once.
        if self._facts is None:
            from gini_host._version import __version__
            from gini_host.builtin.history.rows import config_digest, plugin_versions

            self._facts = {
                "host_version": __version__,
                "plugins": plugin_versions(self.host),
                "config_digest": config_digest(self.host.config),
            }
        return self._facts

    def _add_sink(self) -> None:
        # Added at the first run and kept until the host shuts down: loguru's ``add`` costs
        # 2-6 ms (its exception formatter reads sysconfig), a quarter of a 1,000-stage run.
        from loguru import logger

        live = self._live

        def wanted(record: Any) -> bool:
            return record["extra"].get("run_id") in live

        self._sink_id = logger.add(
            self._log_sink, level=LOG_LEVEL, filter=wanted, format="{message}"
        )

    def _remove_sink(self) -> None:
        sink_id, self._sink_id = self._sink_id, None
        if sink_id is not None:
            from loguru import logger

            # ValueError: removed already, by someone calling logger.remove() for all sinks.
            with contextlib.suppress(ValueError):
                logger.remove(sink_id)

    def _log_sink(self, message: Any) -> None:
        record = message.record
        writer = self.writer
        if writer is None:
            return
        extra = record["extra"]
        row = {
            "run_id": str(extra.get("run_id")),
            "stage_id": extra.get("stage"),
            "time": record["time"].timestamp(),
            "level": record["level"].name,
            "message": str(record["message"]),
        }
        writer.submit(_LogWrite(row))


def _drop(operation: Operation) -> None:
    """Where records go once the recorder is closed."""


def _not_recorded(what: str, exc: Exception) -> None:
    """The history's own failure: said, never passed on (the run must not fail for it)."""
    from loguru import logger

    logger.opt(exception=exc).warning(
        "history: {} is not recorded: {}: {}", what, type(exc).__name__, exc
    )


class _StageWrite:
    """One stage result to record: the value is encoded when the writer asks for the row."""

    __slots__ = ("position", "result", "run_id")
    table = "stages"

    def __init__(self, run_id: str, position: int, result: StageResult) -> None:
        self.run_id = run_id
        self.position = position
        self.result = result

    def row(self) -> Mapping[str, Any]:
        from gini_host.builtin.history.rows import stage_row

        return stage_row(self.run_id, self.position, self.result)


class _LogWrite:
    """One log record of a run."""

    __slots__ = ("record",)
    table = "logs"

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record

    def row(self) -> Mapping[str, Any]:
        return self.record
