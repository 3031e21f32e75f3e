"""The outcome of a run: one :class:`StageResult` per stage, gathered in a :class:`PipelineResult`.

Results are honest: a stage that never ran is ``skipped`` or ``cancelled`` with the reason,
never left out, and a failed run keeps every value the stages before the failure produced.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from gini_host.errors import RunCancelled, StageFailure
from gini_host.shown import (
    exception_line,
    safe_message,
    safe_repr,
    safe_traceback,
    type_name,
)

if TYPE_CHECKING:
    from gini_host.stages.stage import Stage

__all__ = [
    "AttemptRecord",
    "ErrorInfo",
    "PipelineResult",
    "StageResult",
    "StageStatus",
]

class StageStatus(enum.StrEnum):
    """What became of a stage in a run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    DRY_RUN = "dry_run"
    CANCELLED = "cancelled"


@attrs.frozen(slots=True)
class ErrorInfo:
    """Why a stage failed: exception type, one-line message and the formatted traceback."""

    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, exc: BaseException, *, with_traceback: bool = True) -> ErrorInfo:
        """The one way the host describes an exception, whatever it is: one whose
        ``__str__``/``__repr__`` raises gets a placeholder message, a huge message is cut,
        and nothing here raises (the run's own interrupt aside). Stage failures (in workers
        too), observer errors and values that cannot cross to a worker are all described here.
        """
        name = type_name(exc)
        return cls(
            type=name,
            message=safe_message(exc) or name,
            traceback=safe_traceback(exc) if with_traceback else "",
        )

    @classmethod
    def describe(cls, exc: BaseException) -> str:
        """``Type: first line of the message``, safely (see :meth:`from_exception`)."""
        return exception_line(exc)

    @staticmethod
    def message_of(exc: BaseException) -> str:
        """The message alone (the type's name when empty), safely: a cancel's reason."""
        return safe_message(exc) or type_name(exc)

    def one_line(self) -> str:
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.type}: {first}" if first != self.type else self.type


@attrs.frozen(slots=True)
class AttemptRecord:
    """One attempt of a stage body: when it ran, where, and how it ended.

    Kept only for stages that needed more than one attempt or failed: a stage that succeeds
    at its first attempt (nearly all) is one attempt from ``started_at`` for ``duration`` on
    its ``worker``, and recording that again would cost every stage for nothing.
    """

    number: int
    started_at: float
    finished_at: float
    status: str
    error: str | None = None
    worker: str | None = None


@attrs.frozen(slots=True)
class StageResult:
    """The outcome of one stage.

    ``value`` is the stage's return value (for a dry run, its description). ``reason`` says why
    a stage was skipped or cancelled. ``exception`` keeps the original exception in-process.
    ``worker`` says where the (last) attempt ran: a thread name, ``pid N`` for a worker
    process, a Dask worker's address. ``attempt_log`` has one :class:`AttemptRecord` per
    attempt when there was more than one or the stage did not succeed (empty otherwise).
    ``reused_from`` names the earlier run whose recorded result a resumed run took instead
    of running the stage again.
    """

    stage_id: str
    status: StageStatus
    plugin: str | None = None
    #: Shown bounded in ``repr(result)``: a self-referential or deep value must not break it.
    value: Any = attrs.field(default=None, repr=lambda value: safe_repr(value, 200))
    error: ErrorInfo | None = None
    reason: str | None = None
    started_at: float | None = None
    duration: float = 0.0
    attempts: int = 0
    optional: bool = False
    exception: BaseException | None = attrs.field(default=None, repr=False, eq=False)
    worker: str | None = None
    attempt_log: tuple[AttemptRecord, ...] = ()
    reused_from: str | None = None

    @classmethod
    def of_failure(
        cls,
        stage: Stage,
        exc: BaseException,
        *,
        started_at: float | None = None,
        duration: float = 0.0,
        attempts: int = 1,
    ) -> StageResult:
        """``failed`` with ``exc`` as its error (kept as ``exception``)."""
        return cls(
            stage.id,
            StageStatus.FAILED,
            plugin=stage.plugin,
            error=ErrorInfo.from_exception(exc),
            started_at=started_at,
            duration=duration,
            attempts=attempts,
            optional=stage.optional,
            exception=exc,
        )

    @classmethod
    def of_cancel(
        cls,
        stage: Stage,
        reason: str,
        *,
        started_at: float | None = None,
        duration: float = 0.0,
        attempts: int = 0,
        last_error: BaseException | None = None,
    ) -> StageResult:
        """``cancelled`` for ``reason``; ``last_error`` is the error of a failed attempt that
        was to be retried."""
        return cls(
            stage.id,
            StageStatus.CANCELLED,
            plugin=stage.plugin,
            error=ErrorInfo.from_exception(last_error) if last_error is not None else None,
            reason=reason,
            started_at=started_at,
            duration=duration,
            attempts=attempts,
            optional=stage.optional,
            exception=last_error,
        )

    @classmethod
    def not_started(cls, stage: Stage, status: StageStatus, reason: str) -> StageResult:
        """A stage that never ran: ``skipped`` or ``cancelled``, and why."""
        return cls(stage.id, status, plugin=stage.plugin, reason=reason, optional=stage.optional)

    @property
    def detail(self) -> str:
        """Why the stage ended as it did, on one line: the error of a failure (``Type: first
        line``), else the reason of a skip or cancellation (or the run a reused result came
        from), else ``""``. What the summary table, ``assert_statuses`` and the CLI show next
        to the status."""
        if self.error is not None:
            return self.error.one_line()
        if self.reused_from is not None:
            return f"reused from run {self.reused_from}"
        return self.reason or ""

    @property
    def ok(self) -> bool:
        """True unless this result fails the pipeline (an optional stage's failure does not)."""
        if self.status is StageStatus.FAILED:
            return self.optional
        return self.status is not StageStatus.CANCELLED


