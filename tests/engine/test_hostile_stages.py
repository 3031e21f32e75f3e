"""Nothing a stage returns, raises or prints breaks the host, on any executor (issue 11,
items 3 and 4): the same statuses everywhere, every result kept, placeholders for what
cannot be shown, and stdout left to the host."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gini_host import PipelineResult, StageManager
from gini_host.cli.output import emit_json, render_value
from gini_host.shown import safe_repr
from tests.hostile import stages as hostile


def _run(executor: Any, names: list[str] | None = None, dry_run: bool = False) -> PipelineResult:
    manager = StageManager()
    for s in (*hostile.STAGES, hostile.raises_unprintable_interrupt):
        manager.register_stage(s)
    pipeline = manager.create_pipeline("hostile", names or list(hostile.STATUSES))
    return manager.execute_pipeline(
        pipeline, executor=executor, keep_going=True, max_workers=2, dry_run=dry_run
    )


def test_hostile_results_have_the_same_status_on_every_executor(executor: Any) -> None:
    """Unprintable errors fail their stage (a worker is not called crashed), unprintable,
    self-referential, 100,000-deep and huge values succeed, and dependents read them."""
    result = _run(executor)
    assert {sid: r.status.value for sid, r in result.items()} == hostile.STATUSES
    unprintable = result["raises_unprintable"].error
    assert unprintable is not None
    assert (unprintable.type, unprintable.message) == (
        "UnprintableError",
        hostile.UNPRINTABLE_MESSAGE,
    )
    interrupting = result["raises_interrupting_str"].error
    assert interrupting is not None
    assert interrupting.one_line() == (
        "InterruptingStrError: <unprintable InterruptingStrError: str() raised KeyboardInterrupt>"
    )
    assert result["reads_them_all"].value == "read 1000000 characters"
    assert "not started" not in repr(result.counts())


def test_every_hostile_value_and_error_can_be_shown(executor: Any) -> None:
    """Results, details, text rendering and reprs of every result: bounded, never raising."""
    result = _run(executor)
    for sid, r in result.items():
        assert len(safe_repr(r.value)) < 3_000, sid
        assert r.detail is not None
        assert repr(r)
        render_value(r.value)
    assert "<unprintable Unrepresentable: repr() raised ValueError>" in render_value(
        result["unrepresentable"].value
    )
    assert "<cycle: the dict shown above>" in render_value(result["self_referential"].value)
    shown = render_value(result["huge"].value)
    assert "<int of 16610 bits>" in shown


@pytest.mark.in_process
def test_what_a_stage_prints_goes_to_stderr_labelled(
    executor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """print() in a stage body (sync or async, on any thread or task) reaches stderr, each
    line labelled with the stage id; stdout stays empty. (Worker processes: tests/cli/
    test_hostile.py runs them through the command line.)"""
    result = _run(executor, ["noisy", "noisy_async"])
    assert result.ok
    out, err = capsys.readouterr()
    assert out == ""
    assert "[noisy] noisy says hello\n" in err
    assert "[noisy] partial line\n" in err
    assert "[noisy_async] async noise\n" in err


def test_a_describer_that_prints_does_not_reach_stdout(
    executor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dry runs call describers in the host, whatever the executor: their output is labelled."""
    result = _run(executor, ["noisy_describer"], dry_run=True)
    assert result["noisy_describer"].value == "described"
    out, err = capsys.readouterr()
    assert out == ""
    assert "[noisy_describer] describing\n" in err


def test_an_unprintable_interrupt_from_a_stage_crashes_nothing(executor: Any) -> None:
    """A KeyboardInterrupt subclass whose __str__ raises: the run still ends with a result for
    every stage, its reason readable."""
    result = _run(executor, ["raises_unprintable_interrupt", "noisy"])
    interrupted = result["raises_unprintable_interrupt"]
    assert interrupted.status.value in ("cancelled", "failed")
    assert "<unprintable UnprintableInterrupt: str() raised RuntimeError>" in interrupted.detail
    assert set(result) == {"raises_unprintable_interrupt", "noisy"}


@pytest.mark.in_process
def test_json_output_of_any_value_is_one_document(
    executor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """emit_json (every --json output) stays one JSON document whatever the values hold:
    cycles, 100,000-deep nesting, a 5,000-digit int, objects whose repr raises."""
    result = _run(executor, ["self_referential", "deep", "unrepresentable", "huge"])
    capsys.readouterr()
    emit_json({sid: r.value for sid, r in result.items()})
    shown = json.loads(capsys.readouterr().out)
    assert shown["unrepresentable"]["thing"] == (
        "<unprintable Unrepresentable: repr() raised ValueError>"
    )
    assert shown["huge"]["number"] == "<int of 16610 bits>"
    assert shown["self_referential"]["name"] == "loop"
