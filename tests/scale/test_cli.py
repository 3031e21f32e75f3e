"""``gini-host run --executor processes|async|dask`` on a real plugin distribution."""

from __future__ import annotations

import pytest

from gini_host.testing import CliInvoker, PluginDists

SOURCE = """
    import asyncio
    import os

    from gini_host import ContextKey, hookimpl, stage

    COUNT = ContextKey[int]("count")


    @stage
    def count(ctx):
        ctx[COUNT] = 3
        return os.getpid()


    @stage(requires="count")
    async def wait(ctx):
        await asyncio.sleep(0.01)
        return ctx[COUNT] * 2


    @stage(requires="wait")
    def report(ctx):
        return {"doubled": ctx.results["demo::wait"], "label": ctx.config.get("label")}


    @hookimpl
    def gini_register_stages(host):
        return [count, wait, report]
"""


@pytest.mark.parametrize("executor", ["processes", "async", "dask"])
def test_run_with_executor_through_the_cli(
    plugin_dist: PluginDists, gini_cli: CliInvoker, executor: str
) -> None:
    """The CLI runs a plugin's stages under the executor; results and exit code as usual."""
    plugin_dist("demo", SOURCE)
    result = gini_cli(
        "-p",
        "no:reporter",
        "run",
        "demo::report",
        "--executor",
        executor,
        "--set",
        'demo::report.label="from-cli"',
        subprocess=True,
        timeout=120,
    )
    assert result.exit_code == 0, result.stderr
    assert "doubled" in result.stdout
    assert "6" in result.stdout
    assert "from-cli" in result.stdout
    assert "succeeded" in result.stderr


def test_scheduler_needs_the_dask_executor(plugin_dist: PluginDists, gini_cli: CliInvoker) -> None:
    """--scheduler with another executor is bad input: exit 2."""
    plugin_dist("demo", SOURCE)
    result = gini_cli("run", "demo::report", "--executor", "threads", "--scheduler", "tcp://x:1")
    assert result.exit_code == 2
    assert "--scheduler is for --executor dask" in result.stderr
