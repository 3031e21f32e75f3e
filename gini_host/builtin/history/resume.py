"""Resuming a recorded run: what to run again, what to take as it was, and when to refuse.

A resume re-runs every stage of the recorded run that did not succeed (failed, cancelled,
skipped, never started) and everything that depends on one of them; the stages that
succeeded are not run again, their recorded values are what later stages read from
``ctx.results`` (:attr:`gini_host.stages.scheduler.RunOptions.reuse`). A succeeded stage
whose value was not stored, or can no longer be read back, is run again too.

Taking results from another run is only sound if the run would be the same: the plan (its
stages and edges), the configuration digest and every plugin's version must match. If not,
:class:`~gini_host.errors.ResumeRefused` names what changed, unless ``force``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from loguru import logger

from gini_host.builtin.history.rows import config_digest, plan_of, plugin_versions
from gini_host.builtin.history.store import HistoryStore
from gini_host.builtin.history.values import ValueNotRestorable, decode
from gini_host.errors import ResumeRefused, UsageError
from gini_host.stages.pipeline import Pipeline
from gini_host.stages.results import StageResult, StageStatus

__all__ = ["ResumePlan", "changes_since", "plan_resume"]


@attrs.frozen(slots=True)
class ResumePlan:
    """What ``run --resume`` runs: ``pipeline`` (the recorded targets, planned again), the
    results it ``reuse``\\ s, the stages it runs again (``rerun``, plan order) and the
    ``labels`` of the new run (``resumed_from``)."""

    run_id: str
    targets: tuple[str, ...]
    pipeline: Pipeline
    reuse: Mapping[str, StageResult]
    rerun: tuple[str, ...]
    labels: Mapping[str, str]


def changes_since(recorded: Mapping[str, Any], pipeline: Pipeline, host: Any) -> list[str]:
    """What differs between the recorded run and a run of ``pipeline`` on ``host`` now."""
    changes: list[str] = []
    now = plan_of(pipeline)
    then = recorded["plan"]
    added = [s for s in now["stages"] if s not in then["stages"]]
    removed = [s for s in then["stages"] if s not in now["stages"]]
    if added or removed:
        parts = [
            f"added {', '.join(added)}" if added else "",
            f"removed {', '.join(removed)}" if removed else "",
        ]
        changes.append("plan: stages " + "; ".join(p for p in parts if p))
    elif sorted(map(tuple, now["edges"])) != sorted(map(tuple, then["edges"])):
        changes.append("plan: the stages' requirements (edges) changed")
    digest = config_digest(host.config)
    if recorded.get("config_digest") and digest != recorded["config_digest"]:
        changes.append(
            f"config: digest {recorded['config_digest'][:12]} -> {digest[:12]} "
            "(gini.toml or its stage settings changed)"
        )
    versions_then: Mapping[str, str] = recorded.get("plugins") or {}
    versions_now = plugin_versions(host)
    for name in sorted(set(versions_then) | set(versions_now)):
        before, after = versions_then.get(name), versions_now.get(name)
        if before == after:
            continue
        if before is None:
            changes.append(f"plugin {name}: now active ({after or 'no version'})")
        elif after is None:
            changes.append(f"plugin {name}: no longer active (was {before or 'no version'})")
        else:
            changes.append(f"plugin {name}: version {before or '?'} -> {after or '?'}")
    return changes


def _to_rerun(pipeline: Pipeline, keep: set[str]) -> list[str]:
    """Stages not kept, and every stage downstream of one, in plan order."""
    rerun: set[str] = set()
    for sid in pipeline.stages:  # plan order: requirements come first
        if sid not in keep or any(d in rerun for d in pipeline.requires[sid]):
            rerun.add(sid)
    return [sid for sid in pipeline.stages if sid in rerun]


def _reusable(
    doc: Mapping[str, Any], store: HistoryStore, pipeline: Pipeline
) -> dict[str, StageResult]:
    """Results of the recorded run's succeeded stages, with their values read back."""
    run_id = doc["run_id"]
    rows = {row["stage_id"]: row for row in store.stage_rows(run_id)}
    results: dict[str, StageResult] = {}
    for sid, stage in pipeline.stages.items():
        row = rows.get(sid)
        if row is None or row["status"] != StageStatus.SUCCEEDED.value:
            continue
        try:
            value = decode(row["value_kind"], row["value"])
        except ValueNotRestorable as exc:
            logger.info("resume: {} runs again: its recorded value {}", sid, exc)
            continue
        results[sid] = StageResult(
            sid,
            StageStatus.SUCCEEDED,
            plugin=stage.plugin,
            value=value,
            started_at=row["started_at"],
            duration=row["duration"] or 0.0,
            attempts=row["attempts"],
            optional=stage.optional,
            worker=row["worker"],
            reused_from=row["reused_from"] or run_id,
        )
    return results


def plan_resume(
    doc: Mapping[str, Any],
    store: HistoryStore,
    host: Any,
    *,
    force: bool = False,
    plan: Any = None,
) -> ResumePlan:
    """The resume of the recorded run ``doc`` (its run document) on ``host``.

    ``plan`` plans targets (default ``host.plan``). Raises :class:`ResumeRefused` when the
    run would differ and not ``force``, :class:`UsageError` for a run still going.
    """
    run_id = doc["run_id"]
    if doc["status"] == "running":
        raise UsageError(
            f"run {run_id} is still running (or its host's process is alive); "
            "resume it once it has ended"
        )
    targets: Sequence[str] = tuple(doc["targets"])
    if not targets:
        raise UsageError(f"run {run_id} recorded no targets; it cannot be resumed")
    pipeline = (plan or host.plan)(targets)
    changes = changes_since(doc, pipeline, host)
    if changes and not force:
        raise ResumeRefused(run_id, changes)
    for change in changes:
        logger.warning("resume of {} forced despite: {}", run_id, change)
    reuse = _reusable(doc, store, pipeline)
    rerun = _to_rerun(pipeline, set(reuse))
    taken = {sid: r for sid, r in reuse.items() if sid not in rerun}
    return ResumePlan(
        run_id=run_id,
        targets=tuple(targets),
        pipeline=pipeline,
        reuse=taken,
        rerun=tuple(rerun),
        labels={"resumed_from": run_id},
    )
