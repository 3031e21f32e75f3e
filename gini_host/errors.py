"""Error types of gini-host.

Every error carries its facts as attributes (plugin, stage, cycle, suggestions) and builds its
message from them, so the CLI only formats and tests assert on facts rather than on wording.
Errors that come from bad input (configuration, pipeline definitions, names the operator typed)
derive from :class:`UsageError`; the CLI maps them to exit code 2.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gini_host.naming import did_you_mean
from gini_host.shown import exception_line

if TYPE_CHECKING:
    from gini_host.kernel.plugins import Conflict
    from gini_host.stages.observers import ObserverFault
    from gini_host.stages.results import PipelineResult

__all__ = [
    "BoundaryError",
    "ConfigError",
    "CycleError",
    "DuplicateStageError",
    "EnvironmentVariableError",
    "EventLoopBlocked",
    "ExecutorError",
    "ExitCode",
    "GiniHostError",
    "HistoryError",
    "InactivePluginsError",
    "LoopBlocked",
    "ObserverError",
    "OutputPathError",
    "PipelineError",
    "PipelineProblem",
    "PluginConflictError",
    "PluginHookError",
    "PluginTimeoutError",
    "ResumeRefused",
    "RunCancelled",
    "RunInterrupted",
    "SchedulerUnreachable",
    "SchemaError",
    "StageFailure",
    "StageNotStopped",
    "StageTimeoutError",
    "UnknownNameError",
    "UnknownPluginError",
    "UnknownRunError",
    "UnknownStageError",
    "UsageError",
    "WorkerCrashed",
    "exception_line",
]


class ExitCode(enum.IntEnum):
    """How a ``gini-host`` command ends (docs/operators.md); the CLI maps exceptions to these
    in one place (``gini_host.cli.app.GiniGroup.invoke``), as pytest's ``wrap_session`` does."""

    #: Everything asked for was done.
    OK = 0
    #: A stage failed, or a shutdown hook (or, in a run, an observer hook) raised.
    FAILED = 1
    #: Bad input: usage, config, an unknown name, a cycle, a conflict that blocks the run.
    USAGE = 2
    #: A real SIGINT or SIGTERM (128 + SIGINT), after the shutdown hooks ran.
    INTERRUPTED = 130


class RunInterrupted(BaseException):
    """Raised into a stage body running on the main thread when the run is interrupted.

    A BaseException, like KeyboardInterrupt, so a stage's ``except Exception`` does not
    swallow the operator's request to stop.
    """


class GiniHostError(Exception):
    """Base class of every error gini-host raises on purpose."""


class UsageError(GiniHostError):
    """Bad input from the operator or a plugin: the CLI reports it with exit code 2."""


class ConfigError(UsageError):
    """The configuration is wrong; ``source`` is the file, ``key`` the key path if any."""

    def __init__(
        self,
        source: str,
        message: str,
        key: str | None = None,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.detail = message
        #: Where a TOML syntax error is, 1-based, when known.
        self.line = line
        self.column = column
        if line is not None:
            where = f"{source}:{line}:{column or 1}: "
        else:
            where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + message)


class UnknownNameError(UsageError):
    """A name the operator gave (a plugin, a pipeline, an executor) that nothing answers to.

    ``where`` says where it was given (``-p``, ``plugins.disable in gini.toml``), ``kind``
    what it should have named; the message ends with the closest known names.
    """

    def __init__(
        self,
        where: str,
        name: str,
        kind: str,
        suggestions: Sequence[str] = (),
        cause: str | None = None,
    ) -> None:
        self.where = where
        self.name = name
        self.kind = kind
        self.suggestions = tuple(suggestions)
        #: Why nothing answers to the name (a distribution without an entry point), or None.
        self.cause = cause
        why = f" ({cause})" if cause else ""
        hint = did_you_mean(self.suggestions)
        super().__init__(f"{where}: {name!r} is no {kind}{why}{hint}")


class InactivePluginsError(UsageError):
    """Plugins a test enabled (``make_host(enable=[...])``) are not active after the boot.

    ``plugins`` maps each such name to why: its status and reason, a distribution without
    an entry point, or nothing installed. Raised at once, rather than a host whose later
    ``PipelineError`` hides the cause.
    """

    def __init__(self, where: str, plugins: Mapping[str, str]) -> None:
        self.where = where
        self.plugins = dict(plugins)
        lines = "\n".join(f"  - {name}: {why}" for name, why in self.plugins.items())
        super().__init__(f"{where}: {len(self.plugins)} plugin(s) not active:\n{lines}")


