"""What a run and a stage result become in the database, and the facts a resume compares.

Built on the writer thread (a stage's value is encoded there, off the scheduling thread),
from the engine's own objects: :class:`~gini_host.stages.results.StageResult`,
:class:`~gini_host.stages.pipeline.Pipeline`, :class:`~gini_host.stages.observers.RunInfo`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from gini_host.builtin.history.values import encode_untrusted
from gini_host.stages.observers import RunInfo
from gini_host.stages.pipeline import Pipeline
from gini_host.stages.results import StageResult

__all__ = ["config_digest", "plan_of", "plugin_versions", "run_row", "stage_row"]

#: Config tables that do not change what a run does: where the config came from, and the
#: history's own settings (moving the database must not block resuming from it).
_NOT_DIGESTED = ("source", "history")


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def config_digest(config: Any) -> str:
    """SHA-256 of the effective configuration (plugins, plugin tables, pipelines, stages,
    run defaults), key order and file location aside."""
    data = _plain(config)
    if isinstance(data, dict):
        for key in _NOT_DIGESTED:
            data.pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def plugin_versions(host: Any) -> dict[str, str]:
    """Each active plugin's version (``""`` for one passed in without a distribution)."""
    versions: dict[str, str] = {}
    for info in host.active_plugins():
        versions[info.name] = info.version or ""
    return versions


def plan_of(pipeline: Pipeline) -> dict[str, list[Any]]:
    """``{"stages": [...plan order], "edges": [[requirement, dependent], ...]}``."""
    edges = [[dep, sid] for sid, deps in pipeline.requires.items() for dep in deps]
    return {"stages": list(pipeline.stages), "edges": edges}


def run_row(
    pipeline: Pipeline, info: RunInfo, started_at: float, facts: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``runs`` row of a run that starts now (status ``running``)."""
    return {
        "run_id": info.run_id,
        "pipeline": pipeline.name,
        "targets": json.dumps(list(info.targets)),
        "status": "running",
        "started_at": started_at,
        "executor": info.executor,
        "jobs": info.jobs,
        "dry_run": int(info.dry_run),
        "resumed_from": info.labels.get("resumed_from"),
        "host_version": facts.get("host_version"),
        "plugins": json.dumps(facts.get("plugins", {}), sort_keys=True),
        "config_digest": facts.get("config_digest"),
        "plan": json.dumps(plan_of(pipeline)),
    }


def _error(result: StageResult) -> str | None:
    if result.error is None:
        return None
    e = result.error
    return json.dumps({"type": e.type, "message": e.message, "traceback": e.traceback})


def _attempt_log(result: StageResult) -> str | None:
    if not result.attempt_log:
        return None
    return json.dumps([attrs.asdict(a) for a in result.attempt_log])


def stage_row(run_id: str, position: int, result: StageResult) -> dict[str, Any]:
    """The ``stages`` row of one result; the value encoded here (JSON, pickle or a note)."""
    stored = encode_untrusted(result.value, result.stage_id)
    return {
        "run_id": run_id,
        "stage_id": result.stage_id,
        "position": position,
        "plugin": result.plugin,
        "status": result.status.value,
        "reason": result.reason,
        "attempts": result.attempts,
        "started_at": result.started_at,
        "duration": result.duration,
        "worker": result.worker,
        "error": _error(result),
        "value_kind": stored.kind,
        "value": stored.data,
        "value_repr": stored.repr,
        "value_note": stored.note,
        "attempt_log": _attempt_log(result),
        "reused_from": result.reused_from,
    }
