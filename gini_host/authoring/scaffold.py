"""``gini-host new-plugin``: write a ready plugin project that passes its own tests.

The project is the smallest complete plugin: a pyproject with the ``gini_host.plugins`` entry
point and a ``gini-host`` requirement, a module with two stages, a preflight and a pipeline,
and tests that use the harness (``make_host``, ``run_pipeline``, ``assert_statuses``,
``check_plugin``) against the installed distribution. ``docs/plugin-guide.md`` builds the same
thing by hand, step by step.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template
from typing import Final

from packaging.version import Version

from gini_host._version import __version__
from gini_host.errors import UsageError

__all__ = ["PLUGIN_NAME_RE", "host_requirement", "new_plugin", "project_names"]

#: Plugin names: lowercase words joined by dashes (they become ids like ``disk-check::scan``).
PLUGIN_NAME_RE: Final = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def host_requirement() -> str:
    """``gini-host>=MAJOR.MINOR,<NEXT-MAJOR`` for this host (``gini-host>=0.1,<1``)."""
    version = Version(__version__)
    return f"gini-host>={version.major}.{version.minor},<{version.major + 1}"


_PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "gini-host plugin $name"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["$requirement", "attrs>=23.1"]

[project.optional-dependencies]
test = ["pytest>=8"]

# The entry point's name is the plugin's name: its stages are $name::gather, $name::report.
[project.entry-points."gini_host.plugins"]
$name = "$module.plugin"

[tool.setuptools.packages.find]
include = ["$module*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra --strict-markers"
filterwarnings = ["error"]
""")

_README = Template("""\
# $dist

A gini-host plugin. Install it next to gini-host and its pipeline appears:

```sh
pip install -e '.[test]'
gini-host check $name       # problems gini-host can find in the plugin (none, to start with)
gini-host run $name         # runs $name::gather, then $name::report
python -m pytest            # its tests, with gini-host's test harness
```

Stage config goes in `gini.toml`:

```toml
[stages."$name::gather".config]
greeting = "hi"
```
""")

_INIT = Template('''\
"""$dist: a gini-host plugin."""

__version__ = "0.1.0"
''')

_PLUGIN = Template('''\
"""The $name plugin: the hooks gini-host calls, and the stages it contributes."""

from __future__ import annotations

import shutil
from typing import Any

import attrs

from gini_host import Host, PipelineSpec, Stage, StageContext, hookimpl, stage

PLUGIN = "$name"


@attrs.frozen
class GatherConfig:
    """[stages."$name::gather".config]: checked by the host before the run (exit 2 naming
    the key when a value has the wrong type); the defaults are what an absent key means."""

    greeting: str = "hello"


@stage(tags=["$name"], config=GatherConfig)
def gather(ctx: StageContext) -> dict[str, Any]:
    """Gather what the report needs (replace with the plugin's real work)."""
    config: GatherConfig = ctx.config
    ctx.log.info("gathering")
    return {"greeting": config.greeting}


@gather.dry_run
def _describe_gather(ctx: StageContext) -> str:
    return "would gather facts"


@stage(requires=["gather"])
def report(ctx: StageContext) -> str:
    """Turn what gather found into one line."""
    facts = ctx.results[f"{PLUGIN}::gather"]
    return f"{facts['greeting']} from {PLUGIN}"


@hookimpl
def gini_preflight(host: Host) -> list[str] | None:
    """Say what this machine lacks; None when the plugin can run here."""
    if shutil.which("sh") is None:
        return ["$name needs a POSIX shell (sh) on PATH"]
    return None


@hookimpl
def gini_register_stages(host: Host) -> list[Stage]:
    return [gather, report]


@hookimpl
def gini_register_pipelines(host: Host) -> list[PipelineSpec]:
    return [
        PipelineSpec(name=PLUGIN, stages=[f"{PLUGIN}::report"], description="Gather, then report")
    ]
''')

