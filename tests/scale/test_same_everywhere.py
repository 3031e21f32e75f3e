"""The same pipeline gives the same statuses, values and store under all five executors."""

from __future__ import annotations

from typing import Any

import pytest

from gini_host import ContextKey, PipelineResult, StageContext, StageManager, stage

TOTAL = ContextKey[int]("total")


@stage
def source(ctx: StageContext) -> list[int]:
    return [1, 2, 3]


@stage(requires="source")
def doubled(ctx: StageContext) -> list[int]:
    return [2 * x for x in ctx.results["source"]]


@stage(requires="doubled")
def total(ctx: StageContext) -> int:
    ctx[TOTAL] = sum(ctx.results["doubled"])
    return ctx[TOTAL]


@stage(requires="total")
def report(ctx: StageContext) -> str:
    return f"{ctx.config.get('label', 'total')}={ctx[TOTAL]}"


async def _fetch(ctx: StageContext) -> str:
    return "fetched"


fetch = stage(name="fetch")(_fetch)


@stage(optional=True)
def extras(ctx: StageContext) -> None:
    raise LookupError("no extras here")


@stage(requires="extras")
def after_extras(ctx: StageContext) -> str:
    return "ran"


@stage(retries=2)
def broken(ctx: StageContext) -> None:
    raise RuntimeError("broken on purpose")


@stage(requires="broken")
def after_broken(ctx: StageContext) -> str:
    return "never"


STAGES = (source, doubled, total, report, fetch, extras, after_extras, broken, after_broken)


def _run(executor: Any, *, keep_going: bool) -> PipelineResult:
    manager = StageManager()
    for s in STAGES:
        manager.register_stage(s)
    pipeline = manager.create_pipeline("same", [s.name for s in STAGES])
    return manager.execute_pipeline(
        pipeline,
        executor=executor,
        keep_going=keep_going,
        max_workers=2,
        stage_config={"report": {"label": "sum"}},
    )


def _facts(result: PipelineResult) -> dict[str, tuple[str, Any, str | None, int]]:
    return {
        sid: (
            r.status.value,
            r.value,
            r.error.one_line() if r.error else r.reason,
            r.attempts,
        )
        for sid, r in result.items()
    }


@pytest.fixture(scope="module")
def expected() -> dict[bool, dict[str, tuple[str, Any, str | None, int]]]:
    return {kg: _facts(_run("sequential", keep_going=kg)) for kg in (True, False)}


def test_expected_outcome_is_the_documented_one(expected: dict[bool, Any]) -> None:
    """The reference run (sequential, keep_going) is what the rules say."""
    facts = expected[True]
    assert facts["report"] == ("succeeded", "sum=12", None, 1)
    assert facts["fetch"] == ("succeeded", "fetched", None, 1)
    assert facts["extras"][0] == "failed"
    assert facts["after_extras"] == ("succeeded", "ran", None, 1)
    assert facts["broken"] == ("failed", None, "RuntimeError: broken on purpose", 3)
    assert facts["after_broken"] == ("skipped", None, "upstream stage broken failed", 0)


def test_keep_going_same_under_every_executor(executor: Any, expected: dict[bool, Any]) -> None:
    """keep_going: every status, value, error and attempt count equals the sequential run's."""
    assert _facts(_run(executor, keep_going=True)) == expected[True]


def test_every_executor_keeps_the_store_and_values(executor: Any) -> None:
    """Values and store writes made in workers come back to the host's run state."""
    result = _run(executor, keep_going=True)
    assert result.outputs["total"] == 12
    assert result.outputs["doubled"] == [2, 4, 6]
    assert not result.ok
    assert list(result.failures) == ["extras", "broken"]
