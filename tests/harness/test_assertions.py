"""run_pipeline and assert_statuses: run a plugin's stages and say plainly what went wrong."""

from __future__ import annotations

import pytest

from gini_host import PipelineError, StageStatus, hookimpl, stage
from gini_host.testing import assert_statuses, run_pipeline


@stage
def fetch(ctx):
    """Fetch."""
    return {"rows": 3}


@stage(requires=["fetch"])
def parse(ctx):
    """Parse."""
    raise ValueError("bad row 2")


@stage(requires=["parse"])
def store(ctx):
    """Store."""
    return "stored"


@stage
def audit(ctx):
    """Audit, independent of the rest."""
    return "audited"


class Etl:
    gini_name = "etl"

    @hookimpl
    def gini_register_stages(self, host):
        return [fetch, parse, store, audit]

    @hookimpl
    def gini_register_pipelines(self, host):
        return [{"name": "etl", "stages": ["etl::store", "etl::audit"]}]


def test_run_pipeline_keeps_every_result(make_host):
    """A failed run keeps what the stages before the failure produced."""
    result = run_pipeline(make_host(Etl()), "etl", keep_going=True)
    assert_statuses(
        result,
        {
            "etl::fetch": "succeeded",
            "etl::parse": "failed",
            "etl::store": StageStatus.SKIPPED,
            "etl::audit": "succeeded",
        },
    )
    assert result["etl::fetch"].value == {"rows": 3}


def test_run_pipeline_takes_run_options(make_host):
    """Options go to Host.run: a dry run runs no body."""
    result = run_pipeline(make_host(Etl()), "etl::parse", dry_run=True)
    assert_statuses(result, {"etl::fetch": "dry_run", "etl::parse": "dry_run"})


def test_run_pipeline_raises_for_unknown_targets(make_host):
    """An unknown target is bad input, raised as PipelineError, not a failed stage."""
    with pytest.raises(PipelineError, match="etl::stroe"):
        run_pipeline(make_host(Etl()), "etl::stroe")


def test_run_pipeline_needs_a_target(make_host):
    """No target is a mistake in the test."""
    with pytest.raises(TypeError, match="at least one target"):
        run_pipeline(make_host(Etl()))


def test_unknown_status_names_are_rejected(make_host):
    """A misspelt status is reported with the valid ones, not compared."""
    result = run_pipeline(make_host(Etl()), "etl::audit")
    with pytest.raises(ValueError, match="unknown status.*sucess.*succeeded, failed"):
        assert_statuses(result, {"etl::audit": "sucess"})


def test_failure_shows_a_readable_diff_with_errors_and_reasons(suite: pytest.Pytester) -> None:
    """The failure lists every stage; differences are marked and carry the error or skip reason."""
    suite.makepyfile(
        '''
        from gini_host import hookimpl, stage
        from gini_host.testing import assert_statuses, run_pipeline

        @stage
        def fetch(ctx):
            return 1

        @stage(requires=["fetch"])
        def parse(ctx):
            raise ValueError("bad row 2")

        @stage(requires=["parse"])
        def store(ctx):
            return 2

        class Etl:
            gini_name = "etl"

            @hookimpl
            def gini_register_stages(self, host):
                return [fetch, parse, store]

        def test_expect_success(make_host):
            result = run_pipeline(make_host(Etl()), "etl::store")
            assert_statuses(result, {
                "etl::fetch": "succeeded",
                "etl::parse": "succeeded",
                "etl::store": "succeeded",
                "etl::extra": "succeeded",
            })
        '''
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: pipeline 'etl::store': 3 of 4 stages differ (! other status, *",
            "E         etl::fetch  succeeded",
            "E       ! etl::parse  expected succeeded, got failed  (ValueError: bad row 2)",
            "E       ! etl::store  expected succeeded, got skipped  (*etl::parse failed)",
            "E       - etl::extra  expected succeeded, but it is not in the run",
        ]
    )
    # The helper's own frames are hidden: the traceback ends in the test.
    result.stdout.no_fnmatch_line("*_testing/assertions.py*")


def test_a_stage_not_expected_is_a_difference(make_host):
    """Stages of the run missing from the expectation are marked + with their status."""
    result = run_pipeline(make_host(Etl()), "etl::fetch")
    with pytest.raises(AssertionError) as info:
        assert_statuses(result, {})
    assert str(info.value).splitlines()[1] == "+ etl::fetch  not expected, got succeeded"
