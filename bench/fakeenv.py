"""Fake installed environments for the start-up benchmarks.

``write_site(root, plugins=N)`` writes, into one folder laid out like site-packages, what pip
would have installed for N plugin distributions (each a module with one hookimpl and one
stage, its dist-info with METADATA, entry_points.txt, RECORD, WHEEL, INSTALLER) and 200
unrelated distributions (a package each; half of them with console scripts). Sub-processes
see it through ``PYTHONPATH``.

Everything is compiled to bytecode and dated an hour back, as an install from earlier in the
day would be: the entry-point index does not store a scan of just-changed folders, and a
first import that compiles would be measured instead of the import itself.
"""

from __future__ import annotations

import compileall
import os
import time
import zipfile
from pathlib import Path

__all__ = ["ENTRY_POINT_GROUP", "UNRELATED", "plugin_module", "write_site", "write_zip"]

ENTRY_POINT_GROUP = "gini_host.plugins"
UNRELATED = 200

_PLUGIN_SOURCE = '''"""Benchmark plugin {index}: one stage, one hook implementation."""

from gini_host import hookimpl, stage


@stage
def work(ctx):
    """Return this plugin's number."""
    return {index}


@hookimpl
def gini_register_stages(host):
    return [work]
'''

_DESCRIPTION = "\n".join(
    f"Line {i} of a long description, which discovery must never read." for i in range(40)
)


def plugin_module(index: int) -> str:
    return f"bench_plugin_{index:03d}"


def write_site(root: Path, plugins: int, unrelated: int = UNRELATED) -> Path:
    """Write the environment into ``root/site-N`` and return that folder."""
    site = root / f"site-{plugins}"
    site.mkdir(parents=True)
    for i in range(plugins):
        module = plugin_module(i)
        (site / f"{module}.py").write_text(_PLUGIN_SOURCE.format(index=i), encoding="utf-8")
        _dist_info(
            site,
            name=f"bench-plugin-{i:03d}",
            version="1.0",
            files=[f"{module}.py"],
            requires=["gini-host>=0.1"],
            entry_points={ENTRY_POINT_GROUP: {f"bench-plugin-{i:03d}": module}},
        )
    for i in range(unrelated):
        package = f"unrelated_lib_{i:03d}"
        (site / package).mkdir()
        (site / package / "__init__.py").write_text(f"VALUE = {i}\n", encoding="utf-8")
        scripts = {"console_scripts": {f"unrelated-{i:03d}": f"{package}:main"}} if i % 2 else {}
        _dist_info(
            site,
            name=f"unrelated-lib-{i:03d}",
            version="2.0",
            files=[f"{package}/__init__.py"],
            requires=["attrs>=20", 'colorama; sys_platform == "win32"'],
            entry_points=scripts,
        )
    past = time.time_ns() - 3600 * 1_000_000_000
    _age(site, past)
    # Bytecode records its source's mtime: compile after dating the sources, with the same
    # date, or every import in every sample would compile again.
    compileall.compile_dir(str(site), quiet=1, workers=1)
    _age(site, past)
    return site


def write_zip(root: Path, plugins: int, unrelated: int = UNRELATED) -> Path:
    """The same environment in one zip file, ``root/site-N.zip``, as a zipapp-style
    deployment puts it on ``sys.path``; dated an hour back like the folder."""
    site = write_site(root / "for-zip", plugins, unrelated)
    archive = root / f"site-{plugins}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for folder, _, files in sorted(os.walk(site)):
            for name in sorted(files):
                path = Path(folder, name)
                zf.write(path, path.relative_to(site).as_posix())
    past = time.time_ns() - 3600 * 1_000_000_000
    os.utime(archive, ns=(past, past))
    return archive


def _dist_info(
    site: Path,
    *,
    name: str,
    version: str,
    files: list[str],
    requires: list[str],
    entry_points: dict[str, dict[str, str]],
) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: The {name} distribution, written for the benchmarks.",
        "License: MIT",
        "Requires-Python: >=3.9",
        *(f"Requires-Dist: {r}" for r in requires),
        "Description-Content-Type: text/plain",
    ]
    (info / "METADATA").write_text("\n".join(meta) + "\n\n" + _DESCRIPTION + "\n", "utf-8")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n")
    (info / "INSTALLER").write_text("pip\n")
    written = ["METADATA", "WHEEL", "INSTALLER", "RECORD"]
    if entry_points:
        lines = []
        for group, items in entry_points.items():
            lines.append(f"[{group}]")
            lines.extend(f"{k} = {v}" for k, v in items.items())
            lines.append("")
        (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
        written.append("entry_points.txt")
    record = [f"{f},," for f in files] + [f"{info.name}/{f},," for f in written]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")


def _age(site: Path, past: int) -> None:
    """Date every file and folder back to ``past`` (ns), deepest first."""
    for folder, dirs, files in os.walk(site, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(folder, name), ns=(past, past))
    os.utime(site, ns=(past, past))