def _read_only(results: Mapping[str, StageResult]) -> Mapping[str, StageResult]:
    return MappingProxyType(dict(results))


@attrs.frozen(slots=True, eq=False)
class PipelineResult(Mapping[str, StageResult]):
    """Read-only mapping from stage id to :class:`StageResult`, in plan order."""

    pipeline: str
    run_id: str
    #: Read-only: a copy of the mapping given, behind a ``MappingProxyType``.
    results: Mapping[str, StageResult] = attrs.field(converter=_read_only)
    started_at: float
    duration: float
    dry_run: bool = False
    interrupted: bool = False

    def __getitem__(self, stage_id: str) -> StageResult:
        return self.results[stage_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        return f"<PipelineResult {self.pipeline} {self.status} {self.counts()}>"

    @property
    def ok(self) -> bool:
        """True when no stage failed (optional ones aside) and nothing was cancelled."""
        return not self.interrupted and all(r.ok for r in self.results.values())

    @property
    def status(self) -> str:
        """``succeeded``, ``failed`` or ``cancelled``, for people and JSON."""
        if self.interrupted or any(
            r.status is StageStatus.CANCELLED for r in self.results.values()
        ):
            return "cancelled"
        return "succeeded" if self.ok else "failed"

    @property
    def failures(self) -> dict[str, StageResult]:
        """The failed stages (optional ones included), by id, in plan order."""
        return {k: r for k, r in self.results.items() if r.status is StageStatus.FAILED}

    @property
    def outputs(self) -> dict[str, Any]:
        """Return values of the stages that succeeded, by id."""
        return {k: r.value for k, r in self.results.items() if r.status is StageStatus.SUCCEEDED}

    def counts(self) -> dict[str, int]:
        """How many stages ended in each status (only statuses that occur)."""
        counts: dict[str, int] = {}
        for r in self.results.values():
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        return counts

    def timings(self) -> dict[str, float]:
        """Seconds spent per stage, slowest first."""
        pairs = sorted(self.results.items(), key=lambda kv: kv[1].duration, reverse=True)
        return {k: r.duration for k, r in pairs}

    def raise_for_status(self) -> None:
        """Raise one ExceptionGroup: a StageFailure per failed non-optional stage, plus one
        RunCancelled naming the cancelled stages when the run was interrupted."""
        errors: list[Exception] = []
        cancelled: list[str] = []
        for stage_id, result in self.results.items():
            if result.status is StageStatus.CANCELLED:
                cancelled.append(stage_id)
            elif not result.ok:
                failure = StageFailure(stage_id, result.plugin, result.detail)
                failure.__cause__ = result.exception
                errors.append(failure)
        if cancelled or self.interrupted:
            reason = next((self.results[c].reason for c in cancelled), None)
            errors.append(RunCancelled(self.pipeline, cancelled, reason))
        if errors:
            failed = len(errors) - (1 if cancelled or self.interrupted else 0)
            what = f"{failed} stage(s) failed" if failed else "interrupted"
            raise ExceptionGroup(f"pipeline {self.pipeline!r}: {what}", errors)
