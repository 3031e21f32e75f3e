"""What a running stage sees: config, results, the typed shared store, the logger, cancellation."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from loguru import logger

from gini_host import ContextKey, StageContext, StageManager, StageStatus, stage
from gini_host.stages import RunState

NAME = ContextKey[str]("name")
COUNT = ContextKey[int]("count")
FLAGS = ContextKey[dict[str, list[int]]]("flags")


def _context(stage_name: str = "probe", **kwargs: Any) -> StageContext:
    @stage(name=stage_name)
    def body(ctx: StageContext) -> None:
        pass

    return StageContext(body.owned_by("disk"), RunState("run-1"), **kwargs)


def test_live_context_defaults() -> None:
    """A fresh context is live, has no host, empty config and results, nothing stored."""
    ctx = _context()
    assert ctx.dry_run is False
    assert ctx.host is None
    assert dict(ctx.config) == {}
    assert dict(ctx.results) == {}
    assert NAME not in ctx
    assert ctx.get(NAME) is None
    assert ctx.stage_id == "disk::probe"
    assert ctx.run_id == "run-1"


def test_dry_run_context_reports_dry_run() -> None:
    """A context of a dry run says so."""
    run = RunState("r", dry_run=True, host="the-host")
    ctx = StageContext(stage(name="s")(lambda c: None), run)
    assert ctx.dry_run is True
    assert ctx.host == "the-host"


def test_store_round_trips_values_of_several_types() -> None:
    """Values of different types come back from the store under their typed keys."""
    ctx = _context()
    ctx[NAME] = "sda"
    ctx[COUNT] = 3
    ctx[FLAGS] = {"a": [1, 2]}
    assert ctx[NAME] == "sda"
    assert ctx[COUNT] == 3
    assert ctx[FLAGS] == {"a": [1, 2]}
    assert NAME in ctx
    assert ctx.get(COUNT, 0) == 3


def test_store_overwrite_replaces_value() -> None:
    """Setting a key again replaces its value."""
    ctx = _context()
    ctx[COUNT] = 1
    ctx[COUNT] = 2
    assert ctx[COUNT] == 2


def test_store_is_keyed_by_identity_not_name() -> None:
    """Two keys with the same name are different keys: plugins cannot clash on a string."""
    ctx = _context()
    other = ContextKey[str]("name")
    ctx[NAME] = "mine"
    assert other not in ctx
    assert ctx.get(other, "default") == "default"


def test_store_refuses_string_keys() -> None:
    """Only ContextKey objects are keys of the shared store."""
    ctx = _context()
    with pytest.raises(TypeError, match="ContextKey"):
        ctx["name"] = "x"  # type: ignore[index]


def test_missing_key_error_names_key_and_writers() -> None:
    """Reading a missing key raises KeyError naming the key and the keys stages wrote, by whom."""
    run = RunState("r")
    writer = StageContext(stage(name="writer")(lambda c: None).owned_by("disk"), run)
    reader = StageContext(stage(name="reader")(lambda c: None).owned_by("disk"), run)
    with pytest.raises(KeyError, match="nothing has been written"):
        reader[COUNT]
    writer[NAME] = "sda"
    with pytest.raises(KeyError) as info:
        reader[COUNT]
    message = str(info.value)
    assert "ContextKey('count')" in message
    assert "'name' (by disk::writer)" in message


def test_results_are_read_only() -> None:
    """``ctx.results`` cannot be written by a stage."""
    ctx = _context()
    with pytest.raises(TypeError):
        ctx.results["x"] = 1  # type: ignore[index]


def test_config_is_read_only_copy() -> None:
    """``ctx.config`` holds the stage's config, cannot be written, and is a copy."""
    source = {"device": "/dev/sdz"}
    ctx = _context(config=source)
    assert ctx.config["device"] == "/dev/sdz"
    with pytest.raises(TypeError):
        ctx.config["device"] = "/dev/sda"  # type: ignore[index]
    source["device"] = "changed"
    assert ctx.config["device"] == "/dev/sdz"


def test_log_is_bound_to_run_and_stage() -> None:
    """``ctx.log`` lines carry the run id, the stage id and the plugin."""
    records: list[dict[str, Any]] = []
    sink = logger.add(lambda m: records.append(m.record["extra"]), level="DEBUG")
    try:
        _context().log.info("hello")
    finally:
        logger.remove(sink)
    assert records == [{"run_id": "run-1", "stage": "disk::probe", "plugin": "disk"}]


def test_cancelled_event_follows_the_run() -> None:
    """``ctx.cancelled`` is an Event; cancelling the run or the stage sets it."""
    run = RunState("r")
    first = StageContext(stage(name="a")(lambda c: None), run)
    assert isinstance(first.cancelled, threading.Event)
    assert not first.cancelled.is_set()
    first.cancel()
    assert first.cancelled.is_set()
    run.cancelled.set()
    late = StageContext(stage(name="b")(lambda c: None), run)
    assert late.cancelled.is_set()


def test_cancelled_as_a_truth_value_says_whether_it_is_set() -> None:
    """``if ctx.cancelled:`` means what it reads as: a plain Event is always true, so a body
    written that way stopped at once, every time, and passed for a success."""
    run = RunState("r")
    ctx = StageContext(stage(name="a")(lambda c: None), run)
    assert not ctx.cancelled
    ctx.cancel()
    assert ctx.cancelled
    run.cancelled.set()
    assert StageContext(stage(name="b")(lambda c: None), run).cancelled