_TEST = Template('''\
"""The $name plugin, installed, through gini-host's test harness (gini-host's docs/testing.md)."""

from __future__ import annotations

import shutil

import pytest

from gini_host import UsageError
from gini_host.testing import HostFactory, assert_statuses, check_plugin, run_pipeline
from $module import plugin


def test_gini_host_check_finds_no_problem() -> None:
    """The installed plugin passes gini-host check: hooks, stage requires, requirement."""
    assert check_plugin("$name") == []


def test_pipeline_runs_from_the_installed_entry_point(make_host: HostFactory) -> None:
    """Discovered through its entry point, the pipeline runs gather then report."""
    host = make_host(enable=["$name"])
    result = run_pipeline(host, "$name")
    assert_statuses(result, {"$name::gather": "succeeded", "$name::report": "succeeded"})
    assert result["$name::report"].value == "hello from $name"


def test_stage_config_reaches_the_stage(make_host: HostFactory) -> None:
    """[stages."$name::gather".config] is the gather stage's ctx.config, typed."""
    config = {"stages": {"$name::gather": {"config": {"greeting": "hi"}}}}
    host = make_host(enable=["$name"], config=config)
    assert run_pipeline(host, "$name")["$name::report"].value == "hi from $name"


def test_a_wrong_config_type_is_refused_before_the_run(make_host: HostFactory) -> None:
    """A greeting that is no string: bad input naming the key, and no stage runs."""
    config = {"stages": {"$name::gather": {"config": {"greeting": 3}}}}
    host = make_host(enable=["$name"], config=config)
    with pytest.raises(UsageError, match="config.greeting: expected a string"):
        run_pipeline(host, "$name")


def test_dry_run_describes_without_running(make_host: HostFactory) -> None:
    """A dry run describes each stage and runs no stage body."""
    host = make_host(enable=["$name"])
    result = run_pipeline(host, "$name", dry_run=True)
    assert_statuses(result, {"$name::gather": "dry_run", "$name::report": "dry_run"})
    assert result["$name::gather"].value == "would gather facts"


def test_preflight_fails_the_plugin_without_a_shell(
    make_host: HostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without sh on PATH the plugin fails preflight and registers no stage."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    host = make_host(enable=["$name"])
    assert host.plugin("$name").reason == "preflight: $name needs a POSIX shell (sh) on PATH"
    assert not [s for s in host.stages if s.plugin == "$name"]


def test_preflight_passes_here() -> None:
    """On this machine the preflight has nothing to say."""
    assert plugin.gini_preflight(host=None) is None
''')


def project_names(name: str) -> tuple[str, str]:
    """(distribution, module) for plugin ``name``: ``disk-check`` -> gini-disk-check."""
    dist = name if name.startswith("gini-") else f"gini-{name}"
    return dist, dist.replace("-", "_")


def new_plugin(name: str, directory: str | Path) -> list[Path]:
    """Write the project of plugin ``name`` into ``directory`` (created; it must be empty or
    missing) and return the files written."""
    if not PLUGIN_NAME_RE.match(name):
        raise UsageError(
            f"invalid plugin name {name!r}: use lowercase letters, digits and single dashes, "
            "starting with a letter (e.g. disk-check)"
        )
    root = Path(directory)
    try:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise UsageError(f"{root} already exists and is not an empty directory")
    except OSError as exc:
        raise UsageError(f"cannot use {root}: {exc.strerror or exc}") from None
    dist, module = project_names(name)
    values = {"name": name, "dist": dist, "module": module, "requirement": host_requirement()}
    files = {
        root / "pyproject.toml": _PYPROJECT,
        root / "README.md": _README,
        root / module / "__init__.py": _INIT,
        root / module / "plugin.py": _PLUGIN,
        root / "tests" / f"test_{name.replace('-', '_')}.py": _TEST,
    }
    written: list[Path] = []
    for path, template in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.substitute(values), encoding="utf-8")
        except OSError as exc:  # /proc/x, a read-only disk, no permission: bad input
            done = f" ({len(written)} file(s) already written there)" if written else ""
            raise UsageError(
                f"cannot write the plugin project into {root}: {exc.strerror or exc}{done}"
            ) from None
        written.append(path)
    return written
