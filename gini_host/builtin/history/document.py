"""The run document (``/docs/operators.md``, "History and resume"): one recorded run as one
JSON-able mapping, what ``runs show --json`` prints and ``gini-host report`` renders.

Times are epoch seconds, durations seconds. Fields grow, never change meaning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from gini_host.builtin.history.store import HistoryStore
from gini_host.builtin.history.values import JSON, NOT_STORED, PICKLE
from gini_host.errors import UnknownRunError

__all__ = [
    "STATUSES",
    "list_entry",
    "list_runs",
    "load_run_document",
    "open_store",
    "run_document",
]

#: Every stage status, in the order counts are given.
STATUSES = ("succeeded", "failed", "skipped", "cancelled", "dry_run")


def open_store(
    store_or_path: HistoryStore | str | os.PathLike[str], run_ref: str
) -> tuple[HistoryStore, bool]:
    """The store, and whether the caller opened it (and must close it); a database that
    does not exist records no run, so ``run_ref`` is unknown."""
    if isinstance(store_or_path, HistoryStore):
        return store_or_path, False
    path = os.fspath(store_or_path)
    store = HistoryStore.open(path, create=False)
    if store is None:
        raise UnknownRunError(run_ref, path=path)
    return store, True


def load_run_document(
    store_or_path: HistoryStore | str | os.PathLike[str], run_ref: str
) -> dict[str, Any]:
    """The run document of ``run_ref`` (a run id, a unique prefix of one, or ``last``).

    ``store_or_path`` is an open :class:`HistoryStore` or the database's path. Raises
    :class:`~gini_host.errors.UnknownRunError` for a run that is not recorded or a prefix
    of several, :class:`~gini_host.errors.HistoryError` for a database that cannot be used.
    """
    store, owned = open_store(store_or_path, run_ref)
    try:
        with store.reading():
            return run_document(store, store.resolve(run_ref))
    finally:
        if owned:
            store.close()


def _loads(text: str | None, default: Any) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _counts(statuses: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        if status in counts:
            counts[status] += 1
    return counts


def _summary(run: Mapping[str, Any]) -> dict[str, Any]:
    """What the listing and the document both say of a run."""
    started, finished = run["started_at"], run["finished_at"]
    return {
        "run_id": run["run_id"],
        "targets": _loads(run["targets"], []),
        "status": run["status"],
        "started_at": started,
        "finished_at": finished,
        "duration": (finished - started) if finished is not None else None,
    }


def run_document(store: HistoryStore, run_id: str) -> dict[str, Any]:
    """The run document of the recorded run ``run_id`` (an exact id)."""
    run = store.run_row(run_id)
    plan = _loads(run["plan"], {"stages": [], "edges": []})
    by_stage = {row["stage_id"]: row for row in store.stage_rows(run_id)}
    logs: dict[str | None, list[dict[str, Any]]] = {}
    for stage_id, when, level, message in store.log_rows(run_id):
        logs.setdefault(stage_id, []).append({"time": when, "level": level, "message": message})
    order = list(plan.get("stages", []))
    order += [sid for sid in by_stage if sid not in order]
    stages = [_stage(sid, by_stage.get(sid), run["status"], logs.get(sid, [])) for sid in order]
    return {
        **_summary(run),
        "executor": run["executor"],
        "jobs": run["jobs"],
        "dry_run": bool(run["dry_run"]),
        "resumed_from": run["resumed_from"],
        "host_version": run["host_version"],
        "plugins": _loads(run["plugins"], {}),
        "config_digest": run["config_digest"],
        "plan": {"stages": plan.get("stages", []), "edges": plan.get("edges", [])},
        "counts": _counts([s["status"] for s in stages]),
        "stages": stages,
    }


def _unfinished(stage_id: str, run_status: str) -> dict[str, Any]:
    """A plan stage with no recorded result: the run stopped (or is still going) first."""
    if run_status == "running":
        status, reason = "running", "no result yet: the run is still going"
    else:
        status, reason = "interrupted", "no result: the run ended before this stage finished"
    return {
        "stage_id": stage_id,
        "plugin": stage_id.partition("::")[0] if "::" in stage_id else None,
        "status": status,
        "reason": reason,
        "attempts": 0,
        "started_at": None,
        "finished_at": None,
        "duration": None,
        "worker": None,
        "error": None,
        "value_stored": False,
        "value_note": "no result was recorded",
        "attempt_log": [],
        "reused_from": None,
    }


def _stage(
    stage_id: str, row: Mapping[str, Any] | None, run_status: str, logs: list[dict[str, Any]]
) -> dict[str, Any]:
    if row is None:
        unfinished = _unfinished(stage_id, run_status)
        unfinished["logs"] = logs
        return unfinished
    started, duration = row["started_at"], row["duration"]
    finished = started + duration if started is not None and duration is not None else None
    error = _loads(row["error"], None)
    doc: dict[str, Any] = {
        "stage_id": stage_id,
        "plugin": row["plugin"],
        "status": row["status"],
        "reason": row["reason"],
        "attempts": row["attempts"],
        "started_at": started,
        "finished_at": finished,
        "duration": duration,
        "worker": row["worker"],
        "error": error,
    }
    kind = row["value_kind"]
    if kind == JSON:
        doc["value"] = _loads(row["value"], None)
    else:
        doc["value_repr"] = row["value_repr"]
    doc["value_stored"] = kind in (JSON, PICKLE)
    doc["value_note"] = row["value_note"] if kind == NOT_STORED else None
    attempt_log = _loads(row["attempt_log"], None)
    if attempt_log is None:
        attempt_log = _single_attempt(row, error, finished)
    doc["attempt_log"] = attempt_log
    doc["reused_from"] = row["reused_from"]
    doc["logs"] = logs
    return doc


def _single_attempt(
    row: Mapping[str, Any], error: Mapping[str, Any] | None, finished: float | None
) -> list[dict[str, Any]]:
    """The one attempt of a stage that the engine did not log attempt by attempt (it
    succeeded at once, or never ran: then there is none)."""
    if not row["attempts"] or row["started_at"] is None or row["reused_from"]:
        return []
    one_line = None
    if error:
        first = str(error.get("message") or "").splitlines()
        kind = error.get("type") or ""
        one_line = f"{kind}: {first[0]}" if first and first[0] != kind else kind
    return [
        {
            "number": 1,
            "started_at": row["started_at"],
            "finished_at": finished,
            "status": row["status"],
            "error": one_line,
            "worker": row["worker"],
        }
    ]


def list_runs(
    store: HistoryStore, limit: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """``gini-host runs --json``: runs newest first, each as :func:`list_entry`."""
    with store.reading():
        return [list_entry(store, row) for row in store.list_runs(limit, status)]


def list_entry(store: HistoryStore, row: Mapping[str, Any]) -> dict[str, Any]:
    """One run of the listing: counts as recorded at its end, or counted now for a run that
    did not end (running or interrupted)."""
    counts = _loads(row["counts"], None)
    if counts is None:
        counts = store.stage_counts(row["run_id"])
    return {
        **_summary(row),
        "counts": {**dict.fromkeys(STATUSES, 0), **counts},
        "dry_run": bool(row["dry_run"]),
        "resumed_from": row["resumed_from"],
    }