class EnvironmentVariableError(UsageError):
    """An environment variable has a value the host cannot read."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        self.variable = variable
        self.value = value
        super().__init__(f"environment variable {variable}={value!r}: expected {expected}")


class OutputPathError(UsageError):
    """A file the operator asked for (``report -o FILE``) cannot be written at ``path``."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason}")


class SchemaError(GiniHostError):
    """A config schema (plugin code: an attrs class, its validators) raised something other
    than a validation error while a table was checked against it; ``cause`` says what."""

    def __init__(self, path: str, schema: str, cause: str) -> None:
        self.path = path
        self.schema = schema
        self.cause = cause
        super().__init__(f"{path}: config schema {schema} raised {cause}")


class DuplicateStageError(UsageError):
    """Two owners registered the same stage id."""

    def __init__(self, stage_id: str, first_owner: str | None, second_owner: str | None) -> None:
        self.stage_id = stage_id
        self.first_owner = first_owner
        self.second_owner = second_owner
        super().__init__(
            f"stage {stage_id!r} is registered twice: by {_owner(first_owner)} "
            f"and by {_owner(second_owner)}"
        )


class PipelineProblem(UsageError):
    """One problem found while validating a pipeline; several are gathered in PipelineError."""


class UnknownStageError(PipelineProblem):
    """A pipeline names, or a stage requires, a stage id that is not registered.

    ``cause`` says why, when the host knows: the plugin failed or is disabled (and by
    what), its distribution declares no entry point, or nothing of that name is installed.
    """

    def __init__(
        self,
        stage_id: str,
        *,
        required_by: str | None = None,
        suggestions: Sequence[str] = (),
        what: str = "stage",
        cause: str | None = None,
    ) -> None:
        self.stage_id = stage_id
        self.required_by = required_by
        self.suggestions = tuple(suggestions)
        self.what = what
        self.cause = cause
        where = f" (required by {required_by})" if required_by else ""
        why = f": {cause}" if cause else ""
        hint = did_you_mean(self.suggestions) if not cause or "did you mean" not in cause else ""
        super().__init__(f"unknown {what} {stage_id!r}{where}{why}{hint}")

    def because(self, cause: str) -> UnknownStageError:
        """The same problem, saying why."""
        return UnknownStageError(
            self.stage_id,
            required_by=self.required_by,
            suggestions=self.suggestions,
            what=self.what,
            cause=cause,
        )


