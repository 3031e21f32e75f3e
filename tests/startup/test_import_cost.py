"""What an import pulls in: plugin modules, the console script's probes and pytest pay little.

Checked by module names in a fresh interpreter (``sys.modules``), never by time: the figures
are in ``make bench`` (docs/performance.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: What a plugin module's ``from gini_host import hookimpl, stage`` must not import.
HEAVY = ("loguru", "asyncio", "multiprocessing", "click", "rich", "gini_host.kernel", "gini_host.cli")


def imported_after(code: str) -> set[str]:
    """The modules loaded in a fresh interpreter once ``code`` ran."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    # Without a coverage tool's start-up hook (`make coverage` measures subprocesses): what
    # it imports itself, multiprocessing among them, is not the host's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_a_plugin_module_import_stays_light():
    """`from gini_host import hookimpl, stage` loads no kernel, CLI, loguru, asyncio, click, rich."""
    assert heavy(imported_after("from gini_host import hookimpl, stage")) == []


def test_importing_the_package_loads_no_submodule_of_the_host():
    """`import gini_host` loads only the package, its version and the lazy-name helper."""
    loaded = {m for m in imported_after("import gini_host") if m.startswith("gini_host")}
    assert loaded == {"gini_host", "gini_host._lazy", "gini_host._version"}


@pytest.mark.parametrize("name", ["Host", "StageStatus", "PipelineResult", "UsageError"])
def test_every_public_name_still_resolves(name):
    """A lazy name is the object of its defining module, and `dir()` lists it."""
    import gini_host

    value = getattr(gini_host, name)
    assert value.__name__ == name
    assert name in dir(gini_host)


def test_every_name_in_all_resolves():
    """Nothing in __all__ is missing from the lazy table (of gini_host and gini_host.stages)."""
    import gini_host
    import gini_host.stages

    for package in (gini_host, gini_host.stages):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_an_unknown_name_is_an_attribute_error():
    """A name that is not public raises AttributeError naming it, as a plain module does."""
    import gini_host

    with pytest.raises(AttributeError, match="'nope'"):
        gini_host.nope  # noqa: B018


def test_stage_is_the_decorator_even_after_its_module_loads():
    """`gini_host.stages.stage` is the decorator, not the submodule of the same name."""
    code = (
        "import importlib, sys\n"
        "importlib.import_module('gini_host.stages.stage')\n"
        "m = sys.modules['gini_host.stages.stage']\n"
        "from gini_host.stages import stage\n"
        "from gini_host import stage as s2\n"
        "assert callable(stage) and stage is s2 is m.stage, stage\n"
    )
    imported_after(code)


def test_version_imports_neither_click_nor_the_commands():
    """`gini-host --version` answers without click, loguru or the host."""
    code = (
        "import sys\nsys.argv = ['gini-host', '--version']\n"
        "from gini_host.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    modules = imported_after(code)
    assert heavy(modules - {"gini_host.cli", "gini_host.cli.console"}) == []


def test_help_boots_nothing():
    """`gini-host --help` loads click and the command modules, but not loguru or the kernel."""
    code = (
        "import sys\nsys.argv = ['gini-host', '--help']\n"
        "from gini_host.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    modules = imported_after(code)
    assert "click" in modules
    assert [m for m in heavy(modules) if not m.startswith(("click", "gini_host.cli"))] == []


def test_version_output_is_the_same_on_both_paths(gini_cli):
    """The fast path prints what click's --version prints after another option."""
    fast = gini_cli("--version", subprocess=True)
    slow = gini_cli("-q", "--version", subprocess=True)
    assert fast.exit_code == slow.exit_code == 0
    assert fast.stdout == slow.stdout
    assert fast.stdout.startswith("gini-host, version ")


def test_the_kernel_and_the_sequential_executor_import_no_asyncio():
    """The host and the sequential executor leave asyncio and multiprocessing to the
    executors that need them (a coroutine stage, ``async``, ``processes``)."""
    modules = imported_after(
        "import gini_host.kernel.host, gini_host.stages.executors.sequential, "
        "gini_host.stages.executors.threads"
    )
    assert sorted(m for m in modules if m.split(".")[0] in ("asyncio", "multiprocessing")) == []
