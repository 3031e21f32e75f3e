"""hook_recorder: every hook call of every host a test creates, with its plugin, arguments and result."""

from __future__ import annotations

import pytest

from gini_host import Host, StageStatus, hookimpl, stage
from gini_host.kernel.host import HOST_CREATED
from gini_host.testing import run_pipeline


@stage
def step(ctx):
    """One step."""
    return 42


class Worker:
    """Contributes one stage and watches stages finish."""

    gini_name = "worker"

    @hookimpl
    def gini_preflight(self, host):
        return None

    @hookimpl
    def gini_register_stages(self, host):
        return [step]

    @hookimpl
    def gini_stage_finish(self, stage, result):
        return None


class Dependent:
    gini_name = "dependent"

    @hookimpl
    def gini_plugin_init(self, host):
        raise RuntimeError("cannot start")


def test_per_plugin_calls_carry_plugin_arguments_and_result(make_host, hook_recorder):
    """A per-plugin hook call records its plugin, its arguments and what it returned."""
    host = make_host(Worker())
    call = next(c for c in hook_recorder.calls("gini_register_stages") if c.plugin == "worker")
    assert call.kwargs == {"host": host}
    assert call.host is host  # arguments also read as attributes, as in pytest's ParsedCall
    assert call.returned == [step]
    assert call.raised is None
    assert hook_recorder.plugins("gini_preflight") == ["worker"]


class Exits:
    gini_name = "exits"

    @hookimpl
    def gini_preflight(self, host):
        raise SystemExit(3)


def test_a_hook_raising_system_exit_is_recorded_as_raised(make_host, hook_recorder):
    """SystemExit out of a hook is an exception the hook raised, not a value it returned."""
    make_host(Exits())
    call = hook_recorder.call("gini_preflight")
    assert isinstance(call.raised, SystemExit)
    assert call.returned is None


def test_a_raising_hook_is_recorded_with_its_exception(make_host, hook_recorder):
    """A hook that raises is recorded too, with the exception in .raised."""
    make_host(Dependent())
    (call,) = [c for c in hook_recorder.calls("gini_plugin_init") if c.plugin == "dependent"]
    assert isinstance(call.raised, RuntimeError)
    assert call.returned is None


def test_observer_calls_are_recorded_per_stage(make_host, hook_recorder):
    """Each stage's gini_stage_finish is one recorded broadcast naming who implemented it."""
    host = make_host(Worker())
    hook_recorder.clear()
    run_pipeline(host, "worker::step")
    (finish,) = hook_recorder.calls("gini_stage_finish")
    assert finish.plugin is None and "worker" in finish.plugins
    assert finish.stage.id == "worker::step"
    assert finish.result.status is StageStatus.SUCCEEDED  # the hook's argument, not its return
    assert finish.returned == []  # observers return nothing


def test_boot_order_is_asserted_with_plugins(make_host, hook_recorder):
    """assert_called_in_order accepts hook names and hook:plugin entries in sequence."""
    make_host(Worker())
    hook_recorder.assert_called_in_order(
        "gini_register_stages:core", "gini_preflight:worker", "gini_register_stages:worker"
    )


def test_order_failure_lists_the_recorded_calls(make_host, hook_recorder):
    """A call missing from the order fails, naming it and listing what was recorded."""
    make_host(Worker())
    with pytest.raises(AssertionError) as info:
        hook_recorder.assert_called_in_order("gini_register_stages:worker", "gini_preflight")
    message = str(info.value)
    assert "hook call 'gini_preflight' not found after gini_register_stages:worker" in message
    assert "gini_preflight  [worker]" in message


def test_hosts_built_directly_are_recorded(hook_recorder):
    """A Host made without make_host (as the CLI makes them) is recorded as well."""
    with Host([Worker()], autoload=False) as host:
        assert hook_recorder.hosts == [host]
    assert "worker" not in hook_recorder.plugins("gini_shutdown")  # it has no gini_shutdown
    assert "worker" in hook_recorder.plugins("gini_register_stages")


def test_call_requires_exactly_one(make_host, hook_recorder):
    """call() fails with the count when a hook ran more or less than once."""
    make_host(Worker())
    with pytest.raises(AssertionError, match="expected exactly one call of gini_post_init, got 0"):
        hook_recorder.call("gini_post_init")


def test_calls_rejects_names_that_are_not_hooks(hook_recorder):
    """A name without the gini_ prefix is a typo, not an empty result."""
    with pytest.raises(ValueError, match="not hook names: preflight"):
        hook_recorder.calls("preflight")


def test_recording_stops_at_teardown(suite: pytest.Pytester) -> None:
    """After the test, hosts are no longer watched and the recorder is detached from its hosts."""
    suite.makepyfile(
        '''
        from gini_host import Host
        from gini_host.kernel.host import HOST_CREATED

        KEPT = {}

        def test_1(hook_recorder, make_host):
            KEPT["recorder"], KEPT["host"] = hook_recorder, make_host()
            assert HOST_CREATED.get() != ()

        def test_2():
            assert HOST_CREATED.get() == ()
            count = len(KEPT["recorder"])
            Host(autoload=False).boot()
            assert len(KEPT["recorder"]) == count
            assert KEPT["host"].hook_monitors == []
        '''
    )
    suite.runpytest().assert_outcomes(passed=2)


def test_nothing_is_watched_outside_the_fixture():
    """Without hook_recorder no callback runs for new hosts."""
    assert HOST_CREATED.get() == ()