class CycleError(PipelineProblem):
    """Stages require each other in a loop; ``cycle`` lists it in order, first id repeated last."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("dependency cycle: " + " -> ".join(self.cycle))


class PipelineError(UsageError):
    """A pipeline failed validation; ``problems`` holds every problem found, not only the first."""

    def __init__(self, name: str, problems: Sequence[PipelineProblem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"cannot plan {name!r} ({count} {noun}):\n{lines}")


class StageTimeoutError(TimeoutError):
    """A stage ran longer than its ``timeout``."""

    def __init__(self, stage_id: str, timeout: float) -> None:
        self.stage_id = stage_id
        self.timeout = timeout
        super().__init__(f"stage {stage_id!r} timed out after {timeout:g}s")


class StageFailure(GiniHostError):
    """A stage failed; raised (inside one ExceptionGroup) by ``PipelineResult.raise_for_status``."""

    def __init__(self, stage_id: str, plugin: str | None, message: str) -> None:
        self.stage_id = stage_id
        self.plugin = plugin
        self.message = message
        owner = f" (plugin {plugin})" if plugin else ""
        super().__init__(f"stage {stage_id}{owner} failed: {message}")


class RunCancelled(GiniHostError):
    """A run was interrupted before it finished; ``stage_ids`` are the stages cancelled."""

    def __init__(self, pipeline: str, stage_ids: Sequence[str], reason: str | None) -> None:
        self.pipeline = pipeline
        self.stage_ids = tuple(stage_ids)
        self.reason = reason
        why = f" ({reason})" if reason else ""
        shown = ", ".join(self.stage_ids[:5]) + (", ..." if len(self.stage_ids) > 5 else "")
        detail = f": {len(self.stage_ids)} stage(s) cancelled: {shown}" if self.stage_ids else ""
        super().__init__(f"pipeline {pipeline!r} was interrupted{why}{detail}")


class ExecutorError(UsageError):
    """An executor refuses a plan before running it: ``problems`` says why, one line each
    (a stage that cannot be found in a worker process, a plugin set a Dask worker lacks)."""

    def __init__(self, executor: str, problems: Sequence[str]) -> None:
        self.executor = executor
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the {executor} executor cannot run this plan:\n{lines}")


class SchedulerUnreachable(ExecutorError):
    """``--scheduler ADDRESS`` is not a Dask scheduler address, or nothing answered there
    within the connect timeout: bad input, said in one line naming the address."""

    def __init__(self, address: str, cause: str) -> None:
        self.executor = "dask"
        self.address = address
        self.cause = cause
        self.problems = (f"Dask scheduler {address!r}: {cause}",)
        UsageError.__init__(self, self.problems[0])


class BoundaryError(GiniHostError):
    """A value that must cross between the host and a worker process does not pickle.

    ``key`` names the value: ``return value``, ``config``, ``results['a::b']`` or a shared-store
    key; ``direction`` is ``to the worker`` or ``back to the host``.
    """

    def __init__(self, stage_id: str, key: str, direction: str, cause: str) -> None:
        self.stage_id = stage_id
        self.key = key
        self.direction = direction
        self.cause = cause
        super().__init__(
            f"stage {stage_id!r}: {key} cannot cross {direction} (it must pickle): {cause}"
        )


class WorkerCrashed(GiniHostError):
    """The worker process running a stage died (``os._exit``, a signal, a segfault)."""

    def __init__(
        self,
        stage_id: str,
        pid: int | None,
        exitcode: int | None,
        *,
        worker: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.stage_id = stage_id
        self.pid = pid
        self.exitcode = exitcode
        self.worker = worker or f"worker process {pid}"
        super().__init__(
            f"{self.worker} died while running stage {stage_id!r}: "
            f"{detail or describe_exit(exitcode)}"
        )


def describe_exit(exitcode: int | None) -> str:
    """``killed by signal 9 (SIGKILL)``, ``exited with code 3``: how a process ended."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        import signal

        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-exitcode} ({name})"
    return f"exited with code {exitcode}"


class PluginHookError(GiniHostError):
    """A plugin's hook (or its import) raised; ``plugin`` and ``hook`` say which,
    ``__cause__`` what.

    ``detail`` is the message without the plugin, the reason a failed plugin shows:
    ``"<hook> raised <Type>: <message>"``, the one format for every per-plugin hook.
    """

    def __init__(self, plugin: str, hook: str, exc: BaseException) -> None:
        self.plugin = plugin
        self.hook = hook
        self.detail = f"{hook} raised {exception_line(exc)}"
        super().__init__(f"plugin {plugin}: {self.detail}")


