"""A plugin given to ``Host`` as an instance (not a module) runs its stages in workers: the
recipe names the instance by the module-level name it is found under, and each worker's host
gets that same instance back."""

from __future__ import annotations

import importlib
import os

import pytest

from gini_host import Host
from gini_host.testing import PluginDists

INSTANCE = """
    import os

    from gini_host import hookimpl, stage

    class Doubler:
        gini_name = "doubler"

        def __init__(self, factor):
            self.factor = factor

        @hookimpl
        def gini_register_stages(self, host):
            factor = self.factor

            @stage(name="double")
            def double(ctx):
                return [factor * 2, os.getpid()]

            return [double]

    # Module-level, under a name unlike its class's: found by the module's names, not by a
    # qualname (an instance has none).
    PLUGIN = Doubler(21)
"""


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_instance_plugin_runs_in_workers(plugin_dist: PluginDists, executor: str) -> None:
    """The stage an instance registered runs in a worker, with the instance's own state."""
    if executor == "dask":
        pytest.importorskip("distributed")
    plugin_dist("doubler", source=INSTANCE, entry_points={})
    plugin = importlib.import_module("doubler").PLUGIN
    with Host([plugin], autoload=False) as host:
        result = host.run(["doubler::double"], executor=executor)
    value, pid = result["doubler::double"].value
    assert value == 42
    assert pid != os.getpid()
