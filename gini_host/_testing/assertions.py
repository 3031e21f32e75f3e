"""Assertions on run results that explain themselves: ``assert_statuses``."""

from __future__ import annotations

from collections.abc import Mapping

from gini_host.stages.results import PipelineResult, StageStatus

__all__ = ["assert_statuses", "status_diff"]


def status_diff(result: PipelineResult, expected: Mapping[str, str | StageStatus]) -> list[str]:
    """One line per stage of the run or of ``expected``, marking each difference; empty when
    every stage ended as expected and no other stage ran."""
    wanted = {sid: StageStatus(s) for sid, s in expected.items()}
    ids = [*result, *(sid for sid in wanted if sid not in result)]
    width = max(len(sid) for sid in ids) if ids else 0
    lines: list[str] = []
    differs = False
    for sid in ids:
        got = result.get(sid)
        want = wanted.get(sid)
        if got is None:
            differs = True
            lines.append(f"- {sid:<{width}}  expected {want}, but it is not in the run")
            continue
        detail = got.detail
        shown = f"{got.status}" + (f"  ({detail})" if detail else "")
        if want is None:
            differs = True
            lines.append(f"+ {sid:<{width}}  not expected, got {shown}")
        elif want is got.status:
            lines.append(f"  {sid:<{width}}  {shown}")
        else:
            differs = True
            lines.append(f"! {sid:<{width}}  expected {want}, got {shown}")
    return lines if differs else []


def assert_statuses(result: PipelineResult, expected: Mapping[str, str | StageStatus]) -> None:
    """Assert that the run's stages ended exactly as ``expected`` (stage id -> status).

    Every stage of the run must be listed. On failure the message lists every stage: ``!``
    a different status, ``+`` a stage not expected, ``-`` an expected stage not in the run,
    each with the error or skip reason.
    """
    __tracebackhide__ = True
    unknown = sorted(str(s) for s in expected.values() if s not in set(StageStatus))
    if unknown:
        choices = ", ".join(s.value for s in StageStatus)
        raise ValueError(f"unknown status(es) {', '.join(unknown)}; use one of {choices}")
    lines = status_diff(result, expected)
    if lines:
        changed = sum(1 for line in lines if not line.startswith(" "))
        header = (
            f"pipeline {result.pipeline!r}: {changed} of {len(lines)} stages differ "
            "(! other status, + not expected, - not in the run)"
        )
        raise AssertionError("\n".join([header, *lines]))