class HistoryError(UsageError):
    """The run history cannot be used: ``path`` is the database, ``problem`` why (not a
    private location, a schema from a newer gini-host, unreadable)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"history database {path}: {problem}")


class UnknownRunError(UsageError):
    """A RUN given to ``runs show``, ``report`` or ``run --resume`` that names no recorded
    run (``matches`` empty) or several (``matches``: the run ids the prefix fits)."""

    def __init__(self, ref: str, matches: Sequence[str] = (), path: str | None = None) -> None:
        self.ref = ref
        self.matches = tuple(matches)
        self.path = path
        if self.matches:
            shown = ", ".join(self.matches[:5]) + (", ..." if len(self.matches) > 5 else "")
            message = (
                f"run {ref!r} is ambiguous: it is a prefix of {len(self.matches)} runs "
                f"({shown}); give more of the id"
            )
        else:
            where = f" in {path}" if path else ""
            message = f"no recorded run {ref!r}{where} (see 'gini-host runs')"
        super().__init__(message)


class ResumeRefused(UsageError):
    """``run --resume`` would not resume the same thing: ``changes`` says what differs
    from the recorded run (plan, config digest, plugin versions); ``--force`` overrides."""

    def __init__(self, run_id: str, changes: Sequence[str]) -> None:
        self.run_id = run_id
        self.changes = tuple(changes)
        lines = "\n".join(f"  - {c}" for c in self.changes)
        super().__init__(
            f"cannot resume run {run_id}: it ran under different conditions:\n{lines}\n"
            "resume anyway with --force (stages that succeeded then are not run again)"
        )
class PluginTimeoutError(PluginHookError):
    """A plugin's import or boot hook ran past ``[plugins] hook_timeout``; the call was
    abandoned on its thread and the plugin failed."""

    def __init__(self, plugin: str, hook: str, seconds: float) -> None:
        self.plugin = plugin
        self.hook = hook
        self.seconds = seconds
        self.detail = (
            f"{hook} timed out after {seconds:g}s and was abandoned "
            "(raise plugins.hook_timeout if it needs longer)"
        )
        GiniHostError.__init__(self, f"plugin {plugin}: {self.detail}")


def _owner(owner: str | None) -> str:
    return f"plugin {owner!r}" if owner else "the host directly"


class StageNotStopped(StageTimeoutError):
    """A timed-out attempt that was still running after the grace period.

    Python cannot stop a thread, so the stage fails without a retry: the retry would run
    beside the attempt it replaces, and a tag limit would count one of them only.
    """

    def __init__(self, stage_id: str, timeout: float, grace: float) -> None:
        super().__init__(stage_id, timeout)
        self.grace = grace

    def __str__(self) -> str:
        return (
            f"{super().__str__()} and did not stop within {self.grace:g}s of being cancelled; "
            "not retried, it may still be running"
        )


class EventLoopBlocked(StageNotStopped):
    """A coroutine stage that kept the event loop blocked (``time.sleep``, a busy loop) past
    its timeout and the grace period: the ``async`` executor interrupted it. Not retried:
    the retry would block every other stage of the loop again."""

    def __str__(self) -> str:
        return (
            f"stage {self.stage_id!r} timed out after {self.timeout:g}s while blocking the "
            f"event loop, and was interrupted {self.grace:g}s later; not retried (a coroutine "
            "stage must await, not block: use asyncio.sleep or asyncio.to_thread)"
        )


class LoopBlocked(BaseException):
    """Raised into a coroutine stage that blocks the event loop past its deadline (by the
    ``async`` executor's watchdog); the attempt then fails with :class:`EventLoopBlocked`."""

    def __init__(self, grace: float) -> None:
        super().__init__(grace)
        self.grace = grace


class ObserverError(GiniHostError):
    """Observer hooks raised during a run; the run itself finished.

    ``faults`` lists every :class:`ObserverFault` in order, ``errors`` the same as (hook,
    exception) pairs; ``hook`` and ``plugin`` are those of the first (its exception is the
    ``__cause__``), and ``result`` is the run's whole result.
    """

    def __init__(self, faults: list[ObserverFault], result: PipelineResult) -> None:
        self.faults = tuple(faults)
        self.errors = tuple((f.hook, f.error) for f in self.faults)
        self.result = result
        first = self.faults[0]
        self.hook, self.plugin = first.hook, first.plugin
        more = f" ({len(self.faults)} observer calls raised)" if len(self.faults) > 1 else ""
        super().__init__(
            f"{first.describe()}{more}; the run of pipeline {result.pipeline!r} finished "
            f"({result.status}), its result is kept on this error"
        )

    def lines(self) -> list[str]:
        """One line per plugin and hook that raised, with how many calls did."""
        counts: dict[tuple[str, str | None], tuple[ObserverFault, int]] = {}
        for fault in self.faults:
            key = (fault.hook, fault.plugin)
            first, n = counts.get(key, (fault, 0))
            counts[key] = (first, n + 1)
        return [
            first.describe() + (f" ({n} calls)" if n > 1 else "")
            for first, n in counts.values()
        ]


class PluginConflictError(UsageError):
    """Active plugins conflict and the config says to stop (``on_conflict = "error"``)."""

    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = tuple(conflicts)
        lines = []
        for c in self.conflicts:
            lines.append(
                f"  - {c}\n    resolve with -p no:{c.second} (or -p no:{c.first}), "
                f'plugins.disable = ["{c.second}"], or plugins.on_conflict = "disable-later"'
            )
        super().__init__("plugins conflict, refusing to start:\n" + "\n".join(lines))


class UnknownPluginError(UsageError):
    """``check`` was given a name that is no installed plugin and no importable module."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = did_you_mean(self.suggestions)
        super().__init__(f"no installed plugin or importable module named {name!r}{hint}")
