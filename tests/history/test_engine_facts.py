"""What the engine tells observers for the history: the run's description, each stage's
worker and attempts, results reused from an earlier run; and nested runs recorded apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gini_host import StageContext, StageManager, hookimpl, stage
from gini_host.builtin.history import load_run_document
from gini_host.stages import RunInfo, StageResult, StageStatus
from gini_host.testing import CliInvoker, HostFactory

from .conftest import Cli


class Watcher:
    def __init__(self) -> None:
        self.infos: list[RunInfo] = []

    @hookimpl
    def gini_pipeline_start(self, pipeline: Any, run_id: str, run: RunInfo) -> None:
        self.infos.append(run)


def test_pipeline_start_tells_the_targets_executor_jobs_and_labels() -> None:
    """RunInfo carries what the caller asked for."""
    manager = StageManager()
    watcher = Watcher()
    manager.plugin_manager.register(watcher)
    manager.register_stage(stage(name="a")(lambda ctx: 1))
    plan = manager.create_pipeline("p", ["a"])
    result = manager.execute_pipeline(
        plan, executor="threads", max_workers=2, targets=["p"], labels={"resumed_from": "x"}
    )
    (info,) = watcher.infos
    assert info.run_id == result.run_id
    assert (info.targets, info.executor, info.jobs) == (("p",), "threads", 2)
    assert info.labels == {"resumed_from": "x"}
    assert info.reused == frozenset()


def test_reused_results_are_taken_as_they_are_and_feed_ctx_results() -> None:
    """A stage given in reuse does not run; its value is what dependents read."""
    manager = StageManager()
    ran: list[str] = []

    def first(ctx: StageContext) -> str:
        ran.append("first")
        return "fresh"

    def second(ctx: StageContext) -> str:
        ran.append("second")
        return f"second saw {ctx.results['first']}"

    manager.register_stage(stage(name="first")(first))
    manager.register_stage(stage(name="second", requires=["first"])(second))
    plan = manager.create_pipeline("p", ["second"])
    earlier = StageResult("first", StageStatus.SUCCEEDED, value="recorded", reused_from="old")
    result = manager.execute_pipeline(plan, reuse={"first": earlier})
    assert ran == ["second"]
    assert result["first"] is earlier
    assert result["second"].value == "second saw recorded"


@pytest.mark.parametrize(("executor", "prefix"), [("threads", "gini"), ("processes", "pid ")])
def test_the_worker_is_recorded(flaky: Path, cli: Cli, executor: str, prefix: str) -> None:
    """A thread's name under threads, ``pid N`` under processes."""
    ran = cli("run", "flaky::side", "flaky::a", "-j", "2", "--executor", executor)
    assert ran.exit_code == 0, ran
    workers = {s["stage_id"]: s["worker"] for s in cli.document()["stages"]}
    assert all(w and w.startswith(prefix) for w in workers.values()), workers


class Nesting:
    """A stage that runs another pipeline of the same host from inside its body."""

    gini_name = "nest"

    @hookimpl
    def gini_register_stages(self, host: Any) -> list[Any]:
        @stage(name="inner")
        def inner(ctx: StageContext) -> str:
            return "inner value"

        @stage(name="outer")
        def outer(ctx: StageContext) -> str:
            nested = ctx.host.run(["nest::inner"])
            return f"outer after {nested.run_id}"

        return [inner, outer]


def test_a_run_started_inside_a_stage_is_its_own_run(
    make_host: HostFactory, tmp_path: Path
) -> None:
    """The nested run and the outer one are recorded apart, each with its own stages."""
    database = tmp_path / "h.sqlite3"
    host = make_host(Nesting(), config=f'[history]\npath = "{database}"\n')
    outer = host.run(["nest::outer"])
    assert outer.ok
    host.plugin_manager.get_plugin("history").flush()
    doc = load_run_document(database, outer.run_id)
    assert [s["stage_id"] for s in doc["stages"]] == ["nest::outer"]
    inner_id = outer["nest::outer"].value.rpartition(" ")[2]
    inner = load_run_document(database, inner_id)
    assert [(s["stage_id"], s["value"]) for s in inner["stages"]] == [
        ("nest::inner", "inner value")
    ]


def test_processes_runs_are_recorded_once(flaky: Path, gini_cli: CliInvoker) -> None:
    """Worker processes boot the same plugins, history included, yet record nothing of
    their own; the stages' log records, relayed from the workers, are in the host's run."""
    cli = Cli(gini_cli)
    assert cli("run", "chain", "--executor", "processes").exit_code == 0
    assert len(cli("runs", "--json").json) == 1
    a = next(s for s in cli.document()["stages"] if s["stage_id"] == "flaky::a")
    assert [log["message"] for log in a["logs"]] == ["a made its value"]
