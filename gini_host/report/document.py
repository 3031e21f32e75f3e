"""The run document (RUN_DOC contract, ``gini-host runs show RUN --json``) read into typed records.

The document is stored data written from plugin output, so nothing in it is trusted: a field of
the wrong type reads as unknown, text is made printable (lone surrogates and control characters
replaced, so writing the page as UTF-8 cannot fail) and bounded, and a stage the plan names but
no record describes is shown as not started. The renderers then only deal with these records.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = [
    "STATUSES",
    "Attempt",
    "LogLine",
    "RunView",
    "StageError",
    "StageView",
    "UNKNOWN",
    "format_duration",
    "format_time",
    "read_run",
    "shorten",
    "status_class",
    "text",
]

#: Stage statuses in the order the legend lists them; anything else is drawn as ``other``.
STATUSES = (
    "succeeded",
    "failed",
    "skipped",
    "cancelled",
    "interrupted",
    "running",
    "dry_run",
    "not_started",
)
NOT_STARTED = "not_started"
#: What the page shows for an unknown value (an en dash).
UNKNOWN = "\u2013"
#: Bounds on what one page shows, so a chatty or hostile stage cannot make it unusable.
TEXT_LIMIT = 20_000
SHORT_LIMIT = 300
#: Stage ids are cut later than other short text: two ids must not become one by the cut.
ID_LIMIT = 2_000
LOG_LIMIT = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@attrs.frozen
class Attempt:
    """One attempt at a stage, as the timeline draws it."""

    number: int
    started_at: float | None
    finished_at: float | None
    status: str
    error: str | None
    worker: str | None


@attrs.frozen
class LogLine:
    time: float | None
    level: str
    message: str


@attrs.frozen
class StageError:
    type: str
    message: str
    traceback: str | None


@attrs.frozen
class StageView:
    """One stage of the run, every field optional except its id and status."""

    stage_id: str
    plugin: str | None
    status: str
    reason: str | None
    attempts: int | None
    started_at: float | None
    finished_at: float | None
    duration: float | None
    worker: str | None
    error: StageError | None
    value: str | None
    value_note: str | None
    attempt_log: tuple[Attempt, ...]
    logs: tuple[LogLine, ...]
    logs_omitted: int
    #: The run whose result this resumed run reused instead of running the stage again.
    reused_from: str | None = None

    @property
    def ran(self) -> bool:
        """Whether the stage ran in this run (a skipped one's duration of 0 means nothing)."""
        return self.started_at is not None and self.duration is not None and self.attempts != 0


@attrs.frozen
class RunView:
    run_id: str
    targets: tuple[str, ...]
    status: str
    started_at: float | None
    finished_at: float | None
    duration: float | None
    executor: str | None
    jobs: int | None
    dry_run: bool
    resumed_from: str | None
    host_version: str | None
    plugins: tuple[tuple[str, str], ...]
    stages: tuple[StageView, ...]
    edges: tuple[tuple[str, str], ...]

    def count(self, status: str) -> int:
        return sum(1 for stage in self.stages if stage.status == status)


def status_class(status: str) -> str:
    """The CSS class for a status: a known one, or ``other`` (never text from the document)."""
    return status if status in STATUSES else "other"


def read_run(doc: Mapping[str, Any]) -> RunView:
    """The typed view of a run document; never raises on a malformed field."""
    plan = _mapping(doc.get("plan"))
    records: dict[str, StageView] = {}
    for raw in _sequence(doc.get("stages")):
        stage = _read_stage(_mapping(raw))
        if stage is not None and stage.stage_id not in records:
            records[stage.stage_id] = stage
    for stage_id in _texts(plan.get("stages")):
        records.setdefault(stage_id, _not_started(stage_id))
    planned = list(dict.fromkeys(_texts(plan.get("stages"))))
    ordered = [records[s] for s in planned]
    ordered += [s for s in records.values() if s.stage_id not in planned]
    edges = []
    for raw in _sequence(plan.get("edges")):
        pair = _texts(raw)
        if len(pair) == 2 and pair[0] in records and pair[1] in records:
            edges.append((pair[0], pair[1]))
    plugins = _mapping(doc.get("plugins"))
    return RunView(
        run_id=text(doc.get("run_id"), SHORT_LIMIT) or "(unknown run)",
        targets=tuple(_texts(doc.get("targets"))),
        status=text(doc.get("status"), SHORT_LIMIT) or "unknown",
        started_at=number(doc.get("started_at")),
        finished_at=number(doc.get("finished_at")),
        duration=number(doc.get("duration")),
        executor=text(doc.get("executor"), SHORT_LIMIT),
        jobs=_integer(doc.get("jobs")),
        dry_run=doc.get("dry_run") is True,
        resumed_from=text(doc.get("resumed_from"), SHORT_LIMIT),
        host_version=text(doc.get("host_version"), SHORT_LIMIT),
        plugins=tuple(
            (text(k, SHORT_LIMIT) or "?", text(v, SHORT_LIMIT) or "?") for k, v in plugins.items()
        ),
        stages=tuple(ordered),
        edges=tuple(dict.fromkeys(edges)),
    )


def _read_stage(raw: Mapping[str, Any]) -> StageView | None:
    stage_id = text(raw.get("stage_id"), ID_LIMIT)
    if not stage_id:
        return None
    logs = [_read_log(_mapping(line)) for line in _sequence(raw.get("logs"))]
    return StageView(
        stage_id=stage_id,
        plugin=text(raw.get("plugin"), SHORT_LIMIT),
        status=text(raw.get("status"), SHORT_LIMIT) or "unknown",
        reason=text(raw.get("reason"), TEXT_LIMIT),
        attempts=_integer(raw.get("attempts")),
        started_at=number(raw.get("started_at")),
        finished_at=number(raw.get("finished_at")),
        duration=number(raw.get("duration")),
        worker=text(raw.get("worker"), SHORT_LIMIT),
        error=_read_error(raw.get("error")),
        value=_read_value(raw),
        value_note=text(raw.get("value_note"), TEXT_LIMIT),
        attempt_log=tuple(_read_attempts(raw.get("attempt_log"))),
        logs=tuple(logs[:LOG_LIMIT]),
        logs_omitted=max(len(logs) - LOG_LIMIT, 0),
        reused_from=text(raw.get("reused_from"), SHORT_LIMIT),
    )


def _not_started(stage_id: str) -> StageView:
    return StageView(
        stage_id, stage_id.partition("::")[0] or None, NOT_STARTED, "no record of this stage "
        "(the run ended before it started)", None, None, None, None, None, None, None, None,
        (), (), 0,
    )


def _read_error(raw: Any) -> StageError | None:
    if not isinstance(raw, Mapping):
        return None
    return StageError(
        type=text(raw.get("type"), SHORT_LIMIT) or "Error",
        message=text(raw.get("message"), TEXT_LIMIT) or "",
        traceback=text(raw.get("traceback"), TEXT_LIMIT),
    )


def _read_value(raw: Mapping[str, Any]) -> str | None:
    """The value as the page shows it: JSON when stored as JSON, else its stored repr."""
    if "value" in raw:
        try:
            shown = json.dumps(raw["value"], ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            shown = None
        if shown is not None:
            return text(shown, TEXT_LIMIT)
    return text(raw.get("value_repr"), TEXT_LIMIT)


def _read_attempts(raw: Any) -> list[Attempt]:
    attempts = []
    for index, item in enumerate(_sequence(raw), start=1):
        entry = _mapping(item)
        attempts.append(
            Attempt(
                number=_integer(entry.get("number")) or index,
                started_at=number(entry.get("started_at")),
                finished_at=number(entry.get("finished_at")),
                status=text(entry.get("status"), SHORT_LIMIT) or "unknown",
                error=text(entry.get("error"), TEXT_LIMIT),
                worker=text(entry.get("worker"), SHORT_LIMIT),
            )
        )
    return attempts


def _read_log(raw: Mapping[str, Any]) -> LogLine:
    return LogLine(
        time=number(raw.get("time")),
        level=(text(raw.get("level"), 20) or "INFO").upper(),
        message=text(raw.get("message"), TEXT_LIMIT) or "",
    )


def text(value: Any, limit: int) -> str | None:
    """``value`` as printable, bounded text; None stays None (unknown)."""
    if value is None:
        return None
    if isinstance(value, str):
        raw = value
    elif isinstance(value, bool | int | float):
        raw = str(value)
    else:
        return None  # not a scalar: a malformed field
    raw = raw.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    raw = _CONTROL.sub("\ufffd", raw)
    if len(raw) > limit:
        raw = f"{raw[:limit]}… ({len(raw) - limit} more characters)"
    return raw


def shorten(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters with an ellipsis, for a box of fixed width."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def number(value: Any) -> float | None:
    """A finite number, else None (booleans and strings are not times)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _texts(value: Any) -> list[str]:
    return [t for t in (text(v, ID_LIMIT) for v in _sequence(value)) if t]


def format_time(epoch: float | None) -> str:
    """``2026-12-01 05:01:02 UTC``: one clock for every reader of the page."""
    if epoch is None:
        return UNKNOWN
    try:
        moment = datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return UNKNOWN
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(seconds: float | None) -> str:
    """A duration at the precision a person reads: ``412 ms``, ``3.28 s``, ``2 min 5 s``."""
    if seconds is None or seconds < 0:
        return UNKNOWN
    if seconds < 0.0001:
        return "<0.1 ms"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
