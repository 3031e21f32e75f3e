"""Issue 14's figures for the run history (item 6).

(h1) A sequential run of 1,000 no-op stages (a chain) with the history on, against the same
     host with ``[history] enabled = false``: recording must barely cost the run (<= 1.3x).
     CPU time of the thread that runs the stages, as figure (a): what the run itself pays.
     The writer thread's work (encoding, SQL, commits: about 8 µs a stage) happens beside
     it; on this shared 2-core machine wall times of a 5 ms run swing by 3x, which would
     measure the neighbours, not the history.
(h2) ``gini-host runs --json`` on a history of 10,000 recorded runs, against
     ``gini-host plugins --json`` on the same machine and site: the listing must not grow
     with the history (<= 1.5x). CPU time of each whole process.
(h3) Resuming a 1,000-stage run whose one failed stage is the last: the number of stage
     bodies the resume runs, against the one it must run (exactly 1x).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench._measure import CPU, Figure, compare
from bench._process import environment, process_cpu, rounds, site, workdir
from gini_host import Host, hookimpl, stage

__all__ = ["run"]

STAGES = 1000
RUNS = 10_000
SAMPLES = 15
PROCESS_SAMPLES = 7


class _Chain:
    """A plugin of ``size`` no-op stages in a chain; the last fails while ``fail`` is set."""

    gini_name = "bench"

    def __init__(self, size: int) -> None:
        self.fail = False
        self.ran = 0
        last = f"s{size - 1}"

        def body(ctx: Any) -> int:
            self.ran += 1
            if self.fail and ctx.stage_id.endswith(last):
                raise RuntimeError("the last stage fails")
            return 1

        self.stages = [
            stage(name=f"s{i}", requires=[f"s{i - 1}"] if i else [])(body) for i in range(size)
        ]

    @hookimpl
    def gini_register_stages(self, host: Any) -> list[Any]:
        return self.stages


def _host(plugin: _Chain, history: dict[str, Any]) -> Host:
    return Host(plugins=[plugin], autoload=False, config={"history": history}).boot()


def _overhead() -> Figure:
    database = str(workdir() / "h1" / "history.sqlite3")
    on = _host(_Chain(STAGES), {"path": database})
    off = _host(_Chain(STAGES), {"enabled": False})
    try:
        target = [f"bench::s{STAGES - 1}"]
        plan_on, plan_off = on.plan(target), off.plan(target)
        with_history, without = compare(
            lambda: on.run(plan_on), lambda: off.run(plan_off), SAMPLES, warmup=2, clock=CPU
        )
    finally:
        on.shutdown()
        off.shutdown()
    return Figure(
        name="h1. history on vs off, sequential, 1,000 no-op stages",
        value=with_history * 1e3,
        floor_value=without * 1e3,
        target=1.3,
        unit="ms",
        note="the same run, [history] enabled = false; CPU of the running thread",
    )


def _fill(database: Path, runs: int) -> None:
    """``runs`` recorded runs of three stages each, written as the recorder writes them."""
    from gini_host.builtin.history.store import HistoryStore

    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = HistoryStore.open(str(database))
    assert store is not None
    plan = json.dumps({"stages": ["p::a", "p::b", "p::c"], "edges": [["p::a", "p::b"]]})
    now = time.time() - runs
    with store, store.transaction():
        for i in range(runs):
            run_id = f"{i:012x}"
            store.begin_run(
                {
                    "run_id": run_id,
                    "pipeline": "p",
                    "targets": '["p"]',
                    "status": "running",
                    "started_at": now + i,
                    "executor": "sequential",
                    "plan": plan,
                }
            )
            store.put_stages(
                {
                    "run_id": run_id,
                    "stage_id": sid,
                    "position": n,
                    "status": "succeeded",
                    "attempts": 1,
                    "started_at": now + i,
                    "duration": 0.1,
                    "value_kind": "json",
                    "value": '{"ok": true}',
                }
                for n, sid in enumerate(("p::a", "p::b", "p::c"))
            )
            store.finish_run(run_id, "succeeded", now + i + 0.3, {"succeeded": 3})


def _listing() -> Figure:
    state = workdir() / "h2-state"
    _fill(state / "gini-host" / "history.sqlite3", RUNS)
    where = site(10)
    env = environment(where, XDG_STATE_HOME=str(state))
    script = str(Path(sys.executable).with_name("gini-host"))
    medians = rounds(
        {
            "runs": lambda: process_cpu([script, "runs", "--json"], env),
            "plugins": lambda: process_cpu([script, "plugins", "--json"], env),
        },
        PROCESS_SAMPLES,
    )
    return Figure(
        name="h2. gini-host runs --json, 10,000 recorded runs, process",
        value=medians["runs"] * 1e3,
        floor_value=medians["plugins"] * 1e3,
        target=1.5,
        unit="ms",
        note="vs gini-host plugins --json, N=10",
    )


def _resume() -> Figure:
    from gini_host.builtin.history import load_run_document
    from gini_host.builtin.history.resume import plan_resume
    from gini_host.builtin.history.store import HistoryStore

    database = str(workdir() / "h3" / "history.sqlite3")
    plugin = _Chain(STAGES)
    host = _host(plugin, {"path": database})
    try:
        plugin.fail = True
        failed = host.run([f"bench::s{STAGES - 1}"])
        assert failed.status == "failed"
        history = host.plugin_manager.get_plugin("history")
        history.flush()
        plugin.fail, plugin.ran = False, 0
        store = HistoryStore.open(database)
        assert store is not None
        with store:
            resume = plan_resume(load_run_document(store, failed.run_id), store, host)
        resumed = host.run(resume.pipeline, reuse=resume.reuse, labels=resume.labels)
        assert resumed.ok, resumed
    finally:
        host.shutdown()
    return Figure(
        name="h3. resume of a 1,000-stage run with one failed stage: stages run",
        value=plugin.ran,
        floor_value=1,
        target=1.0,
        unit="stages",
        note="the failed stage only",
    )


def run() -> list[Figure]:
    """About 40 seconds on 2 cores."""
    return [_overhead(), _listing(), _resume()]