def test_a_body_polling_cancelled_as_a_truth_value_runs_until_its_timeout() -> None:
    """``while not ctx.cancelled`` waits for the timeout, instead of returning at once."""

    @stage(timeout=0.2)
    def poll(ctx: StageContext) -> str:
        while not ctx.cancelled:
            ctx.cancelled.wait(0.01)
        return "stopped"

    manager = StageManager()
    manager.register_stage(poll, "disk")
    result = manager.execute_stage("disk::poll")
    assert result.status is StageStatus.FAILED
    assert result.error is not None and result.error.type == "StageTimeoutError"


@pytest.mark.in_process
def test_later_stage_reads_earlier_result_and_store(manager: StageManager, executor: str) -> None:
    """Data written by one stage (return value and store) is read by a stage that requires it."""

    @stage
    def produce(ctx: StageContext) -> dict[str, list[int]]:
        ctx[FLAGS] = {"ids": [1, 2, 3]}
        return {"answer": [42]}

    @stage(requires="produce")
    def consume(ctx: StageContext) -> tuple[Any, Any]:
        return ctx.results["demo::produce"], ctx[FLAGS]

    manager.register_stage(produce, plugin="demo")
    manager.register_stage(consume, plugin="demo")
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["demo::consume"]), executor=executor
    )
    assert result["demo::consume"].value == ({"answer": [42]}, {"ids": [1, 2, 3]})


@pytest.mark.in_process
def test_later_stage_modifies_stored_data(manager: StageManager, executor: str) -> None:
    """A later stage can change data an earlier stage stored, and the run's store shows it."""
    run = RunState("shared")

    @stage
    def first(ctx: StageContext) -> None:
        ctx[COUNT] = 1

    @stage(requires="first")
    def second(ctx: StageContext) -> None:
        ctx[COUNT] = ctx[COUNT] + 1

    manager.register_stage(first)
    manager.register_stage(second)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["second"]), executor=executor, context=run
    )
    assert result.ok
    assert result.run_id == "shared"
    assert StageContext(second, run)[COUNT] == 2


@pytest.mark.in_process
def test_stage_config_reaches_its_stage_only(manager: StageManager, executor: str) -> None:
    """``stage_config`` gives each stage its own table; others see an empty config."""

    @stage
    def a(ctx: StageContext) -> dict[str, Any]:
        return dict(ctx.config)

    @stage
    def b(ctx: StageContext) -> dict[str, Any]:
        return dict(ctx.config)

    manager.register_stage(a)
    manager.register_stage(b)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["a", "b"]),
        executor=executor,
        stage_config={"a": {"level": 3}},
    )
    assert result["a"].value == {"level": 3}
    assert result["b"].value == {}


def test_parallel_stages_share_the_store_safely(manager: StageManager) -> None:
    """Many parallel stages write distinct keys; every write is kept."""
    keys = [ContextKey[int](f"k{i}") for i in range(32)]
    for i, key in enumerate(keys):

        def body(ctx: StageContext, key: ContextKey[int] = key, i: int = i) -> None:
            ctx[key] = i

        manager.register_stage(stage(name=f"w{i}")(body))

    @stage(requires=[f"w{i}" for i in range(32)])
    def total(ctx: StageContext) -> int:
        return sum(ctx[k] for k in keys)

    manager.register_stage(total)
    result = manager.execute_pipeline(
        manager.create_pipeline("p", ["total"]), executor="threads", max_workers=8
    )
    assert result["total"].status is StageStatus.SUCCEEDED
    assert result["total"].value == sum(range(32))


def test_results_iterate_while_new_results_arrive() -> None:
    """Iterating ``ctx.results`` is unaffected by results the loop records meanwhile."""
    run = RunState("r")
    run.values.update(a=1, b=2)
    ctx = StageContext(stage(name="c")(lambda c: None), run)
    seen = []
    for sid, value in ctx.results.items():
        run.values[f"{sid}-later"] = value  # what the loop does while a parallel stage iterates
        seen.append(sid)
    assert seen == ["a", "b"]
    assert ctx.results["a-later"] == 1
    assert len(ctx.results) == 4


def test_parallel_stages_iterate_results_safely(manager: StageManager) -> None:
    """A stage iterating ``ctx.results`` while parallel stages finish sees no error."""
    for i in range(200):
        manager.register_stage(stage(name=f"s{i}")(lambda ctx: time.sleep(0.001)))

    @stage
    def reader(ctx: StageContext) -> int:
        end, laps = time.monotonic() + 0.5, 0
        while time.monotonic() < end:
            laps += sum(1 for sid in ctx.results if sid.startswith("s"))  # yields the GIL
        return laps

    manager.register_stage(reader)
    plan = manager.create_pipeline("p", ["reader", *(f"s{i}" for i in range(200))])
    result = manager.execute_pipeline(plan, executor="threads", max_workers=8)
    assert result["reader"].status is StageStatus.SUCCEEDED, result["reader"].error


def test_cancel_racing_first_poll_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel (timeout) racing a stage's first look at ctx.cancelled is never lost."""
    from gini_host.stages import context as context_module

    ctx = _context()
    canceller: list[threading.Thread] = []
    real_event = context_module.CancelEvent

    def event_created_while_cancel_runs() -> threading.Event:
        # The stage thread is creating its event; the timeout's cancel() runs right now.
        if not canceller:
            thread = threading.Thread(target=ctx.cancel)
            canceller.append(thread)
            thread.start()
            thread.join(0.2)
        return real_event()

    monkeypatch.setattr(context_module, "CancelEvent", event_created_while_cancel_runs)
    seen = ctx.cancelled
    canceller[0].join(5)
    assert ctx.cancelled is seen
    assert seen.is_set()
