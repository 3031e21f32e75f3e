"""Start-up figures, one fresh process per sample (issue 3 item 11, issue 6 item 3).

(a) Discovery + load of N = 10, 100, 500 fake plugin distributions (200 unrelated ones
    installed beside them): ``Host(autoload=True, paths=[site]).boot()`` against the floor of
    scanning the site for ``entry_points.txt``, importing the N modules and registering them
    in a bare pluggy PluginManager. Target <= 1.2x at N >= 100. The host is measured with the
    entry-point index warm (the normal case) and with it off (``GINI_HOST_NO_CACHE=1``).
(b) ``gini-host plugins --json``, the whole process (its CPU time, exec to exit): against an
    empty ``python -c pass`` at N = 10 (target <= 3x) and against the floor process (scan
    ``sys.path``, import and register the plugins, print their names) at N = 500 (target
    <= 1.2x).

(c) Light start (issue 13), whole processes against an empty ``python -c pass``:
    ``gini-host --version`` (target <= 2x) and a plugin module's first line,
    ``python -c "from gini_host import hookimpl, stage"`` (target <= 1.5x); and an unrelated
    one-test pytest run with gini-host's pytest plugin against the same run with
    ``-p no:gini_host`` (target <= 1.1x).

Times are CPU times (see docs/performance.md): in-process for (a), of the child for (b), (c).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench._measure import Figure
from bench._process import BENCH, environment, probe, process_cpu, rounds, site, workdir

__all__ = ["run"]

SIZES = (10, 100, 500)
SAMPLES = 13


def _load(plugins: int) -> list[Figure]:
    where = site(plugins)
    env = environment(where)
    no_index = environment(where, GINI_HOST_NO_CACHE="1")
    medians = rounds(
        {
            "floor": lambda: probe("floor", where, env=env),
            "host": lambda: probe("host", where, env=env),
            "no-index": lambda: probe("host", where, env=no_index),
        },
        SAMPLES,
    )
    target = 1.2 if plugins >= 100 else 2.0
    why = "" if plugins >= 100 else "; N=10 has no target in issue 3, 2x is ours"
    figures = []
    for key, label in (("host", "index warm"), ("no-index", "index off")):
        figures.append(
            Figure(
                name=f"start-up: discovery + load, N={plugins} ({label})",
                value=medians[key] * 1e3,
                floor_value=medians["floor"] * 1e3,
                target=target,
                unit="ms",
                note=f"scan + import + bare pluggy register{why}",
            )
        )
    return figures


def _cli() -> list[Figure]:
    script = Path(sys.executable).with_name("gini-host")
    figures = []
    for plugins in (10, 500):
        where = site(plugins)
        env = environment(where)
        medians = rounds(
            {
                "cli": lambda env=env: process_cpu([str(script), "plugins", "--json"], env),
                "empty": lambda env=env: process_cpu([sys.executable, "-c", "pass"], env),
                "floor": lambda env=env: process_cpu(
                    [sys.executable, str(BENCH / "_floor_process.py")], env
                ),
            },
            SAMPLES,
        )
        if plugins == 10:
            floor, target, note = medians["empty"], 3.0, "vs python -c pass"
        else:
            floor, target = medians["floor"], 1.2
            note = "vs floor process: scan + import + register"
        figures.append(
            Figure(
                name=f"start-up: gini-host plugins --json, N={plugins}, process",
                value=medians["cli"] * 1e3,
                floor_value=floor * 1e3,
                target=target,
                unit="ms",
                note=note,
            )
        )
    return figures


def _light() -> list[Figure]:
    env = environment(None)
    script = str(Path(sys.executable).with_name("gini-host"))
    test = workdir() / "test_unrelated.py"
    test.write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)]
    commands = {
        "empty": [sys.executable, "-c", "pass"],
        "version": [script, "--version"],
        "import": [sys.executable, "-c", "from gini_host import hookimpl, stage"],
        "pytest": pytest,
        "pytest-without": [*pytest, "-p", "no:gini_host"],
    }
    medians = rounds(
        {name: (lambda c=command: process_cpu(c, env)) for name, command in commands.items()},
        SAMPLES,
    )
    empty = "vs python -c pass"
    rows = (
        ("gini-host --version", "version", "empty", 2.0, empty),
        ('python -c "from gini_host import hookimpl, stage"', "import", "empty", 1.5, empty),
        ("unrelated one-test pytest run", "pytest", "pytest-without", 1.1, "vs -p no:gini_host"),
    )
    return [
        Figure(
            name=f"start-up: {label}, process",
            value=medians[key] * 1e3,
            floor_value=medians[floor] * 1e3,
            target=target,
            unit="ms",
            note=note,
        )
        for label, key, floor, target, note in rows
    ]


def run() -> list[Figure]:
    """About 70 seconds on 2 cores."""
    figures: list[Figure] = []
    for plugins in SIZES:
        figures.extend(_load(plugins))
    return figures + _cli() + _light()
